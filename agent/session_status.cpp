// The link_state row of a running session (see session_status.h).
#include "agent/session_status.h"

#include <climits>

namespace samband::agent {

namespace {

// `status` trusts a link_state row for this many refresh periods.
constexpr int64_t kStaleAfterRefreshes = 3;

}  // namespace

void SessionStatus::setError(const std::string& message, ErrorClass errorClass) {
  errorClass_ = errorClass;
  if (row_.lastError && *row_.lastError == message) return;
  row_.lastError = message;
  row_.lastErrorAt = clock_.nowMs();
  dirty_ = true;
}

void SessionStatus::clearError(ErrorClass errorClass) {
  if (!row_.lastError || errorClass_ != errorClass) return;
  row_.lastError.reset();
  dirty_ = true;
}

void SessionStatus::write(int64_t nowMs, bool force, int64_t refreshMs) {
  if (!record_) return;
  if (!force && nowMs < nextWriteMs(refreshMs)) return;
  row_.updatedAt = clock_.nowMs();
  row_.staleAfterMs = kStaleAfterRefreshes * refreshMs + 2000;
  if (common::Status s = writeWithoutSync(); !s) {
    uint64_t suppressed = 0;
    if (logLimiter_.allow(nowMs, &suppressed)) common::logWarn("agent", s.error().message);
  }
  dirty_ = false;
  lastWriteMs_ = nowMs;
}

common::Status SessionStatus::writeWithoutSync() {
  // The row is advisory and rewritten at every heartbeat, so its commit need not wait for the
  // disk (in WAL mode, synchronous = NORMAL: no fdatasync; the next FULL commit or checkpoint
  // syncs it). The connection goes back to FULL at once: the outbox's rows must be durable.
  try {
    db_.exec("PRAGMA synchronous = NORMAL");
  } catch (const std::exception&) {
    return store_.write(row_);  // then with the sync, as before
  }
  common::Status s = store_.write(row_);
  try {
    db_.exec("PRAGMA synchronous = FULL");
  } catch (const std::exception& e) {
    return common::internalError(std::string("cannot set PRAGMA synchronous = FULL again on ") +
                                 db_.getFilename() + ": " + e.what());
  }
  return s;
}

int64_t SessionStatus::nextWriteMs(int64_t refreshMs) const {
  if (!record_) return INT64_MAX;
  // Changes are written at most once a second (acks come by the hundred); otherwise the row is
  // refreshed every refresh period so `status` can tell a live agent from a dead one.
  return lastWriteMs_ + (dirty_ ? 1000 : refreshMs);
}

}  // namespace samband::agent
