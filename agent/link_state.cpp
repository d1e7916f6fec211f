// The link_state row.
#include "agent/link_state.h"

#include <signal.h>

#include <cerrno>

namespace samband::agent {

namespace {

template <typename T>
void bindOptional(SQLite::Statement& s, int index, const std::optional<T>& v) {
  if (v) {
    s.bind(index, *v);
  } else {
    s.bind(index);
  }
}

std::optional<int64_t> optionalInt(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

}  // namespace

bool LinkState::isLive(int64_t nowMs) const {
  if (!running || pid <= 0) return false;
  if (nowMs - updatedAt > staleAfterMs) return false;
  // EPERM: the process exists but belongs to another user (status run by a monitoring account).
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

common::Status LinkStateStore::write(const LinkState& st) {
  try {
    SQLite::Statement u(db_,
                        "UPDATE link_state SET running = ?, pid = ?, connected = ?, level = ?, "
                        "last_error = ?, last_error_at = ?, last_connected_at = ?, "
                        "last_ack_at = ?, stale_after_ms = ?, updated_at = ?, clock_offset_ms = ? "
                        "WHERE id = 1");
    u.bind(1, st.running ? 1 : 0);
    u.bind(2, st.pid);
    u.bind(3, st.connected ? 1 : 0);
    u.bind(4, st.level);
    bindOptional(u, 5, st.lastError);
    bindOptional(u, 6, st.lastErrorAt);
    bindOptional(u, 7, st.lastConnectedAt);
    bindOptional(u, 8, st.lastAckAt);
    u.bind(9, st.staleAfterMs);
    u.bind(10, st.updatedAt);
    bindOptional(u, 11, st.clockOffsetMs);
    u.exec();
    return {};
  } catch (const std::exception& e) {
    return common::unavailable("cannot record the link state in " + db_.getFilename() + ": " +
                               e.what());
  }
}

common::Result<LinkState> LinkStateStore::read() {
  try {
    SQLite::Statement q(db_,
                        "SELECT running, pid, connected, level, last_error, last_error_at, "
                        "last_connected_at, last_ack_at, stale_after_ms, updated_at, "
                        "clock_offset_ms FROM link_state WHERE id = 1");
    LinkState st;
    if (!q.executeStep()) return st;
    st.running = q.getColumn(0).getInt() != 0;
    st.pid = q.getColumn(1).getInt();
    st.connected = q.getColumn(2).getInt() != 0;
    st.level = q.getColumn(3).getString();
    if (!q.getColumn(4).isNull()) st.lastError = q.getColumn(4).getString();
    st.lastErrorAt = optionalInt(q.getColumn(5));
    st.lastConnectedAt = optionalInt(q.getColumn(6));
    st.lastAckAt = optionalInt(q.getColumn(7));
    st.staleAfterMs = q.getColumn(8).getInt64();
    st.updatedAt = q.getColumn(9).getInt64();
    st.clockOffsetMs = optionalInt(q.getColumn(10));
    return st;
  } catch (const std::exception& e) {
    return common::unavailable("cannot read the link state from " + db_.getFilename() + ": " +
                               e.what());
  }
}

}  // namespace samband::agent
