// GateCounters: what a GatedServer refuses to protect its server (connections that never send
// their request, too many from one address, heads too large), counted for the owner's /metrics.
// The owner keeps them (the board's BoardCounters extends them) and they must outlive the server.
// Written by the server's threads, read from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace samband::web {

struct GateCounters {
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
};

}  // namespace samband::web
