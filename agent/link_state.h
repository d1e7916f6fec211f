// LinkState: what the running agent (`run`) tells `status` (another process) about its link to
// the broker, kept in one row of outbox.db. `run` rewrites it on every change and at least once
// per heartbeat interval; `status` treats a row not refreshed within stale_after_ms, or whose
// process is gone, as "not running".
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace samband::agent {

// What the running agent knows about one of the city's brokers (several with a standby).
struct BrokerReach {
  std::string endpoint;
  std::optional<bool> reachable;           // nullopt: not tried since `run` started
  std::optional<int64_t> lastUpAt;         // ms since epoch: last handshake that succeeded
  std::optional<std::string> lastFailure;  // linkFailureName of the last failure
  std::optional<int64_t> lastFailureAt;
};

struct LinkState {
  bool running = false;
  int pid = 0;
  bool connected = false;
  std::string level = "normal";  // readiness level the agent applies (vocabulary name)
  std::optional<std::string> lastError;
  std::optional<int64_t> lastErrorAt;  // ms since epoch
  std::optional<int64_t> lastConnectedAt;
  std::optional<int64_t> lastAckAt;
  int64_t staleAfterMs = 0;
  int64_t updatedAt = 0;
  // Our clock minus the broker's, from the newest heartbeat reply (positive: ours is ahead).
  std::optional<int64_t> clockOffsetMs;
  // The broker `run` sends to now (an endpoint of [broker] brokers), each broker's reach, and
  // how often it moved to a standby (failovers) and back to the preferred broker (failbacks).
  std::optional<std::string> broker;
  std::vector<BrokerReach> brokers;
  int64_t failovers = 0;
  int64_t failbacks = 0;

  // True when the writer was running at `nowMs`: the row says so, it is fresh, and the process
  // still exists (kill(pid, 0)).
  bool isLive(int64_t nowMs) const;
};

// Reads and writes the link_state row. Not thread-safe; one per connection.
class LinkStateStore {
 public:
  explicit LinkStateStore(SQLite::Database& db) : db_(db) {}
  LinkStateStore(const LinkStateStore&) = delete;
  LinkStateStore& operator=(const LinkStateStore&) = delete;

  common::Status write(const LinkState& state);
  common::Result<LinkState> read();

 private:
  SQLite::Database& db_;
};

}  // namespace samband::agent
