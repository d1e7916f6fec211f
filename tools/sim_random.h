// SimRandom: the simulator's source of randomness. The engine (mt19937_64) is fully specified
// by the C++ standard, but the standard distributions are not, so the helpers here are written
// out: a seed gives the same city on every compiler and standard library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace samband::tools {

class SimRandom {
 public:
  explicit SimRandom(uint64_t seed) : engine_(seed) {}

  uint64_t next() { return engine_(); }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0); }
  // Uniform integer in [lo, hi] (hi >= lo).
  int64_t between(int64_t lo, int64_t hi) {
    const auto span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(engine_() % span);
  }
  // Uniform in [lo, hi).
  double real(double lo, double hi) { return lo + (hi - lo) * unit(); }
  bool chance(double p) { return unit() < p; }
  // Standard normal (Box-Muller), for scattering positions.
  double normal();
  // An index drawn with probability proportional to `weights` (not all zero).
  size_t weighted(const std::vector<double>& weights);
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(between(0, static_cast<int64_t>(items.size()) - 1))];
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace samband::tools
