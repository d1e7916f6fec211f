// Liveness: how the picture names a provider's connection state (online, stale, offline, never)
// from the time of its last accepted frame. Pure; used by the view, the board and its watcher.
#pragma once

#include <cstdint>
#include <optional>

namespace samband::broker {

// [liveness] of broker.toml.
struct LivenessRules {
  int64_t staleAfterMs = 90'000;
  int64_t offlineAfterMs = 300'000;
};

// "online" | "stale" | "offline" | "never", from the time of the last accepted frame.
const char* livenessOf(std::optional<int64_t> lastSeenMs, int64_t nowMs, const LivenessRules& r);

}  // namespace samband::broker
