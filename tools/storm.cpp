// See storm.h.
#include "tools/storm.h"

#include <algorithm>

#include "tools/sim_random.h"

namespace samband::tools {

bool StormPlan::hits(size_t unit) const {
  return std::find(units.begin(), units.end(), unit) != units.end();
}

std::string StormPlan::districtNames() const {
  std::string out;
  for (size_t i = 0; i < districts.size(); ++i) {
    if (i > 0) out += i + 1 == districts.size() ? " and " : ", ";
    out += stockholmDistricts()[districts[i]].name;
  }
  return out;
}

StormPlan planStorm(const City& city, uint64_t seed) {
  // A stream of its own, so the storm does not shift when the city model draws more numbers.
  SimRandom rng(seed ^ 0x5354524f4d000000ULL);
  std::vector<size_t> populated;
  for (size_t d = 0; d < stockholmDistricts().size(); ++d) {
    for (const auto& u : city.units) {
      if (u.district == d) {
        populated.push_back(d);
        break;
      }
    }
  }
  StormPlan plan;
  if (populated.empty()) return plan;
  const size_t wanted = populated.size() > 1 && rng.chance(0.6) ? 2 : 1;
  while (plan.districts.size() < wanted) {
    const size_t d = rng.pick(populated);
    if (std::find(plan.districts.begin(), plan.districts.end(), d) == plan.districts.end()) {
      plan.districts.push_back(d);
    }
  }
  std::sort(plan.districts.begin(), plan.districts.end());
  for (size_t u = 0; u < city.units.size(); ++u) {
    if (std::find(plan.districts.begin(), plan.districts.end(), city.units[u].district) !=
        plan.districts.end()) {
      plan.units.push_back(u);
    }
  }
  // The private provider most exposed to the storm; ties go to the larger one.
  size_t bestHit = 0;
  size_t bestSize = 0;
  for (size_t p = 0; p < city.providers.size(); ++p) {
    if (city.providers[p].isCity) continue;
    size_t hit = 0;
    for (size_t u : city.providers[p].units) hit += plan.hits(u) ? 1 : 0;
    const size_t size = city.providers[p].units.size();
    if (!plan.failingProvider || hit > bestHit || (hit == bestHit && size > bestSize)) {
      plan.failingProvider = p;
      bestHit = hit;
      bestSize = size;
    }
  }
  return plan;
}

}  // namespace samband::tools
