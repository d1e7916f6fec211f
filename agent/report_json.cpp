// See report_json.h.
#include "agent/report_json.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>

#include "common/limits.h"

namespace samband::agent {

namespace {

using nlohmann::json;

const char* const kResources[] = {"heating", "water", "food", "it", "telephony"};

common::Error badField(const std::string& field, const std::string& why) {
  return common::invalidInput("field '" + field + "': " + why);
}

// A required-string field: the text, or an error naming the field.
common::Result<std::string> text(const json& v, const std::string& field) {
  if (!v.is_string()) return badField(field, "must be a string");
  return v.get<std::string>();
}

// Texts that may be emptied: null or "" clears (`clear` set), else the text.
common::Status clearableText(const json& v, const std::string& field,
                             std::optional<std::string>* out, bool* clear) {
  if (v.is_null() || (v.is_string() && v.get<std::string>().empty())) {
    if (clear == nullptr) return badField(field, "cannot be emptied");
    *clear = true;
    return {};
  }
  auto t = text(v, field);
  if (!t) return t.error();
  *out = std::move(*t);
  return {};
}

common::Status count(const json& v, const std::string& field, std::optional<int64_t>* out) {
  if (v.is_null() || (v.is_string() && v.get<std::string>() == "unknown")) {
    *out = kUnknownCount;
    return {};
  }
  if (!v.is_number_integer() && !v.is_number_unsigned()) {
    return badField(field, "must be a whole number, or null for unknown");
  }
  if (v.is_number_unsigned() && v.get<uint64_t>() > 1'000'000'000ULL) {
    return badField(field, "is far too large");
  }
  *out = v.get<int64_t>();
  return {};
}

// A capacity row {"form", "year", "enrolled", "seats_now", "seats_72h"} as the CLI's
// FORM:YEAR:ENROLLED:NOW:72H (report_request.cpp checks the values and names the row).
common::Result<std::string> capacityRow(const json& row, const std::string& field) {
  if (!row.is_object()) {
    return badField(field,
                    "must be an object {\"form\", \"year\", \"enrolled\", \"seats_now\", "
                    "\"seats_72h\"}");
  }
  static const char* const kKeys[] = {"form", "year", "enrolled", "seats_now", "seats_72h"};
  for (const auto& [key, value] : row.items()) {
    (void)value;
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return badField(field + "." + key,
                      "is not a capacity field; use form, year, enrolled, seats_now, seats_72h");
    }
  }
  std::string out;
  for (const char* key : kKeys) {
    const std::string name = field + "." + key;
    if (!row.contains(key)) return badField(name, "is missing");
    const json& v = row.at(key);
    if (std::string(key) == "form") {
      auto t = text(v, name);
      if (!t) return t.error();
      if (t->find(':') != std::string::npos) return badField(name, "is not a school form");
      out += *t;
    } else {
      if (!v.is_number_integer() && !v.is_number_unsigned()) {
        return badField(name, "must be a whole number");
      }
      if (v.get<int64_t>() < 0 || v.get<int64_t>() > 100000) {
        return badField(name, "must be from 0 to 100000");
      }
      out += ":" + std::to_string(v.get<int64_t>());
    }
  }
  return out;
}

common::Status capacity(const json& v, ReportRequest* r) {
  // Either the list itself, or `last --json`'s {"reported_at": ..., "entries": [...]}.
  const json* list = &v;
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      (void)value;
      if (key != "entries" && key != "reported_at") {
        return badField("capacity." + key, "is not a capacity field; give a list of rows");
      }
    }
    if (!v.contains("entries")) return badField("capacity", "has no \"entries\" list");
    list = &v.at("entries");
  }
  if (!list->is_array()) return badField("capacity", "must be a list of rows");
  if (list->size() > common::kMaxCapacityEntries) {
    return badField("capacity",
                    "has more than " + std::to_string(common::kMaxCapacityEntries) + " rows");
  }
  for (size_t i = 0; i < list->size(); ++i) {
    auto row = capacityRow((*list)[i], "capacity[" + std::to_string(i) + "]");
    if (!row) return row.error();
    r->capacity.push_back(std::move(*row));
  }
  return {};
}

common::Status resource(const json& v, const std::string& name, const std::string& field,
                        ReportRequest* r) {
  std::optional<std::string>* target = name == "heating" ? &r->heating
                                       : name == "water" ? &r->water
                                       : name == "food"  ? &r->food
                                       : name == "it"    ? &r->it
                                                         : &r->telephony;
  auto t = text(v, field);
  if (!t) return t.error();
  *target = std::move(*t);
  return {};
}

}  // namespace

