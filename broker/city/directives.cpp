// See directives.h.
#include "broker/city/directives.h"

#include <cstdio>
#include <set>
#include <sstream>

#include "broker/city/city_chain.h"
#include "broker/city/peer_city_messages.h"
#include "broker/city/time_beacon.h"
#include "broker/store/city_store.h"
#include "broker/store/write_transaction.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/vocabulary.h"

namespace samband::broker {

using nlohmann::json;

std::optional<int64_t> parseDuration(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char unit = s.back();
  std::string digits = (unit >= '0' && unit <= '9') ? s : s.substr(0, s.size() - 1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
      digits.size() > 9) {
    return std::nullopt;
  }
  int64_t n = std::stoll(digits);
  switch (unit) {
    case 's':
      return n * 1000;
    case 'm':
      return n * 60 * 1000;
    case 'h':
      return n * 3600 * 1000;
    case 'd':
      return n * 86400 * 1000;
    default:
      if (unit >= '0' && unit <= '9') return n * 1000;
      return std::nullopt;
  }
}

common::Result<std::string> sendDirective(Store& store, const common::Identity& city,
                                          const DirectiveOptions& o, int64_t nowMs) {
  if (o.text.empty() || o.text.size() > common::kMaxDirectiveText || !common::isCleanText(o.text)) {
    return common::invalidInput("--text must be 1 to 8000 bytes of plain text");
  }
  if (o.expiresInMs <= 0) return common::invalidInput("--expires must be a positive duration");
  auto fail = [](const common::Error& e) {
    return common::unavailable("directive not sent: " + e.message);
  };
  auto tx = WriteTransaction::begin(store);
  if (!tx) return fail(tx.error());
  CityStore cityStore(store);
  auto enrolled = cityStore.enrolledProviders();
  if (!enrolled) return fail(enrolled.error());
  std::vector<std::string> recipients;
  if (o.to.empty()) {
    recipients = *enrolled;
  } else {
    std::set<std::string> known(enrolled->begin(), enrolled->end());
    for (const auto& p : o.to) {
      if (!common::isProviderId(p) || known.count(p) == 0) {
        return common::invalidInput("--to " + p +
                                    " is not an enrolled provider; list them with "
                                    "'samband-broker status'");
      }
    }
    std::set<std::string> unique(o.to.begin(), o.to.end());
    recipients.assign(unique.begin(), unique.end());
  }
  auto number = cityStore.nextDirectiveNumber();
  if (!number) return fail(number.error());
  char buf[32];
  std::snprintf(buf, sizeof buf, "D-%06lld", static_cast<long long>(*number));
  const std::string id = buf;
  common::DirectiveMsg d;
  d.directiveId = id;
  d.number = static_cast<uint64_t>(*number);
  d.text = o.text;
  d.level = o.level;
  d.requireAck = o.requireAck;
  d.expiresAt = nowMs + o.expiresInMs;
  if (!o.to.empty()) d.recipients = recipients;
  auto issued = CityChain(store, city).issue(d, o.mode, nowMs, recipients, "directive", id);
  if (!issued) return fail(issued.error());
  DirectiveRow row;
  row.id = id;
  row.keyId = common::toHex(city.keyId());
  row.number = *number;
  row.text = o.text;
  row.level = common::levelName(o.level);
  row.requireAck = o.requireAck;
  row.mode = common::modeName(o.mode);
  row.issuedAt = nowMs;
  row.expiresAt = d.expiresAt;
  row.frameId = issued->frameId;
  if (auto s = cityStore.insertDirective(row, recipients); !s) return fail(s.error());
  // The beacon's directive numbers and the level (shared with directives pulled from a peer).
  if (auto s = noteDirectiveFacts(store, common::toHex(city.keyId()), *number, o.to.empty(),
                                  o.level, o.mode, nowMs);
      !s) {
    return fail(s.error());
  }
  if (auto s = tx->commit(); !s) return fail(s.error());
  return id;
}

common::Status recordDirectiveAck(Store& store, const std::string& provider,
                                  const common::DirectiveAckMsg& ack, int64_t receivedAt) {
  CityStore cityStore(store);
  // An ack names the directive's signing city key (empty from older agents): two brokers apart
  // may both have numbered a directive D-000043.
  const std::string keyId = ack.issuerKeyId.empty() ? "" : common::toHex(ack.issuerKeyId);
  auto s = cityStore.recordDirectiveAck(provider, ack.directiveId, keyId,
                                        ack.kind == common::AckKind::ACKNOWLEDGED, receivedAt);
  if (!s) return s;
  return cityStore.markOutboundDelivered(provider, ack.directiveId, receivedAt, keyId);
}

common::Result<json> directiveStatus(Store& store, const std::optional<std::string>& id,
                                     int64_t nowMs) {
  auto rows = CityStore(store).directives(id);
  if (!rows) return common::unavailable("cannot read directives: " + rows.error().message);
  json out = json::array();
  for (const auto& row : *rows) {
    json d;
    d["id"] = row.id;
    d["key_id"] = row.keyId;
    d["number"] = row.number;
    d["text"] = row.text;
    d["level"] = row.level;
    d["require_ack"] = row.requireAck;
    d["mode"] = row.mode;
    d["issued_at"] = common::formatRfc3339(row.issuedAt);
    d["expires_at"] = common::formatRfc3339(row.expiresAt);
    d["expired"] = row.expiresAt <= nowMs;
    json delivered = json::array(), acknowledged = json::array(), missing = json::array(),
         unacknowledged = json::array();
    for (const auto& r : row.recipients) {
      (r.deliveredAt ? delivered : missing).push_back(r.provider);
      (r.acknowledgedAt ? acknowledged : unacknowledged).push_back(r.provider);
    }
    d["recipients"] = static_cast<int>(row.recipients.size());
    d["delivered_to"] = delivered;
    d["acknowledged_by"] = acknowledged;
    d["missing"] = missing;  // not yet delivered
    d["not_acknowledged"] = unacknowledged;
    out.push_back(std::move(d));
  }
  if (id && out.empty()) {
    return common::Error{
        common::ErrorKind::notFound,
        "no directive " + *id + "; list them with 'samband-broker directive status'"};
  }
  return out;
}

std::string directiveStatusText(const json& status) {
  std::ostringstream out;
  if (status.empty()) out << "No directives have been sent.\n";
  for (const auto& d : status) {
    out << d["id"].get<std::string>() << "  city key " << d["key_id"].get<std::string>()
        << "  issued " << d["issued_at"].get<std::string>() << "  expires "
        << d["expires_at"].get<std::string>() << (d["expired"].get<bool>() ? " (expired)" : "")
        << "  level " << d["level"].get<std::string>() << "  mode " << d["mode"].get<std::string>()
        << "\n  " << d["text"].get<std::string>() << "\n  delivered " << d["delivered_to"].size()
        << "/" << d["recipients"].get<int>();
    if (d["require_ack"].get<bool>()) {
      out << ", acknowledged " << d["acknowledged_by"].size() << "/" << d["recipients"].get<int>();
    }
    out << "\n";
    if (!d["missing"].empty()) {
      out << "  not delivered:";
      for (const auto& p : d["missing"]) out << " " << p.get<std::string>();
      out << "\n";
    }
    if (d["require_ack"].get<bool>() && !d["not_acknowledged"].empty()) {
      out << "  not acknowledged:";
      for (const auto& p : d["not_acknowledged"]) out << " " << p.get<std::string>();
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace samband::broker
