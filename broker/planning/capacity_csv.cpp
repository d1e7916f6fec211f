// Capacity CSV reader and writer. Like the roster reader, it reports every problem with its line
// and never returns half a file.
#include "broker/planning/capacity_csv.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <map>
#include <optional>
#include <tuple>

#include "broker/planning/csv_records.h"
#include "common/ids.h"
#include "common/vocabulary.h"

namespace samband::broker {
namespace {

constexpr std::size_t kColumnCount = std::size(kCapacityColumns);
constexpr int kMaxYear = 13;       // as the agent's --capacity and the wire
constexpr int kMaxCount = 100000;  // as the agent's --capacity and the wire

enum Column { kUnit, kForm, kYear, kEnrolled, kSeatsNow, kSeats72h };

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string headerText() {
  std::string out;
  for (const char* c : kCapacityColumns) out += (out.empty() ? "" : ",") + std::string(c);
  return out;
}

std::string formList() {
  std::string out;
  for (int i = 0;; ++i) {
    const std::string name = common::schoolFormName(static_cast<common::SchoolForm>(i));
    if (name == "unknown") break;
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

// A whole number 0..max written with digits only.
std::optional<int> parseCount(std::string_view s, int max) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

bool isBlank(const CsvRecord& r) {
  return r.error.empty() && r.fields.size() == 1 && trim(r.fields[0]).empty();
}

class Problems {
 public:
  explicit Problems(std::vector<CapacityCsvError>& errors) : errors_(errors) {}
  void add(int line, const std::string& message) {
    errors_.push_back({line, "line " + std::to_string(line) + ": " + message});
  }

 private:
  std::vector<CapacityCsvError>& errors_;
};

// Column positions by name; nothing (and problems) if the header is unusable.
std::optional<std::array<std::size_t, kColumnCount>> readHeader(const CsvRecord& header,
                                                                Problems& problems) {
  const std::string expected = "; the first line must be " + headerText();
  if (!header.error.empty()) {
    problems.add(header.line, "the header is not a CSV record: " + header.error);
    return std::nullopt;
  }
  std::array<std::optional<std::size_t>, kColumnCount> found;
  bool ok = true;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const std::string_view name = trim(header.fields[i]);
    const auto* it = std::find_if(std::begin(kCapacityColumns), std::end(kCapacityColumns),
                                  [&](const char* c) { return name == c; });
    if (it == std::end(kCapacityColumns)) {
      problems.add(header.line,
                   "unknown column '" + std::string(name) + "' in the header" + expected);
      ok = false;
      continue;
    }
    auto& slot = found[static_cast<std::size_t>(it - std::begin(kCapacityColumns))];
    if (slot) {
      problems.add(header.line, "column '" + std::string(name) + "' appears twice in the header");
      ok = false;
      continue;
    }
    slot = i;
  }
  std::array<std::size_t, kColumnCount> positions{};
  for (std::size_t c = 0; c < kColumnCount; ++c) {
    if (!found[c]) {
      problems.add(header.line,
                   std::string("the header lacks column '") + kCapacityColumns[c] + "'" + expected);
      ok = false;
    } else {
      positions[c] = *found[c];
    }
  }
  if (!ok) return std::nullopt;
  return positions;
}

}  // namespace

CapacityParseResult parseCapacityCsv(std::string_view text,
                                     const std::set<std::string>& knownUnits) {
  std::vector<CapacityCsvError> errors;
  Problems problems(errors);
  CsvRecordReader reader(text);
  CsvRecord record;
  bool haveHeader = false;
  while (!haveHeader && reader.next(record)) haveHeader = !isBlank(record);
  if (!haveHeader) {
    problems.add(1, "the file is empty; the first line must be the header " + headerText());
    return errors;
  }
  const auto columns = readHeader(record, problems);
  if (!columns) return errors;

  std::vector<CapacityCsvRow> rows;
  std::map<std::tuple<std::string, std::string, int>, int> lineOf;
  while (reader.next(record)) {
    if (isBlank(record)) continue;
    const int line = record.line;
    if (!record.error.empty()) {
      problems.add(line, record.error);
      continue;
    }
    if (record.fields.size() != kColumnCount) {
      problems.add(line, "expected " + std::to_string(kColumnCount) + " fields (" + headerText() +
                             "), found " + std::to_string(record.fields.size()));
      continue;
    }
    const auto field = [&](Column c) { return std::string(trim(record.fields[(*columns)[c]])); };
    const std::size_t before = errors.size();
    CapacityCsvRow row;
    row.line = line;
    row.unit = field(kUnit);
    if (!common::isUnitCode(row.unit)) {
      problems.add(line, "unit '" + row.unit + "' must be an 8-digit school-unit code");
    } else if (knownUnits.count(row.unit) == 0) {
      problems.add(line, "unit " + row.unit +
                             " is not in the roster; import it with 'samband-broker roster "
                             "import' first, or correct the code");
    }
    row.form = field(kForm);
    common::SchoolForm form{};
    if (!common::parseSchoolForm(row.form, &form)) {
      problems.add(line, "unknown school_form '" + row.form + "'; use one of " + formList());
    }
    const std::string year = field(kYear);
    if (auto y = parseCount(year, kMaxYear)) {
      row.year = *y;
    } else {
      problems.add(line, "year '" + year + "' must be a whole number from 0 to " +
                             std::to_string(kMaxYear) + " (0 where the form has no years)");
    }
    for (const auto& [column, name, out] : {std::tuple{kEnrolled, "enrolled", &row.enrolled},
                                            std::tuple{kSeatsNow, "seats_now", &row.seatsNow},
                                            std::tuple{kSeats72h, "seats_72h", &row.seats72h}}) {
      const std::string value = field(column);
      if (auto n = parseCount(value, kMaxCount)) {
        *out = *n;
      } else {
        problems.add(line, std::string(name) + " '" + value +
                               "' must be a whole number from 0 to " + std::to_string(kMaxCount));
      }
    }
    if (errors.size() != before) continue;
    auto [it, inserted] = lineOf.emplace(std::tuple{row.unit, row.form, row.year}, line);
    if (!inserted) {
      problems.add(line, "unit " + row.unit + " " + row.form + " year " + std::to_string(row.year) +
                             " is already on line " + std::to_string(it->second) +
                             "; keep one row per unit, school form and year");
      continue;
    }
    rows.push_back(std::move(row));
  }
  if (!errors.empty()) return errors;
  return rows;
}

std::string writeCapacityCsv(const std::vector<CapacityCsvRow>& rows) {
  std::string out = headerText() + "\n";
  for (const auto& r : rows) {
    out += r.unit + "," + r.form + "," + std::to_string(r.year) + "," + std::to_string(r.enrolled) +
           "," + std::to_string(r.seatsNow) + "," + std::to_string(r.seats72h) + "\n";
  }
  return out;
}

}  // namespace samband::broker
