// Fuzz target `roster_csv`: the roster file (broker/planning/roster_csv.h, imported by the city)
// must give rows or errors, never crash; rows it accepts are written and read back the same.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "broker/planning/roster_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace samband::broker;
  auto parsed = parseRosterCsv(std::string_view(reinterpret_cast<const char*>(data), size));
  auto* rows = std::get_if<std::vector<RosterRow>>(&parsed);
  if (rows == nullptr) return 0;
  auto again = parseRosterCsv(writeRosterCsv(*rows));
  auto* back = std::get_if<std::vector<RosterRow>>(&again);
  if (back == nullptr || *back != *rows) __builtin_trap();
  return 0;
}
