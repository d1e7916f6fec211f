// StormPlan: which part of the simulated city the "storm" scenario hits. A storm cuts the power
// grid in one or two districts, and one private provider with units there gives up. Chosen
// deterministically from the city's seed so a demo tells the same story every time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/city_model.h"

namespace samband::tools {

struct StormPlan {
  std::vector<size_t> districts;          // indexes into stockholmDistricts()
  std::vector<size_t> units;              // units in those districts (indexes into City::units)
  std::optional<size_t> failingProvider;  // index into City::providers; none without private ones

  bool hits(size_t unit) const;
  // "Farsta and Skarpnäck".
  std::string districtNames() const;
};

// Picks one or two districts that hold units, and the private provider with the most units in
// them (or, when none has any, the one with the most units anywhere).
StormPlan planStorm(const City& city, uint64_t seed);

}  // namespace samband::tools
