// AgentStatus: what `samband-agent status` shows, read from outbox.db without the identity (so a
// monitoring account can run it). "connected" is true only while a live `run` says so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/key_rotation.h"
#include "agent/outbox.h"
#include "common/result.h"

namespace samband::agent {

// One of the city's brokers as `status` shows it.
struct BrokerStatus {
  std::string endpoint;
  bool preferred = false;         // the first of [broker] brokers
  bool current = false;           // the one `run` sends to now (the preferred one when not running)
  std::optional<bool> reachable;  // as `run` last saw it; nullopt: not tried or not running
  std::optional<int64_t> lastUpAt;
  std::optional<std::string> lastFailure;
  std::optional<int64_t> lastFailureAt;
};

struct AgentStatus {
  std::string provider;
  std::string broker;  // the broker `run` sends to now; the preferred one when not running
  std::vector<BrokerStatus> brokers;  // every broker of the city, in order of preference
  int64_t failovers = 0;              // since `run` started
  int64_t failbacks = 0;
  bool running = false;
  bool connected = false;
  std::string level;
  size_t outboxPending = 0;
  uint64_t headSeq = 0;
  uint64_t lastAckedSeq = 0;
  std::optional<int64_t> oldestPendingAt;
  std::optional<std::string> lastError;
  std::optional<int64_t> lastErrorAt;
  std::optional<int64_t> lastConnectedAt;
  std::optional<int64_t> lastAckAt;
  std::optional<int64_t> updatedAt;  // when `run` last wrote its state
  // Our clock minus the broker's as `run` last measured it (positive: ours is ahead).
  std::optional<int64_t> clockOffsetMs;
  int64_t clockOffsetLimitMs = 120'000;  // [selftest] clock_skew_max_s: beyond it, say so
  size_t deadLetterCount = 0;
  std::vector<DeadLetter> deadLetters;
  size_t inboxTotal = 0;
  size_t inboxUnhandled = 0;
  std::string keyId;                             // hex; the key the outbox signs with
  std::optional<KeyRotationRecord> keyRotation;  // the current or last rotation
  // The newest city-signed time (beacon or message, city clock) and, when something is wrong
  // with the city's signal (agent/city_signal.h), what to tell the person on duty.
  std::optional<int64_t> cityLastSignedAt;
  std::optional<int64_t> citySilentForMs;
  std::vector<std::string> citySignalProblems;
};

// Errors: invalidInput when the outbox does not exist (init not run), unavailable on I/O.
common::Result<AgentStatus> readAgentStatus(const AgentConfig& config, int64_t wallNowMs);

// JSON object with the keys documented in docs/agent.md (times RFC 3339 or null).
std::string agentStatusJson(const AgentStatus& status);
// A few lines for a person.
std::string agentStatusText(const AgentStatus& status);

}  // namespace samband::agent
