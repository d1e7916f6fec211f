// Fuzz target `capacity_csv`: the city's capacity file (broker/planning/capacity_csv.h, read by
// `samband-broker capacity import`) must give rows or errors, never crash; rows it accepts are
// written and read back the same.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "broker/planning/capacity_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace samband::broker;
  static const std::set<std::string> kRoster = {"12345678", "87654321", "20000001"};
  auto parsed =
      parseCapacityCsv(std::string_view(reinterpret_cast<const char*>(data), size), kRoster);
  auto* rows = std::get_if<std::vector<CapacityCsvRow>>(&parsed);
  if (rows == nullptr) return 0;
  auto again = parseCapacityCsv(writeCapacityCsv(*rows), kRoster);
  auto* back = std::get_if<std::vector<CapacityCsvRow>>(&again);
  if (back == nullptr || *back != *rows) __builtin_trap();
  return 0;
}
