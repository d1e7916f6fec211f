// The failover policy: when to leave the current broker and when to return to the preferred one.
#include "agent/broker_failover.h"

#include <algorithm>
#include <cassert>

namespace samband::agent {

BrokerFailover::BrokerFailover(size_t count, FailoverSettings settings, uint64_t seed)
    : count_(std::max<size_t>(1, count)), settings_(settings), rng_(seed ^ 0x5bd1e995ULL) {}

void BrokerFailover::onUp() {
  failures_ = 0;
  firstFailureMs_ = 0;
}

bool BrokerFailover::onFailure(int64_t nowMs) {
  if (failures_ == 0) firstFailureMs_ = nowMs;
  ++failures_;
  if (count_ < 2) return false;
  if (failures_ < 2) return false;
  // A broker that refuses at once (a closed port) fails fast and often; one whose packets are
  // dropped fails once per handshake timeout. Either way the bound is the time since the first
  // failure, with a count as a backstop against a clock that does not move in tests.
  const int64_t manyFailures = 2 + settings_.failoverAfterMs / 200;
  return nowMs - firstFailureMs_ >= settings_.failoverAfterMs || failures_ >= manyFailures;
}

void BrokerFailover::moveTo(size_t index) {
  assert(index < count_ && "BrokerFailover::moveTo: index out of range");
  current_ = index;
  failures_ = 0;
  firstFailureMs_ = 0;
  failbackAtMs_.reset();
}

void BrokerFailover::onPreferredReachable(int64_t nowMs) {
  if (current_ == 0 || failbackAtMs_) return;
  std::uniform_int_distribution<int64_t> pick(0, std::max<int64_t>(0, settings_.failbackJitterMs));
  failbackAtMs_ = nowMs + pick(rng_);
}

}  // namespace samband::agent
