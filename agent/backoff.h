// Backoff: jittered exponential reconnect delays. Each wait is drawn uniformly from half to all
// of the current step; the step doubles from `minMs` up to `maxMs` and resets after a
// successful connection. The jitter spreads thousands of agents over the window after a broker
// restart instead of bringing them back in the same second.
#pragma once

#include <cstdint>
#include <random>

namespace samband::agent {

class Backoff {
 public:
  // `seed` makes the sequence reproducible in tests; give each agent its own.
  Backoff(int64_t minMs, int64_t maxMs, uint64_t seed);

  // The next wait, in [step/2, step]; then doubles the step (capped at maxMs).
  int64_t nextDelayMs();
  // Back to the minimum step (after a handshake succeeded).
  void reset() { stepMs_ = minMs_; }
  int64_t currentStepMs() const { return stepMs_; }

 private:
  int64_t minMs_;
  int64_t maxMs_;
  int64_t stepMs_;
  std::mt19937_64 rng_;
};

}  // namespace samband::agent
