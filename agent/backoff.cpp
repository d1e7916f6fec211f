// Jittered exponential backoff.
#include "agent/backoff.h"

#include <algorithm>

namespace samband::agent {

Backoff::Backoff(int64_t minMs, int64_t maxMs, uint64_t seed)
    : minMs_(std::max<int64_t>(1, minMs)),
      maxMs_(std::max(minMs_, maxMs)),
      stepMs_(minMs_),
      rng_(seed) {}

int64_t Backoff::nextDelayMs() {
  std::uniform_int_distribution<int64_t> pick(stepMs_ / 2, stepMs_);
  int64_t delay = pick(rng_);
  stepMs_ = std::min(maxMs_, stepMs_ * 2);
  return delay;
}

}  // namespace samband::agent
