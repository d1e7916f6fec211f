// Capacity CSV: enrolled pupils and free seats per unit, school form and year, as the city's
// own registers hold them (`samband-broker capacity import` / `export`). The forms and years are
// the ones the agent's `--capacity` takes (common/vocabulary.h). Pure text in and out; the store
// and the CLI decide where the bytes come from and which units exist.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace samband::broker {

// The header, in the order the writer emits it. The reader accepts the columns in any order.
inline constexpr const char* kCapacityColumns[] = {"unit",     "school_form", "year",
                                                   "enrolled", "seats_now",   "seats_72h"};

// One line of the file.
struct CapacityCsvRow {
  std::string unit;  // 8-digit school-unit code
  std::string form;  // protocol name: forskola, forskoleklass, grundskola, ...
  int year = 0;      // 0..13 (0 where the form has no years)
  int enrolled = 0;  // 0..100000, as the agent's --capacity
  int seatsNow = 0;
  int seats72h = 0;
  int line = 0;  // where it was read (0 when not read from a file)

  friend bool operator==(const CapacityCsvRow& a, const CapacityCsvRow& b) {
    return a.unit == b.unit && a.form == b.form && a.year == b.year && a.enrolled == b.enrolled &&
           a.seatsNow == b.seatsNow && a.seats72h == b.seats72h;
  }
};

// One problem; `message` starts with "line N: " and says what to fix.
struct CapacityCsvError {
  int line = 0;
  std::string message;
};

using CapacityParseResult =
    std::variant<std::vector<CapacityCsvRow>, std::vector<CapacityCsvError>>;

// Parses a whole file. Returns every row, or, if anything is wrong, every problem found and no
// rows: a header that is not exactly the six columns (any order), a malformed CSV record, a unit
// that is not an 8-digit code or not in `knownUnits` (the roster), an unknown school form, a
// year outside 0..13, a count that is not a whole number from 0 to 100000, and a (unit, form,
// year) given on more than one line. Blank lines are skipped. seats_72h below seats_now is
// accepted, as from an agent: the planner reads the 72-hour figure as at least the one for now.
[[nodiscard]] CapacityParseResult parseCapacityCsv(std::string_view text,
                                                   const std::set<std::string>& knownUnits);

// Writes rows in the format parseCapacityCsv reads (header first, LF line ends), in the order
// given.
std::string writeCapacityCsv(const std::vector<CapacityCsvRow>& rows);

}  // namespace samband::broker
