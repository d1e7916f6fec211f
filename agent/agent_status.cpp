// Gathering and printing the agent's status.
#include "agent/agent_status.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/city_signal.h"
#include "agent/city_state.h"
#include "agent/database.h"
#include "agent/inbox.h"
#include "agent/link_state.h"
#include "common/clock.h"

namespace samband::agent {

namespace {

nlohmann::json timeOrNull(const std::optional<int64_t>& ms) {
  if (!ms || *ms <= 0) return nullptr;
  return common::formatRfc3339(*ms);
}

std::string timeOrNever(const std::optional<int64_t>& ms) {
  if (!ms || *ms <= 0) return "never";
  return common::formatRfc3339(*ms);
}

}  // namespace

common::Result<AgentStatus> readAgentStatus(const AgentConfig& config, int64_t wallNowMs) {
  auto db = openAgentDatabase(config.outboxPath, OpenMode::mustExist);
  if (!db) return db.error();
  AgentStatus st;
  st.provider = config.provider;
  st.broker = config.endpoint;
  auto summary = Outbox::summarize(**db);
  if (!summary) return summary.error();
  st.outboxPending = summary->pending;
  st.headSeq = summary->head.seq;
  st.lastAckedSeq = summary->ackedSeq;
  if (summary->pending > 0) st.oldestPendingAt = summary->oldestQueuedAt;
  st.deadLetterCount = summary->deadLetters;
  st.keyId = common::toHex(summary->keyId);
  auto rotation = readKeyRotation(**db);
  if (!rotation) return rotation.error();
  st.keyRotation = std::move(rotation).value();
  LinkStateStore store(**db);
  auto link = store.read();
  if (!link) return link.error();
  st.running = link->isLive(wallNowMs);
  st.connected = st.running && link->connected;
  st.level = link->level;
  st.lastError = link->lastError;
  st.lastErrorAt = link->lastErrorAt;
  st.lastConnectedAt = link->lastConnectedAt;
  st.lastAckAt = link->lastAckAt;
  if (link->updatedAt > 0) st.updatedAt = link->updatedAt;
  st.clockOffsetMs = link->clockOffsetMs;
  // Which broker, and how each one fared, as the running agent last wrote it.
  if (st.running && link->broker) st.broker = *link->broker;
  for (const auto& b : config.brokerList()) {
    BrokerStatus bs;
    bs.endpoint = b.endpoint;
    bs.preferred = st.brokers.empty();
    bs.current = b.endpoint == st.broker;
    if (st.running) {
      for (const auto& r : link->brokers) {
        if (r.endpoint != b.endpoint) continue;
        bs.reachable = r.reachable;
        bs.lastUpAt = r.lastUpAt;
        bs.lastFailure = r.lastFailure;
        bs.lastFailureAt = r.lastFailureAt;
      }
    }
    st.brokers.push_back(std::move(bs));
  }
  if (st.running) {
    st.failovers = link->failovers;
    st.failbacks = link->failbacks;
  }
  st.clockOffsetLimitMs = config.selfTest.clockSkewMaxMs;
  if (st.deadLetterCount > 0) {
    auto dead = Outbox::deadLetters(**db, 20);
    if (!dead) return dead.error();
    st.deadLetters = std::move(dead).value();
  }
  auto inbox = Inbox::counts(**db);
  if (!inbox) return inbox.error();
  st.inboxTotal = inbox->first;
  st.inboxUnhandled = inbox->second;
  CitySignalStore signals(**db);
  auto signal = signals.read();
  if (!signal) return signal.error();
  auto city = CityState(**db).read();
  if (!city) return city.error();
  CitySignalInputs in;
  in.nowMs = wallNowMs;
  in.connected = st.connected;
  in.connectedAt = link->lastConnectedAt;
  in.row = *signal;
  in.appliedDirective = city->directiveNumber;
  in.appliedByKey = city->directiveNumberByKey;
  in.maxAgeMs = config.selfTest.citySignalMaxAgeMs;
  if (!signal->beacon.checkId.empty()) {
    auto holds = signals.holdsCheck(signal->beacon.checkId);
    if (!holds) return holds.error();
    in.holdsNewestCheck = *holds;
  }
  CitySignalAssessment assessed = assessCitySignal(in);
  if (signal->lastSignedAt > 0) st.cityLastSignedAt = signal->lastSignedAt;
  st.citySilentForMs = assessed.silentForMs;
  st.citySignalProblems = std::move(assessed.problems);
  return st;
}

std::string agentStatusJson(const AgentStatus& st) {
  nlohmann::json j;
  j["provider"] = st.provider;
  j["broker"] = st.broker;
  nlohmann::json brokers = nlohmann::json::array();
  for (const auto& b : st.brokers) {
    brokers.push_back(
        {{"endpoint", b.endpoint},
         {"preferred", b.preferred},
         {"current", b.current},
         {"reachable", b.reachable ? nlohmann::json(*b.reachable) : nlohmann::json(nullptr)},
         {"last_up_at", timeOrNull(b.lastUpAt)},
         {"last_failure", b.lastFailure ? nlohmann::json(*b.lastFailure) : nlohmann::json(nullptr)},
         {"last_failure_at", timeOrNull(b.lastFailureAt)}});
  }
  j["brokers"] = brokers;
  j["failovers"] = st.failovers;
  j["failbacks"] = st.failbacks;
  j["running"] = st.running;
  j["connected"] = st.connected;
  j["level"] = st.level;
  j["outbox_pending"] = st.outboxPending;
  j["head_seq"] = st.headSeq;
  j["last_acked_seq"] = st.lastAckedSeq;
  j["oldest_pending_at"] = timeOrNull(st.oldestPendingAt);
  j["last_error"] = st.lastError ? nlohmann::json(*st.lastError) : nlohmann::json(nullptr);
  j["last_error_at"] = timeOrNull(st.lastErrorAt);
  j["last_connected_at"] = timeOrNull(st.lastConnectedAt);
  j["last_ack_at"] = timeOrNull(st.lastAckAt);
  j["updated_at"] = timeOrNull(st.updatedAt);
  // Seconds, one decimal; positive when this server's clock is ahead of the broker's.
  j["clock_offset_s"] = st.clockOffsetMs
                            ? nlohmann::json(static_cast<double>(*st.clockOffsetMs / 100) / 10.0)
                            : nlohmann::json(nullptr);
  j["dead_letters"] = st.deadLetterCount;
  nlohmann::json dead = nlohmann::json::array();
  for (const auto& d : st.deadLetters) {
    dead.push_back({{"seq", d.seq},
                    {"kind", d.kind},
                    {"unit", d.unit},
                    {"sent_at", common::formatRfc3339(d.sentAt)},
                    {"reason", d.reason},
                    {"detail", d.detail},
                    {"dead_at", common::formatRfc3339(d.deadAt)}});
  }
  j["recent_dead_letters"] = dead;
  j["inbox"] = st.inboxTotal;
  j["inbox_unhandled"] = st.inboxUnhandled;
  j["key_id"] = st.keyId;
  j["city_last_signed_at"] = timeOrNull(st.cityLastSignedAt);
  j["city_signal"] = {
      {"ok", st.citySignalProblems.empty()},
      {"silent_for_s",
       st.citySilentForMs ? nlohmann::json(*st.citySilentForMs / 1000) : nlohmann::json(nullptr)},
      {"problems", st.citySignalProblems}};
  if (st.keyRotation) {
    const KeyRotationRecord& r = *st.keyRotation;
    j["key_rotation"] = {
        {"state", rotationStateName(r.state)},
        {"old_key_id", common::toHex(r.oldKeyId)},
        {"new_key_id", common::toHex(r.newKeyId)},
        {"started_at", timeOrNull(r.startedAt)},
        {"changed_at", timeOrNull(r.changedAt)},
        {"detail", r.detail.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.detail)}};
  } else {
    j["key_rotation"] = nullptr;
  }
  return j.dump(2) + "\n";
}

