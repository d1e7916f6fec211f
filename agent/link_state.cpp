// The link_state row.
#include "agent/link_state.h"

#include <signal.h>

#include <cerrno>
#include <nlohmann/json.hpp>

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

std::string brokersJson(const std::vector<BrokerReach>& brokers) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& b : brokers) {
    nlohmann::json j;
    j["endpoint"] = b.endpoint;
    j["reachable"] = b.reachable ? nlohmann::json(*b.reachable) : nlohmann::json(nullptr);
    j["last_up_at"] = b.lastUpAt ? nlohmann::json(*b.lastUpAt) : nlohmann::json(nullptr);
    j["last_failure"] = b.lastFailure ? nlohmann::json(*b.lastFailure) : nlohmann::json(nullptr);
    j["last_failure_at"] =
        b.lastFailureAt ? nlohmann::json(*b.lastFailureAt) : nlohmann::json(nullptr);
    a.push_back(std::move(j));
  }
  return a.dump();
}

// Written by this program only; anything unreadable reads as no brokers.
std::vector<BrokerReach> parseBrokers(const std::string& text) {
  std::vector<BrokerReach> out;
  auto a = nlohmann::json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& j : a) {
    if (!j.is_object() || !j.contains("endpoint") || !j["endpoint"].is_string()) continue;
    BrokerReach b;
    b.endpoint = j["endpoint"].get<std::string>();
    if (j.contains("reachable") && j["reachable"].is_boolean()) {
      b.reachable = j["reachable"].get<bool>();
    }
    if (j.contains("last_up_at") && j["last_up_at"].is_number_integer()) {
      b.lastUpAt = j["last_up_at"].get<int64_t>();
    }
    if (j.contains("last_failure") && j["last_failure"].is_string()) {
      b.lastFailure = j["last_failure"].get<std::string>();
    }
    if (j.contains("last_failure_at") && j["last_failure_at"].is_number_integer()) {
      b.lastFailureAt = j["last_failure_at"].get<int64_t>();
    }
    out.push_back(std::move(b));
  }
  return out;
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
                        "last_ack_at = ?, stale_after_ms = ?, updated_at = ?, clock_offset_ms = ?, "
                        "broker = ?, brokers = ?, failovers = ?, failbacks = ? WHERE id = 1");
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
    bindOptional(u, 12, st.broker);
    u.bind(13, brokersJson(st.brokers));
    u.bind(14, st.failovers);
    u.bind(15, st.failbacks);
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
                        "clock_offset_ms, broker, brokers, failovers, failbacks FROM link_state "
                        "WHERE id = 1");
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
    if (!q.getColumn(11).isNull()) st.broker = q.getColumn(11).getString();
    if (!q.getColumn(12).isNull()) st.brokers = parseBrokers(q.getColumn(12).getString());
    st.failovers = q.getColumn(13).getInt64();
    st.failbacks = q.getColumn(14).getInt64();
    return st;
  } catch (const std::exception& e) {
    return common::unavailable("cannot read the link state from " + db_.getFilename() + ": " +
                               e.what());
  }
}

}  // namespace samband::agent
