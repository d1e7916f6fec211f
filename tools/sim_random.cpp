// See sim_random.h.
#include "tools/sim_random.h"

#include <cmath>

namespace samband::tools {

namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

double SimRandom::normal() {
  // 1 - unit() is in (0, 1], so the logarithm is finite.
  const double u1 = 1.0 - unit();
  const double u2 = unit();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

size_t SimRandom::weighted(const std::vector<double>& weights) {
  double total = 0;
  for (double w : weights) total += w;
  double x = unit() * total;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  return weights.empty() ? 0 : weights.size() - 1;
}

}  // namespace samband::tools