std::string agentStatusText(const AgentStatus& st) {
  std::ostringstream out;
  out << "provider        " << st.provider << "\n"
      << "broker          " << st.broker
      << (st.brokers.size() > 1 && !st.brokers.front().current
              ? " (a standby; the preferred is " + st.brokers.front().endpoint + ")"
              : "")
      << "\n";
  if (st.brokers.size() > 1) {
    for (const auto& b : st.brokers) {
      out << "  " << (b.current ? "* " : "  ") << b.endpoint << (b.preferred ? " (preferred)" : "")
          << ": "
          << (!b.reachable   ? std::string("not tried")
              : *b.reachable ? "reachable, last up " + timeOrNever(b.lastUpAt)
                             : "unreachable (" + b.lastFailure.value_or("?") + ", " +
                                   timeOrNever(b.lastFailureAt) + ")")
          << "\n";
    }
    out << "  failovers " << st.failovers << ", failbacks " << st.failbacks
        << " since the agent started\n";
  }
  out << "agent           "
      << (st.running ? (st.connected ? "running, connected" : "running, NOT connected")
                     : "not running (start it: systemctl start samband-agent)")
      << "\n"
      << "outbox          " << st.outboxPending << " waiting";
  if (st.oldestPendingAt) out << ", oldest queued " << common::formatRfc3339(*st.oldestPendingAt);
  out << "\n"
      << "chain           signed up to seq " << st.headSeq << ", acknowledged up to seq "
      << st.lastAckedSeq << "\n"
      << "last connected  " << timeOrNever(st.lastConnectedAt) << "\n"
      << "last ack        " << timeOrNever(st.lastAckAt) << "\n";
  if (st.clockOffsetMs) {
    const int64_t off = *st.clockOffsetMs;
    out << "clock           " << (off < 0 ? -off : off) / 1000 << " s "
        << (off < 0 ? "behind" : "ahead of") << " the city's broker";
    if ((off < 0 ? -off : off) > st.clockOffsetLimitMs) {
      out << ": fix time synchronisation (timedatectl set-ntp true, or chrony)";
    }
    out << "\n";
  }
  if (st.lastError) {
    out << "last error      " << *st.lastError << " (" << timeOrNever(st.lastErrorAt) << ")\n";
  }
  if (st.deadLetterCount > 0) {
    out << "dead letters    " << st.deadLetterCount
        << " message(s) refused for good by the broker:\n";
    for (const auto& d : st.deadLetters) {
      out << "  seq " << d.seq << " " << d.kind << (d.unit.empty() ? "" : " unit " + d.unit) << ": "
          << d.reason << (d.detail.empty() ? "" : " (" + d.detail + ")") << "\n";
    }
  }
  if (st.inboxUnhandled > 0) {
    out << "from the city   " << st.inboxUnhandled << " message(s) not yet handled\n";
  }
  out << "city signal     last signed word from the city " << timeOrNever(st.cityLastSignedAt)
      << "\n";
  for (const auto& problem : st.citySignalProblems) out << "  WARNING: " << problem << "\n";
  out << "signing key     " << (st.keyId.empty() ? "(not used yet)" : st.keyId) << "\n";
  if (st.keyRotation) {
    const KeyRotationRecord& r = *st.keyRotation;
    out << "key rotation    " << rotationStateName(r.state) << " (key " << common::toHex(r.oldKeyId)
        << " -> " << common::toHex(r.newKeyId) << ", since " << timeOrNever(r.changedAt) << ")";
    switch (r.state) {
      case RotationState::announced:
        out << ": waits for the broker's acknowledgement (run connected, or export/import)";
        break;
      case RotationState::acknowledged:
      case RotationState::switched:
        out << ": the running agent switches to the new key when next connected";
        break;
      case RotationState::done:
        out << ": ask the city to revoke the old key " << common::toHex(r.oldKeyId)
            << " if not done yet";
        break;
      case RotationState::refused:
        out << ": the broker refused it (" << r.detail << "); run rotate-key again";
        break;
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace samband::agent
