// Roll-up configuration (docs/rollup.md): the broker's tier (`[broker] tier`), and on a city
// broker the `[upstream]` table naming the county or national broker it relays to.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace samband::broker {

// A city broker serves agents; a county or national broker (an upstream) serves cities only.
enum class Tier { city, county, national };

const char* tierName(Tier t);

struct UpstreamOptions {
  // The upstream's endpoint (its [broker] listen) and its transport key (the curve_public that
  // `enroll-city` printed). Empty broker: this city relays nowhere.
  std::string broker;
  std::array<uint8_t, 32> curvePublic{};
  // How long the relay waits for a pull before it says hello again on a fresh connection.
  int64_t helloAfterMs = 6000;

  bool enabled() const { return !broker.empty(); }
};

}  // namespace samband::broker
