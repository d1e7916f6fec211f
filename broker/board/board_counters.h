// BoardCounters: what the board refuses to protect itself (connections that never send their
// request, live streams beyond their share, login guesses), counted for /metrics. The board owns
// them; broker/metrics holds the process-wide counters, these are the board's own.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace samband::broker {

struct BoardCounters {
  // Connections refused at accept: too many from one address waiting to send a request head
  // (`per_address`), or too many waiting in all (`total`).
  std::atomic<uint64_t> connectionsRefusedPerAddress{0};
  std::atomic<uint64_t> connectionsRefusedTotal{0};
  // Connections closed because their request (head and body) had not arrived in time.
  std::atomic<uint64_t> requestTimeouts{0};
  // Connections closed because the request head grew beyond its limit.
  std::atomic<uint64_t> headsTooLarge{0};
  // Gauge: connections waiting for a request head (new or kept alive between requests).
  std::atomic<int64_t> connectionsWaiting{0};
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
