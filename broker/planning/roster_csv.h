// Roster CSV: the list of school units, their provider, district, position and the school
// forms and years they teach, as the education office keeps it in a spreadsheet. Pure text
// in and out (RFC 4180); the store and the CLI decide where the bytes come from.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/planning/planner.h"

namespace samband::broker {

// Column names in the order the writer emits them. The reader accepts any order.
inline constexpr const char* kRosterColumns[] = {
    "unit_code", "unit_name", "provider_id", "district", "lat", "lon", "school_forms"};

// One roster line. `classes` is sorted by (form, year) and has no duplicates.
struct RosterRow {
  Unit unit;
  std::vector<ClassKey> classes;

  friend bool operator==(const RosterRow& a, const RosterRow& b);
};

// One problem in the input. `message` starts with "line N: " and says what to fix.
struct RosterError {
  int line = 0;  // 1-based physical line where the record starts
  std::string message;
};

using RosterParseResult = std::variant<std::vector<RosterRow>, std::vector<RosterError>>;

// Parses a whole roster file (UTF-8, optional BOM, LF or CRLF). A header row naming every
// column of kRosterColumns (any order, no others) is required. Returns every row, or, if
// anything is wrong, every error found and no rows. Rules: unit_code exactly 8 digits and
// unique; unit_name non-empty valid UTF-8; provider_id NNNNNN-NNNN; lat -90..90 and lon
// -180..180, both given or both empty (= unknown position); school_forms a ';'-separated
// list of form:year or form:fromYear-toYear with years 0..13 and forms named as in the
// protocol (common/vocabulary.h: forskola, forskoleklass, grundskola, ...).
[[nodiscard]] RosterParseResult parseRosterCsv(std::string_view text);

// Writes rows in the format parseRosterCsv reads (header, LF line ends, fields quoted only
// when needed, consecutive years joined into ranges), so that parse(write(rows)) == rows
// for rows that parse would accept.
std::string writeRosterCsv(const std::vector<RosterRow>& rows);

}  // namespace samband::broker