common::Result<ReportRequest> parseReportJson(std::string_view body) {
  if (body.size() > kMaxReportJsonBytes) {
    return common::invalidInput("the report is larger than " +
                                std::to_string(kMaxReportJsonBytes / 1024) +
                                " KiB; send one unit's report at a time");
  }
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return common::invalidInput(
        "the report is not valid JSON; send one object such as {\"unit\": \"12345678\", "
        "\"operational\": \"normal\"} (see docs/agent.md, 'Reports as JSON')");
  }
  if (!doc.is_object()) {
    return common::invalidInput("the report must be one JSON object, not a list or a value");
  }
  ReportRequest r;
  std::set<std::string> seenResources;
  for (const auto& [key, v] : doc.items()) {
    common::Status s;
    if (key == "unit" || key == "code") {
      auto t = text(v, key);
      if (!t) return t.error();
      if (!r.unit.empty() && r.unit != *t) return badField(key, "differs from the other unit");
      r.unit = *t;
    } else if (key == "mode") {
      auto t = text(v, key);
      if (!t) return t.error();
      r.mode = *t;
    } else if (key == "operational") {
      auto t = text(v, key);
      if (!t) return t.error();
      r.operational = *t;
    } else if (key == "reason") {
      s = clearableText(v, key, &r.reason, &r.clearReason);
    } else if (key == "note") {
      s = clearableText(v, key, &r.note, &r.clearNote);
    } else if (key == "expected_reopen") {
      s = clearableText(v, key, &r.expectedReopen, &r.clearExpectedReopen);
    } else if (key == "valid_until") {
      s = clearableText(v, key, &r.validUntil, &r.clearValidUntil);
    } else if (key == "closed_until") {
      s = clearableText(v, key, &r.closedUntil, &r.clearClosedUntil);
    } else if (key == "pupils_enrolled") {
      s = count(v, key, &r.pupilsEnrolled);
    } else if (key == "pupils_present") {
      s = count(v, key, &r.pupilsPresent);
    } else if (key == "staff_total") {
      s = count(v, key, &r.staffTotal);
    } else if (key == "staff_available") {
      s = count(v, key, &r.staffAvailable);
    } else if (key == "backup_hours") {
      s = count(v, key, &r.backupHours);
    } else if (key == "food_days") {
      s = count(v, key, &r.foodDays);
    } else if (key == "critical_care" || key == "special_support" || key == "electricity") {
      auto t = text(v, key);
      if (!t) return t.error();
      (key == "critical_care"     ? r.criticalCare
       : key == "special_support" ? r.specialSupport
                                  : r.electricity) = *t;
    } else if (key == "resources") {
      if (!v.is_object()) return badField(key, "must be an object such as {\"heating\": \"ok\"}");
      for (const auto& [name, value] : v.items()) {
        if (std::find(std::begin(kResources), std::end(kResources), name) == std::end(kResources)) {
          return badField("resources." + name,
                          "is not a resource; use heating, water, food, it, telephony");
        }
        if (!seenResources.insert(name).second) return badField(name, "is given twice");
        if (s = resource(value, name, "resources." + name, &r); !s) return s.error();
      }
    } else if (std::find(std::begin(kResources), std::end(kResources), key) !=
               std::end(kResources)) {
      if (!seenResources.insert(key).second) return badField(key, "is given twice");
      s = resource(v, key, key, &r);
    } else if (key == "capacity") {
      if (!v.is_null()) s = capacity(v, &r);
    } else if (key == "continuity") {
      auto t = text(v, key);
      if (!t) return t.error();
      r.continuity = *t;
    } else if (key == "continuity_from") {
      auto t = text(v, key);
      if (!t) return t.error();
      r.continuityFrom = *t;
    } else if (key == "continuity_note") {
      auto t = text(v, key);
      if (!t) return t.error();
      r.continuityNote = *t;
    } else if (key == "reported_at") {
      // Written by `last --json`; the time of a new report is when it is signed.
    } else {
      return badField(key,
                      "is not a report field; the fields are those of `samband-agent last "
                      "--json` (docs/agent.md, 'Reports as JSON')");
    }
    if (!s) return s.error();
  }
  return r;
}

std::string reportFieldOfError(const std::string& message) {
  const std::string prefix = "field '";
  if (message.rfind(prefix, 0) == 0) {
    auto end = message.find('\'', prefix.size());
    if (end != std::string::npos) return message.substr(prefix.size(), end - prefix.size());
  }
  auto flag = message.find("--");
  if (flag == std::string::npos) return "";
  size_t end = flag + 2;
  while (end < message.size() &&
         (std::isalnum(static_cast<unsigned char>(message[end])) || message[end] == '-')) {
    ++end;
  }
  std::string field = message.substr(flag + 2, end - flag - 2);
  for (char& c : field) {
    if (c == '-') c = '_';
  }
  return field;
}

}  // namespace samband::agent
