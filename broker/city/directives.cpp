// See directives.h.
#include "broker/city/directives.h"

#include <SQLiteCpp/Statement.h>

#include <cstdio>
#include <set>
#include <sstream>

#include "broker/city/city_chain.h"
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
  auto& db = store.db();
  std::string id;
  try {
    db.exec("BEGIN IMMEDIATE");
    try {
      auto enrolled = enrolledProviders(store);
      std::vector<std::string> recipients;
      if (o.to.empty()) {
        recipients = enrolled;
      } else {
        std::set<std::string> known(enrolled.begin(), enrolled.end());
        for (const auto& p : o.to) {
          if (!common::isProviderId(p) || known.count(p) == 0) {
            db.exec("ROLLBACK");
            return common::invalidInput("--to " + p +
                                        " is not an enrolled provider; list them with "
                                        "'samband-broker status'");
          }
        }
        std::set<std::string> unique(o.to.begin(), o.to.end());
        recipients.assign(unique.begin(), unique.end());
      }
      int64_t number =
          db.execAndGet("SELECT coalesce(max(number), 0) + 1 FROM directives").getInt64();
      char buf[32];
      std::snprintf(buf, sizeof buf, "D-%06lld", static_cast<long long>(number));
      id = buf;
      common::DirectiveMsg d;
      d.directiveId = id;
      d.number = static_cast<uint64_t>(number);
      d.text = o.text;
      d.level = o.level;
      d.requireAck = o.requireAck;
      d.expiresAt = nowMs + o.expiresInMs;
      if (!o.to.empty()) d.recipients = recipients;
      CityChain chain(store, city);
      auto issued = chain.issue(d, o.mode, nowMs, recipients, "directive", id);
      SQLite::Statement ins(db,
                            "INSERT INTO directives(id, number, text, level, require_ack, mode, "
                            "issued_at, expires_at, frame_id) VALUES(?,?,?,?,?,?,?,?,?)");
      ins.bind(1, id);
      ins.bind(2, number);
      ins.bind(3, o.text);
      ins.bind(4, common::levelName(o.level));
      ins.bind(5, o.requireAck ? 1 : 0);
      ins.bind(6, common::modeName(o.mode));
      ins.bind(7, nowMs);
      ins.bind(8, d.expiresAt);
      ins.bind(9, issued.frameId);
      ins.exec();
      SQLite::Statement rec(
          db, "INSERT INTO directive_recipients(directive_id, provider_id) VALUES(?,?)");
      for (const auto& p : recipients) {
        rec.reset();
        rec.bind(1, id);
        rec.bind(2, p);
        rec.exec();
      }
      if (o.level != common::ReadinessLevel::UNCHANGED && o.mode == common::Mode::ACTUAL) {
        if (auto s = store.setMeta(kMetaLevel, common::levelName(o.level)); !s) {
          throw std::runtime_error(s.error().message);
        }
      }
      db.exec("COMMIT");
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
  } catch (const std::exception& e) {
    return common::unavailable(std::string("directive not sent: ") + e.what());
  }
  return id;
}

void recordDirectiveAck(SQLite::Database& db, const std::string& provider,
                        const common::DirectiveAckMsg& ack, int64_t receivedAt) {
  const char* column =
      ack.kind == common::AckKind::ACKNOWLEDGED ? "acknowledged_at" : "delivered_at";
  SQLite::Statement q(db, std::string("UPDATE directive_recipients SET ") + column + "=coalesce(" +
                              column + ", ?) WHERE directive_id=? AND provider_id=?");
  q.bind(1, receivedAt);
  q.bind(2, ack.directiveId);
  q.bind(3, provider);
  q.exec();
  // A person's acknowledgement implies delivery.
  SQLite::Statement d(db,
                      "UPDATE directive_recipients SET delivered_at=coalesce(delivered_at, ?) "
                      "WHERE directive_id=? AND provider_id=?");
  d.bind(1, receivedAt);
  d.bind(2, ack.directiveId);
  d.bind(3, provider);
  d.exec();
  SQLite::Statement o(db,
                      "UPDATE outbound SET delivered_at=? WHERE provider_id=? AND ref=? AND "
                      "delivered_at IS NULL");
  o.bind(1, receivedAt);
  o.bind(2, provider);
  o.bind(3, ack.directiveId);
  o.exec();
}

common::Result<json> directiveStatus(Store& store, const std::optional<std::string>& id,
                                     int64_t nowMs) {
  json out = json::array();
  try {
    auto& db = store.db();
    std::string sql =
        "SELECT id, number, text, level, require_ack, mode, issued_at, expires_at FROM directives";
    if (id) sql += " WHERE id=?";
    sql += " ORDER BY number DESC";
    SQLite::Statement q(db, sql);
    if (id) q.bind(1, *id);
    SQLite::Statement r(db,
                        "SELECT provider_id, delivered_at, acknowledged_at FROM "
                        "directive_recipients WHERE directive_id=? ORDER BY provider_id");
    while (q.executeStep()) {
      json d;
      d["id"] = q.getColumn(0).getString();
      d["number"] = q.getColumn(1).getInt64();
      d["text"] = q.getColumn(2).getString();
      d["level"] = q.getColumn(3).getString();
      d["require_ack"] = q.getColumn(4).getInt() != 0;
      d["mode"] = q.getColumn(5).getString();
      d["issued_at"] = common::formatRfc3339(q.getColumn(6).getInt64());
      d["expires_at"] = common::formatRfc3339(q.getColumn(7).getInt64());
      d["expired"] = q.getColumn(7).getInt64() <= nowMs;
      json delivered = json::array(), acknowledged = json::array(), missing = json::array(),
           unacknowledged = json::array();
      r.reset();
      r.bind(1, d["id"].get<std::string>());
      int recipients = 0;
      while (r.executeStep()) {
        ++recipients;
        std::string p = r.getColumn(0).getString();
        if (r.getColumn(1).isNull()) {
          missing.push_back(p);
        } else {
          delivered.push_back(p);
        }
        if (!r.getColumn(2).isNull()) {
          acknowledged.push_back(p);
        } else {
          unacknowledged.push_back(p);
        }
      }
      d["recipients"] = recipients;
      d["delivered_to"] = delivered;
      d["acknowledged_by"] = acknowledged;
      d["missing"] = missing;  // not yet delivered
      d["not_acknowledged"] = unacknowledged;
      out.push_back(std::move(d));
    }
  } catch (const std::exception& e) {
    return common::unavailable(std::string("cannot read directives: ") + e.what());
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
    out << d["id"].get<std::string>() << "  issued " << d["issued_at"].get<std::string>()
        << "  expires " << d["expires_at"].get<std::string>()
        << (d["expired"].get<bool>() ? " (expired)" : "") << "  level "
        << d["level"].get<std::string>() << "  mode " << d["mode"].get<std::string>() << "\n  "
        << d["text"].get<std::string>() << "\n  delivered " << d["delivered_to"].size() << "/"
        << d["recipients"].get<int>();
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
