// See liveness.h.
#include "broker/picture/liveness.h"

namespace samband::broker {

const char* livenessOf(std::optional<int64_t> lastSeenMs, int64_t nowMs, const LivenessRules& r) {
  if (!lastSeenMs) return "never";
  int64_t age = nowMs - *lastSeenMs;
  if (age <= r.staleAfterMs) return "online";
  if (age <= r.offlineAfterMs) return "stale";
  return "offline";
}

}  // namespace samband::broker
