// SessionStatus: what a running AgentSession tells `samband-agent status` (another process)
// through the link_state row (agent/link_state.h): connected or not, the level, and last_error
// with the rule for when each kind of error goes away. Writes are rate-limited.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>

#include "agent/link_state.h"
#include "common/clock.h"
#include "common/log.h"

namespace samband::agent {

// Not thread-safe; owned by one AgentSession and used on its thread.
class SessionStatus {
 public:
  // How a last_error goes away: link errors when a connection succeeds, transient ones when the
  // broker stores frames again; sticky ones (dead letters, forged city messages) stay until a
  // newer error replaces them, so the person on duty sees them.
  enum class ErrorClass { link, transient, sticky };

  // `record` false: nothing is ever written (the simulator's many sessions). `db`, `clock` and
  // `logLimiter` must outlive this object.
  SessionStatus(SQLite::Database& db, const common::Clock& clock, common::RateLimiter& logLimiter,
                bool record)
      : db_(db), store_(db), clock_(clock), logLimiter_(logLimiter), record_(record) {}
  SessionStatus(const SessionStatus&) = delete;
  SessionStatus& operator=(const SessionStatus&) = delete;

  // The row as the session keeps it; call markChanged() after changing a field.
  LinkState& row() { return row_; }
  const LinkState& row() const { return row_; }
  void markChanged() { dirty_ = true; }

  void setError(const std::string& message, ErrorClass errorClass);
  // Clears last_error if it is of `errorClass`.
  void clearError(ErrorClass errorClass);

  // Writes the row when `force` or when due; `refreshMs` is the refresh period at the current
  // readiness level. A failed write is logged (rate-limited) and retried at the next due time.
  void write(int64_t nowMs, bool force, int64_t refreshMs);
  // Monotonic time of the next due write (INT64_MAX when not recording).
  int64_t nextWriteMs(int64_t refreshMs) const;

 private:
  // Writes row_ with synchronous = NORMAL, then restores FULL.
  common::Status writeWithoutSync();

  SQLite::Database& db_;
  LinkStateStore store_;
  const common::Clock& clock_;
  common::RateLimiter& logLimiter_;
  bool record_;
  LinkState row_;
  ErrorClass errorClass_ = ErrorClass::transient;
  bool dirty_ = true;
  int64_t lastWriteMs_ = 0;
};

}  // namespace samband::agent
