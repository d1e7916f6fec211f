// BoardCounters: what the board refuses to protect itself (connections that never send their
// request, live streams beyond their share, login guesses), counted for /metrics. The board owns
// them; broker/metrics holds the process-wide counters, these are the board's own. The HTTP
// gate's share is web::GateCounters (web/gate_counters.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "web/gate_counters.h"

namespace samband::broker {

// The gate's counters (connections refused, timed out, heads too large, waiting) come first.
struct BoardCounters : web::GateCounters {
  // Live streams refused: per session, per address, or because half the threads stream.
  std::atomic<uint64_t> streamsRefusedPerSession{0};
  std::atomic<uint64_t> streamsRefusedPerAddress{0};
  std::atomic<uint64_t> streamsRefusedTotal{0};
  // Passwords actually verified (argon2id) at login.
  std::atomic<uint64_t> passwordChecks{0};
  // Lock windows begun, by what they lock: one name from one address, one address, or one name
  // for every address that has been failing.
  std::atomic<uint64_t> lockoutsNameAddress{0};
  std::atomic<uint64_t> lockoutsAddress{0};
  std::atomic<uint64_t> lockoutsName{0};
  // Login attempts answered 429 without checking the password.
  std::atomic<uint64_t> loginsThrottled{0};
};

// The counters in Prometheus text format 0.0.4 (names in docs/board.md), to append to /metrics.
std::string renderBoardCounters(const BoardCounters& counters);

}  // namespace samband::broker
