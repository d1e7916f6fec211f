// Roster CSV reader and writer (RFC 4180 quoting, UTF-8). The reader validates every field
// and reports all problems with line numbers; it never returns a half-read roster.
#include "broker/planning/roster_csv.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <iterator>
#include <map>
#include <optional>
#include <tuple>

#include "broker/planning/csv_records.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/vocabulary.h"

namespace samband::broker {
namespace {

constexpr int kMaxYear = 13;
constexpr std::size_t kColumnCount = std::size(kRosterColumns);

enum Column { kUnitCode, kUnitName, kProviderId, kDistrict, kLat, kLon, kSchoolForms };

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool isDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Well-formed UTF-8: no stray continuation bytes, overlong forms, surrogates or code points
// above U+10FFFF.
bool isValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    unsigned code = 0;
    unsigned smallest = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      code = lead & 0x1F;
      smallest = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      code = lead & 0x0F;
      smallest = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      code = lead & 0x07;
      smallest = 0x10000;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < smallest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

bool hasControlCharacter(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

std::optional<double> parseNumber(std::string_view s) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<int> parseYear(std::string_view s) {
  if (s.empty() || s.size() > 3 || !isDigits(s)) return std::nullopt;
  int value = 0;
  std::from_chars(s.data(), s.data() + s.size(), value);
  return value;
}

// The protocol's school-form names, for error messages.
std::string knownFormList() {
  std::string out;
  for (int i = 0;; ++i) {
    const std::string_view name = common::schoolFormName(static_cast<common::SchoolForm>(i));
    if (name == "unknown") break;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

bool isKnownSchoolForm(const std::string& form) {
  common::SchoolForm parsed{};
  return common::parseSchoolForm(form, &parsed);
}

// Collects the problems of one record, each prefixed with its line.
class RowChecker {
 public:
  RowChecker(int line, std::vector<RosterError>& errors) : line_(line), errors_(errors) {}

  void fail(const std::string& message) {
    errors_.push_back({line_, "line " + std::to_string(line_) + ": " + message});
    ok_ = false;
  }
  bool ok() const { return ok_; }

 private:
  int line_;
  std::vector<RosterError>& errors_;
  bool ok_ = true;
};

void checkText(RowChecker& check, const char* column, std::string_view value) {
  if (!isValidUtf8(value)) {
    check.fail(std::string(column) + " is not valid UTF-8; save the file as UTF-8");
  } else if (hasControlCharacter(value)) {
    check.fail(std::string(column) + " must not contain line breaks or control characters");
  } else if (value.size() > common::kMaxShortText) {
    // The city's signed roster records carry it (issue 15) and hold it to this bound.
    check.fail(std::string(column) + " is longer than " + std::to_string(common::kMaxShortText) +
               " bytes; shorten it");
  }
}

std::optional<double> checkCoordinate(RowChecker& check, const char* column, std::string_view value,
                                      double limit) {
  if (value.empty()) return std::nullopt;
  const auto number = parseNumber(value);
  if (!number || *number < -limit || *number > limit) {
    const std::string range = limit == 90.0 ? "-90 to 90" : "-180 to 180";
    check.fail(std::string(column) + " '" + std::string(value) + "' must be a number from " +
               range + " with a decimal point, or empty if unknown");
    return std::nullopt;
  }
  return number;
}

std::vector<ClassKey> checkSchoolForms(RowChecker& check, std::string_view list) {
  std::vector<ClassKey> classes;
  while (!list.empty()) {
    const std::size_t semi = list.find(';');
    const std::string_view item = trim(list.substr(0, semi));
    list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
    if (item.empty()) continue;
    const std::string quoted = "'" + std::string(item) + "'";
    const std::size_t colon = item.find(':');
    if (colon == std::string_view::npos) {
      check.fail("school_forms entry " + quoted +
                 " must be form:year or form:fromYear-toYear (e.g. grundskola:1-9)");
      continue;
    }
    const std::string form(trim(item.substr(0, colon)));
    const std::string_view years = trim(item.substr(colon + 1));
    if (!isKnownSchoolForm(form)) {
      check.fail("unknown school form '" + form + "' in school_forms; use one of " +
                 knownFormList());
      continue;
    }
    const std::size_t dash = years.find('-');
    const auto from = parseYear(trim(years.substr(0, dash)));
    const auto to = dash == std::string_view::npos ? from : parseYear(trim(years.substr(dash + 1)));
    if (!from || !to) {
      check.fail("school_forms entry " + quoted +
                 " must be form:year or form:fromYear-toYear (e.g. grundskola:1-9)");
      continue;
    }
    if (*from > kMaxYear || *to > kMaxYear) {
      check.fail("school_forms entry " + quoted + ": years must be 0 to " +
                 std::to_string(kMaxYear));
      continue;
    }
    if (*from > *to) {
      check.fail("school_forms entry " + quoted + ": fromYear is after toYear");
      continue;
    }
    for (int year = *from; year <= *to; ++year) classes.push_back({form, year});
  }
  std::sort(classes.begin(), classes.end());
  for (std::size_t i = 1; i < classes.size(); ++i) {
    if (classes[i] == classes[i - 1]) {
      check.fail("school_forms lists " + classes[i].form + ":" + std::to_string(classes[i].year) +
                 " more than once");
      break;
    }
  }
  return classes;
}

// Maps header names to columns; empty optional (and errors) if the header is unusable.
std::optional<std::array<std::size_t, kColumnCount>> readHeader(const CsvRecord& header,
                                                                std::vector<RosterError>& errors) {
  RowChecker check(header.line, errors);
  if (!header.error.empty()) {
    check.fail(header.error);
    return std::nullopt;
  }
  std::array<std::optional<std::size_t>, kColumnCount> found;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const std::string_view name = trim(header.fields[i]);
    const auto* it = std::find_if(std::begin(kRosterColumns), std::end(kRosterColumns),
                                  [&](const char* c) { return name == c; });
    if (it == std::end(kRosterColumns)) {
      check.fail("unknown column '" + std::string(name) + "' in the header");
      continue;
    }
    auto& slot = found[static_cast<std::size_t>(it - std::begin(kRosterColumns))];
    if (slot) {
      check.fail("column '" + std::string(name) + "' appears twice in the header");
      continue;
    }
    slot = i;
  }
  std::array<std::size_t, kColumnCount> positions{};
  for (std::size_t c = 0; c < kColumnCount; ++c) {
    if (!found[c]) {
      check.fail(std::string("the header lacks column '") + kRosterColumns[c] + "'");
    } else {
      positions[c] = *found[c];
    }
  }
  if (!check.ok()) return std::nullopt;
  return positions;
}

bool isBlank(const CsvRecord& r) {
  return r.error.empty() && r.fields.size() == 1 && trim(r.fields[0]).empty();
}

bool needsQuotes(std::string_view s) {
  return s.find_first_of(",\"\r\n") != std::string_view::npos;
}

void appendField(std::string& out, std::string_view s) {
  if (!needsQuotes(s)) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string formatNumber(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

std::string formatSchoolForms(std::vector<ClassKey> classes) {
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  std::string out;
  for (std::size_t i = 0; i < classes.size();) {
    std::size_t j = i;
    while (j + 1 < classes.size() && classes[j + 1].form == classes[i].form &&
           classes[j + 1].year == classes[j].year + 1) {
      ++j;
    }
    if (!out.empty()) out += ';';
    out += classes[i].form + ":" + std::to_string(classes[i].year);
    if (j > i) out += "-" + std::to_string(classes[j].year);
    i = j + 1;
  }
  return out;
}

}  // namespace

bool operator==(const RosterRow& a, const RosterRow& b) {
  const auto position = [](const Unit& u) {
    return u.position ? std::make_tuple(true, u.position->lat, u.position->lon)
                      : std::make_tuple(false, 0.0, 0.0);
  };
  return a.unit.code == b.unit.code && a.unit.name == b.unit.name &&
         a.unit.providerId == b.unit.providerId && a.unit.district == b.unit.district &&
         position(a.unit) == position(b.unit) && a.classes == b.classes;
}

RosterParseResult parseRosterCsv(std::string_view text) {
  std::vector<RosterError> errors;
  CsvRecordReader reader(text);
  CsvRecord record;
  bool haveHeader = false;
  while (!haveHeader && reader.next(record)) haveHeader = !isBlank(record);
  if (!haveHeader) {
    errors.push_back({1, "line 1: the file is empty; the first line must be the header " +
                             std::string("unit_code,unit_name,provider_id,district,lat,lon,"
                                         "school_forms")});
    return errors;
  }
  const auto columns = readHeader(record, errors);
  if (!columns) return errors;

  std::vector<RosterRow> rows;
  std::map<std::string, int> lineOfCode;
  while (reader.next(record)) {
    if (isBlank(record)) continue;
    RowChecker check(record.line, errors);
    if (!record.error.empty()) {
      check.fail(record.error);
      continue;
    }
    if (record.fields.size() != kColumnCount) {
      check.fail("expected " + std::to_string(kColumnCount) + " fields, found " +
                 std::to_string(record.fields.size()) + "; quote fields that contain commas");
      continue;
    }
    const auto field = [&](Column c) { return trim(record.fields[(*columns)[c]]); };
    RosterRow row;
    const std::string_view code = field(kUnitCode);
    if (!common::isUnitCode(std::string(code))) {
      check.fail("unit_code '" + std::string(code) + "' must be 8 digits");
    } else if (auto [it, inserted] = lineOfCode.emplace(std::string(code), record.line);
               !inserted) {
      check.fail("unit_code '" + std::string(code) + "' is already used on line " +
                 std::to_string(it->second));
    }
    const std::string_view name = field(kUnitName);
    if (name.empty()) {
      check.fail("unit_name must not be empty");
    } else {
      checkText(check, "unit_name", name);
    }
    const std::string_view provider = field(kProviderId);
    if (!common::isProviderId(std::string(provider))) {
      check.fail("provider_id '" + std::string(provider) +
                 "' must be an organisation number NNNNNN-NNNN (e.g. 556677-8899)");
    }
    const std::string_view district = field(kDistrict);
    checkText(check, "district", district);
    const auto lat = checkCoordinate(check, "lat", field(kLat), 90.0);
    const auto lon = checkCoordinate(check, "lon", field(kLon), 180.0);
    if (field(kLat).empty() != field(kLon).empty()) {
      check.fail("lat and lon must both be given or both be empty");
    }
    row.classes = checkSchoolForms(check, field(kSchoolForms));
    if (!check.ok()) continue;
    row.unit.code = std::string(code);
    row.unit.name = std::string(name);
    row.unit.providerId = std::string(provider);
    row.unit.district = std::string(district);
    if (lat && lon) row.unit.position = GeoPoint{*lat, *lon};
    rows.push_back(std::move(row));
  }
  if (!errors.empty()) return errors;
  return rows;
}

std::string writeRosterCsv(const std::vector<RosterRow>& rows) {
  std::string out;
  for (std::size_t c = 0; c < kColumnCount; ++c) {
    if (c > 0) out += ',';
    out += kRosterColumns[c];
  }
  out += '\n';
  for (const RosterRow& row : rows) {
    const Unit& u = row.unit;
    appendField(out, u.code);
    out += ',';
    appendField(out, u.name);
    out += ',';
    appendField(out, u.providerId);
    out += ',';
    appendField(out, u.district);
    out += ',';
    if (u.position) out += formatNumber(u.position->lat);
    out += ',';
    if (u.position) out += formatNumber(u.position->lon);
    out += ',';
    appendField(out, formatSchoolForms(row.classes));
    out += '\n';
  }
  return out;
}

}  // namespace samband::broker
