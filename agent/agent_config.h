// AgentConfig: the settings of one agent, read from agent.toml (see config/agent.example.toml).
// Loading checks every key and names the file and key in its error; relative paths resolve
// against the config file's directory, so an agent directory is self-contained.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/identity.h"
#include "common/messages.h"
#include "common/result.h"
#include "common/school_calendar.h"

namespace samband::agent {

// [selftest]: the limits of the readiness self-tests (agent/selftest.h).
struct SelfTestLimits {
  int64_t clockSkewMaxMs = 120'000;           // |broker clock - ours| at most
  int64_t diskFreeMinBytes = 100LL << 20;     // free space in the outbox's directory at least
  int64_t outboxMaxPending = 1000;            // unacknowledged messages at most
  int64_t outboxMaxAgeMs = 3'600'000;         // age of the oldest unacknowledged one at most
  int64_t statusMaxAgeMs = 26LL * 3'600'000;  // every unit has a status report at least this new
  int64_t citySignalMaxAgeMs = 600'000;       // newest city-signed word at most this old
};

// [form]: the reporting page for staff on duty and POST /api/report (agent/form_server.h),
// served by `samband-agent run` when `listen` is set.
struct FormSettings {
  std::string listen;                     // as written in the file, for messages ("127.0.0.1:8090")
  std::string host;                       // from listen
  int port = 0;                           // from listen; 0: any free port (tests)
  bool secureCookies = false;             // Secure on the session cookie (behind a TLS proxy)
  int64_t sessionTtlMs = 12 * 3'600'000;  // a login lasts this long (one long shift)
};

// One broker of the city, as `[broker] brokers` or `--broker` names it: "ENDPOINT" or
// "ENDPOINT=CURVEKEY" (64 hex digits: that broker's own transport key; without it, the agent
// pins [broker] city_curve_public for this endpoint too).
struct BrokerEndpoint {
  std::string endpoint;
  common::PublicKey curvePublic{};  // always set once resolved (own key or city_curve_public)
  bool ownKey = false;              // the key was given with the endpoint ("=HEX")
};

// Parses "ENDPOINT" or "ENDPOINT=CURVEKEY". `fallbackKey` fills curvePublic when no key is given.
// Errors are invalidInput naming `source` (a flag or "FILE: [broker] brokers").
common::Result<BrokerEndpoint> parseBrokerEndpoint(const std::string& text,
                                                   const common::PublicKey& fallbackKey,
                                                   const std::string& source);
// The text form parseBrokerEndpoint reads ("tcp://h:7700" or "tcp://h:7700=HEX").
std::string brokerEndpointText(const BrokerEndpoint& broker);

struct AgentConfig {
  std::string configPath;  // the file this was read from ("" when built in code)

  // [agent]
  std::string provider;  // organisation number NNNNNN-NNNN
  std::string name;
  std::vector<std::string> units;  // school-unit codes this agent may report on
  std::string identityPath;        // absolute or relative to the working directory
  std::string outboxPath;
  std::optional<std::string> dutyContact;

  // [broker]
  std::string endpoint;  // the preferred broker, e.g. tcp://127.0.0.1:7700 (= brokers[0])
  common::PublicKey citySignPublic{};
  common::PublicKey cityCurvePublic{};
  // [broker] brokers: every broker of the city in order of preference (the first is `endpoint`).
  // Empty: only `endpoint`, with cityCurvePublic (configs built in code, one-broker files).
  std::vector<BrokerEndpoint> brokers;

  // [timing] (milliseconds here; seconds in the file)
  int64_t heartbeatIntervalMs = 30000;
  int64_t heartbeatHeightenedMs = 10000;
  int64_t heartbeatHighestMs = 5000;

  // [link]
  int64_t window = 256;  // unacknowledged frames in flight at most
  int64_t ackTimeoutMs = 10000;
  int64_t reconnectMinMs = 200;
  int64_t reconnectMaxMs = 30000;
  // Failover (docs/agent.md, "Several brokers"): the current broker may fail this long (and at
  // least twice in a row) before the agent tries the next; back on the preferred broker a
  // random 0..failbackJitterMs after it answers again.
  int64_t failoverAfterMs = 3000;
  int64_t failbackJitterMs = 60000;

  // [selftest]
  SelfTestLimits selfTest;

  // [calendar]: the city's school holidays; the status_age self-test counts school time.
  std::vector<common::HolidayRange> holidays;

  // [form]: nothing when `listen` is not set (no page, no API).
  std::optional<FormSettings> form;

  // [spool] dir: a directory whose *.json reports `run` picks up (agent/spool.h); absolute.
  std::optional<std::string> spoolDir;

  bool ownsUnit(const std::string& unit) const;
  // The brokers in order of preference, each with the transport key to pin: `brokers` when set,
  // else `endpoint` with cityCurvePublic. Never empty.
  std::vector<BrokerEndpoint> brokerList() const;
  // The heartbeat interval that applies at `level` (unchanged and normal use the normal one).
  int64_t heartbeatIntervalFor(common::ReadinessLevel level) const;
};

// Reads and checks `path`. Errors are invalidInput with one sentence naming file, table and key.
common::Result<AgentConfig> loadAgentConfig(const std::string& path);

// Checks the values of a config built in code (the same rules loadAgentConfig applies).
common::Status checkAgentConfig(const AgentConfig& config, const std::string& source);

// The text of a fresh agent.toml for `samband-agent init`, every key commented. Paths are
// written relative to the config file ("agent.identity", "outbox.db").
std::string renderAgentConfig(const AgentConfig& config);

}  // namespace samband::agent
