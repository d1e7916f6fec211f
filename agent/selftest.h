// Self-tests: what the agent reports in its answer to a readiness check (docs/agent.md, "City
// messages"). evaluateSelfTests() is a pure function of the inputs and the [selftest] limits, so
// tests feed it fakes; gatherSelfTestInputs() reads them from a running session and the disk.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/city_signal.h"
#include "common/messages.h"
#include "common/result.h"
#include "common/school_calendar.h"

namespace samband::agent {

class AgentSession;

struct SelfTestInputs {
  int64_t nowMs = 0;  // wall clock
  // broker_link: a CURVE session with the broker is up.
  bool connected = false;
  std::string endpoint;
  // clock_skew: broker time minus ours, from the last heartbeat reply; nullopt when none came.
  std::optional<int64_t> clockSkewMs;
  // disk_free: free bytes for this user in the outbox's directory; nullopt when unknown.
  std::optional<uint64_t> diskFreeBytes;
  // outbox_depth
  size_t outboxPending = 0;
  std::optional<int64_t> oldestQueuedAt;
  // key_file_mode: permission bits of the identity file; nullopt when it cannot be read.
  std::optional<mode_t> identityMode;
  // status_age: the units this agent reports on, and when each last had a status queued; the
  // age counts school time of `calendar` (local dates of the process's time zone) while
  // `calendarExcuses` (the city's level is normal), wall time otherwise.
  std::vector<std::string> units;
  std::map<std::string, int64_t> lastStatusAt;
  common::SchoolCalendar calendar;
  bool calendarExcuses = true;
  // duty_contact
  bool dutyContactConfigured = false;
  // city_signal: the newest city-signed word and what the time beacon named, when the current
  // connection came up, the highest directive applied, whether the beacon's check arrived.
  CitySignalRow citySignal;
  std::optional<int64_t> connectedAt;
  uint64_t appliedDirective = 0;
  std::map<std::string, uint64_t> appliedByKey;  // per issuing city key id (hex)
  bool holdsNewestCheck = true;
};

// The self-test names, in the order they are reported.
inline constexpr const char* kSelfTestNames[] = {"broker_link",  "clock_skew",    "disk_free",
                                                 "outbox_depth", "key_file_mode", "status_age",
                                                 "duty_contact", "city_signal"};

// One result per test, in kSelfTestNames order; each detail fits the wire's 200-byte bound and
// holds no personal data (the duty contact itself is never sent).
std::vector<common::SelfTestMsg> evaluateSelfTests(const SelfTestInputs& inputs,
                                                   const SelfTestLimits& limits);

// Free bytes available to this user in the file system holding `path` (statvfs); nullopt when
// statvfs fails.
std::optional<uint64_t> freeDiskBytes(const std::string& path);

// The directory part of `path` ("." when it has none).
std::string directoryOf(const std::string& path);

// Reads the inputs from `session` (link, clock skew, outbox, unit report times) and the files
// it uses. Runs on the session's thread. Errors: unavailable when outbox.db cannot be read.
common::Result<SelfTestInputs> gatherSelfTestInputs(AgentSession& session, int64_t wallNowMs);

// The results as the JSON array kept in the inbox ([{"name", "passed", "detail"}, ...]), and back.
std::string selfTestsToJson(const std::vector<common::SelfTestMsg>& results);
std::vector<common::SelfTestMsg> selfTestsFromJson(const std::string& json);

}  // namespace samband::agent
