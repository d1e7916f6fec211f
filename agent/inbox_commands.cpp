// The inbox, confirm and ack commands.
#include "agent/inbox_commands.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "agent/database.h"
#include "agent/inbox.h"
#include "agent/key_rotation.h"
#include "agent/link_state.h"
#include "agent/outbox.h"
#include "agent/selftest.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/identity.h"
#include "common/vocabulary.h"

namespace samband::agent {

namespace {

using nlohmann::json;

constexpr size_t kListLimit = 500;

common::Error conflict(std::string message) {
  return {common::ErrorKind::conflict, std::move(message)};
}

// The body of a stored envelope. Verified entries were checked when stored; for the others this
// is only what the message claimed.
std::optional<common::Message> bodyOf(const InboxEntry& entry) {
  auto parts = common::decodeEnvelope(entry.envelope);
  if (!parts) return std::nullopt;
  auto body = common::decodeBody(parts->body);
  if (!body) return std::nullopt;
  return std::move(body).value();
}

json timeOrNull(int64_t ms) { return ms > 0 ? json(common::formatRfc3339(ms)) : json(nullptr); }

std::string reasonCode(const std::string& reason) {
  auto colon = reason.find(':');
  return colon == std::string::npos ? reason : reason.substr(0, colon);
}

json entryJson(const InboxEntry& e, int64_t wallNowMs) {
  json j;
  j["id"] = e.ref;
  j["kind"] = e.kind;
  j["verified"] = e.verified;
  j["received_at"] = timeOrNull(e.receivedAt);
  j["state"] = e.state.empty() ? "new" : e.state;
  j["reason"] = e.reason.empty() ? json(nullptr) : json(e.reason);
  j["reason_code"] = e.reason.empty() ? json(nullptr) : json(reasonCode(e.reason));
  auto body = bodyOf(e);
  j["mode"] = body ? json(common::modeName(body->mode)) : json(nullptr);
  if (body) {
    if (auto* d = std::get_if<common::DirectiveMsg>(&body->payload)) {
      j["number"] = d->number;
      // Two brokers apart may number two directives alike; the signing city key tells them apart.
      j["issuer_key_id"] = common::toHex(body->keyId);
      j["text"] = d->text;
      j["level"] = common::levelName(d->level);
      j["expires_at"] = timeOrNull(d->expiresAt);
      j["expired"] = d->expiresAt < wallNowMs;
      j["require_ack"] = d->requireAck;
      j["recipients"] = d->recipients;
      j["acknowledged_at"] = e.state == "acknowledged" ? timeOrNull(e.actedAt) : json(nullptr);
    } else if (auto* c = std::get_if<common::ReadinessCheckMsg>(&body->payload)) {
      j["issued_at"] = timeOrNull(c->issuedAt);
      j["deadline"] = timeOrNull(c->deadline);
      j["expired"] = c->deadline < wallNowMs;
      j["require_confirmation"] = c->requireConfirmation;
      j["confirmed_at"] = e.state == "confirmed" ? timeOrNull(e.actedAt) : json(nullptr);
      json tests = json::array();
      for (const auto& t : selfTestsFromJson(e.results)) {
        tests.push_back({{"name", t.name}, {"passed", t.passed}, {"detail", t.detail}});
      }
      j["self_tests"] = tests;
    }
  }
  return j;
}

std::string entryText(const json& j, const std::string& configPath) {
  std::ostringstream out;
  const std::string id = j["id"].get<std::string>();
  const std::string state = j["state"].get<std::string>();
  out << (id.empty() ? "(no id)" : id) << "  " << j["kind"].get<std::string>() << "  ";
  if (state == "refused") {
    out << "REFUSED (" << j["reason"].get<std::string>() << ")";
  } else {
    out << state;
  }
  out << "  received " << j["received_at"].get<std::string>();
  if (j["mode"].is_string() && j["mode"] != "actual")
    out << "  [" << j["mode"].get<std::string>() << "]";
  out << "\n";
  if (j["kind"] == "directive" && j.contains("text")) {
    out << "  level " << j["level"].get<std::string>() << ", expires "
        << j["expires_at"].get<std::string>() << (j["expired"].get<bool>() ? " (expired)" : "");
    if (state == "acknowledged") {
      out << ", acknowledged " << j["acknowledged_at"].get<std::string>();
    } else if (state == "applied") {
      out << (j["require_ack"].get<bool>() ? ", a person must acknowledge it" : "")
          << ": samband-agent ack " << id << " --config " << configPath;
    }
    out << "\n  " << j["text"].get<std::string>() << "\n";
  } else if (j["kind"] == "readiness_check" && j.contains("deadline")) {
    out << "  deadline " << j["deadline"].get<std::string>();
    if (state == "confirmed") {
      out << ", confirmed " << j["confirmed_at"].get<std::string>();
    } else if (state == "answered" && j["require_confirmation"].get<bool>()) {
      out << (j["expired"].get<bool>() ? ", confirmation was required"
                                       : ", a person must confirm: samband-agent confirm " + id +
                                             " --config " + configPath);
    }
    out << "\n";
    std::string failed;
    size_t count = 0;
    for (const auto& t : j["self_tests"]) {
      ++count;
      if (!t["passed"].get<bool>()) failed += " " + t["name"].get<std::string>();
    }
    if (count > 0) {
      out << "  self-tests: "
          << (failed.empty() ? "all " + std::to_string(count) + " passed" : "FAILED" + failed)
          << "\n";
    }
  }
  return out.str();
}

// What a person's command needs: the identity that signs and the outbox it signs into.
struct Signer {
  std::unique_ptr<common::Identity> identity;
  std::unique_ptr<SQLite::Database> db;
};

common::Result<Signer> openSigner(const AgentConfig& config) {
  auto db = openAgentDatabase(config.outboxPath, OpenMode::mustExist);
  if (!db) return db.error();
  // A key rotation whose outbox switch is committed is finished before the identity is read.
  if (common::Status s = finishKeyRotation(config, **db); !s) return s.error();
  auto identity = common::Identity::load(config.identityPath);
  if (!identity) return identity.error();
  if ((*identity)->id() != config.provider) {
    return common::invalidInput("the identity " + config.identityPath + " belongs to '" +
                                (*identity)->id() + "' but [agent] provider is '" +
                                config.provider + "'; fix [agent] identity in " +
                                config.configPath);
  }
  return Signer{std::move(identity).value(), std::move(db).value()};
}

// How the queued message will travel, as `report` says it.
std::string deliveryNote(SQLite::Database& db, int64_t wallNowMs) {
  LinkStateStore store(db);
  auto link = store.read();
  if (link && link->isLive(wallNowMs) && link->connected) {
    return "The running agent is connected and sends it now.\n";
  }
  if (link && link->isLive(wallNowMs)) {
    return "The running agent is not connected to the broker yet and sends it when it is "
           "(samband-agent status tells why).\n";
  }
  return "'samband-agent run' is not running: it goes out when it starts.\n";
}

}  // namespace

common::Result<std::string> inboxListing(const AgentConfig& config, bool asJson,
                                         int64_t wallNowMs) {
  auto db = openAgentDatabase(config.outboxPath, OpenMode::mustExist);
  if (!db) return db.error();
  Inbox inbox(**db);
  auto entries = inbox.list(kListLimit);
  if (!entries) return entries.error();
  json all = json::array();
  for (const auto& e : *entries) all.push_back(entryJson(e, wallNowMs));
  if (asJson) return all.dump(2) + "\n";
  if (all.empty()) return std::string("No readiness checks or directives from the city yet.\n");
  std::string out;
  for (const auto& j : all) out += entryText(j, config.configPath);
  return out;
}

common::Result<std::string> confirmCheck(const AgentConfig& config, const std::string& checkId,
                                         int64_t wallNowMs) {
  auto signer = openSigner(config);
  if (!signer) return signer.error();
  Inbox inbox(*signer->db);
  auto found = inbox.find("readiness_check", checkId);
  if (!found) return found.error();
  if (!*found) {
    return common::Error{common::ErrorKind::notFound,
                         "no readiness check '" + checkId +
                             "' in the inbox; list them with: samband-agent inbox --config " +
                             config.configPath};
  }
  const InboxEntry& entry = **found;
  if (!entry.verified || entry.state == "refused") {
    return conflict("readiness check " + checkId + " was refused (" + entry.reason +
                    "); there is nothing to confirm");
  }
  if (entry.state.empty()) {
    return conflict("the running agent has not answered readiness check " + checkId +
                    " yet; start 'samband-agent run' and try again");
  }
  if (entry.state == "confirmed") {
    return "Readiness check " + checkId + " was already confirmed at " +
           common::formatRfc3339(entry.actedAt) + "; nothing more to do.\n";
  }
  auto body = bodyOf(entry);
  const auto* check = body ? std::get_if<common::ReadinessCheckMsg>(&body->payload) : nullptr;
  if (check == nullptr) return common::internalError("inbox entry " + checkId + " does not decode");
  if (check->deadline < wallNowMs) {
    return conflict("the deadline of readiness check " + checkId + " passed at " +
                    common::formatRfc3339(check->deadline) +
                    "; the city no longer counts a confirmation for it");
  }
  common::ReadinessAnswerMsg answer;
  answer.checkId = checkId;
  answer.results = selfTestsFromJson(entry.results);
  answer.confirmed = true;
  answer.receivedAt = entry.receivedAt;
  Outbox outbox(*signer->db, *signer->identity);
  auto queued = outbox.append({OutboxDraft{body->mode, wallNowMs, answer}}, wallNowMs);
  if (!queued) return queued.error();
  if (common::Status s = inbox.recordPersonAction(entry.id, "confirmed", wallNowMs); !s) {
    return s.error();
  }
  return "Confirmed readiness check " + checkId + " (queued as seq " +
         std::to_string(queued->front().seq) + ").\n" + deliveryNote(*signer->db, wallNowMs);
}

common::Result<std::string> acknowledgeDirective(const AgentConfig& config,
                                                 const std::string& directiveId,
                                                 int64_t wallNowMs) {
  auto signer = openSigner(config);
  if (!signer) return signer.error();
  Inbox inbox(*signer->db);
  // An applied one not yet acknowledged first: two brokers apart may have numbered two
  // directives alike (one per city key), and each is acknowledged in turn.
  auto found = inbox.findInState("directive", directiveId, "applied");
  if (found && !*found) found = inbox.find("directive", directiveId);
  if (!found) return found.error();
  if (!*found) {
    return common::Error{common::ErrorKind::notFound,
                         "no directive '" + directiveId +
                             "' in the inbox; list them with: samband-agent inbox --config " +
                             config.configPath};
  }
  const InboxEntry& entry = **found;
  if (!entry.verified || entry.state == "refused") {
    return conflict("directive " + directiveId + " was refused (" + entry.reason +
                    "); it must not be acted on, and there is nothing to acknowledge");
  }
  if (entry.state.empty()) {
    return conflict("the running agent has not applied directive " + directiveId +
                    " yet; start 'samband-agent run' and try again");
  }
  if (entry.state == "acknowledged") {
    return "Directive " + directiveId + " was already acknowledged at " +
           common::formatRfc3339(entry.actedAt) + "; nothing more to do.\n";
  }
  auto body = bodyOf(entry);
  if (!body) return common::internalError("inbox entry " + directiveId + " does not decode");
  Outbox outbox(*signer->db, *signer->identity);
  auto queued = outbox.append(
      {OutboxDraft{
          body->mode, wallNowMs,
          common::DirectiveAckMsg{directiveId, common::AckKind::ACKNOWLEDGED, body->keyId}}},
      wallNowMs);
  if (!queued) return queued.error();
  if (common::Status s = inbox.recordPersonAction(entry.id, "acknowledged", wallNowMs); !s) {
    return s.error();
  }
  return "Acknowledged directive " + directiveId + " of city key " + common::toHex(body->keyId) +
         " (queued as seq " + std::to_string(queued->front().seq) + ").\n" +
         deliveryNote(*signer->db, wallNowMs);
}

}  // namespace samband::agent
