// See last_report_view.h.
#include "agent/last_report_view.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "common/clock.h"
#include "common/vocabulary.h"

namespace samband::agent {

namespace {

using nlohmann::json;

json timeOrNull(int64_t ms) {
  if (ms <= 0) return nullptr;
  return common::formatRfc3339(ms);
}

json countOrNull(int32_t n) {
  if (n < 0) return nullptr;
  return n;
}

json statusJson(const common::UnitStatusMsg& s, int64_t sentAt) {
  return json{{"operational", common::operationalName(s.operational)},
              {"reason", s.reason},
              {"pupils_present", countOrNull(s.pupilsPresent)},
              {"pupils_enrolled", countOrNull(s.pupilsEnrolled)},
              {"staff_available", countOrNull(s.staffAvailable)},
              {"staff_total", countOrNull(s.staffTotal)},
              {"critical_care", common::offeredName(s.criticalCare)},
              {"special_support", common::offeredName(s.specialSupport)},
              {"electricity", common::electricityName(s.electricity)},
              {"backup_hours", countOrNull(s.backupHours)},
              {"resources",
               {{"heating", common::supplyName(s.heating)},
                {"water", common::supplyName(s.water)},
                {"food", common::supplyName(s.food)},
                {"it", common::supplyName(s.it)},
                {"telephony", common::supplyName(s.telephony)}}},
              {"food_days", countOrNull(s.foodDays)},
              {"note", s.note},
              {"expected_reopen", timeOrNull(s.expectedReopen)},
              {"valid_until", timeOrNull(s.validUntil)},
              {"closed_until", s.closedUntil.empty() ? json(nullptr) : json(s.closedUntil)},
              {"reported_at", timeOrNull(sentAt)}};
}

json toJson(const std::string& unit, const std::string& mode, const LastReport& last) {
  json j = {{"code", unit}, {"mode", mode}};
  if (last.status) {
    j.update(statusJson(*last.status, last.statusSentAt));
  } else {
    for (const char* key : {"operational", "reason", "pupils_present", "pupils_enrolled",
                            "staff_available", "staff_total", "critical_care", "special_support",
                            "electricity", "backup_hours", "resources", "food_days", "note",
                            "expected_reopen", "valid_until", "closed_until", "reported_at"}) {
      j[key] = nullptr;
    }
  }
  if (last.capacity) {
    json entries = json::array();
    for (const auto& e : last.capacity->entries) {
      entries.push_back({{"form", common::schoolFormName(e.form)},
                         {"year", e.year},
                         {"enrolled", e.enrolled},
                         {"seats_now", e.seatsNow},
                         {"seats_72h", e.seats72h}});
    }
    j["capacity"] = {{"reported_at", timeOrNull(last.capacitySentAt)}, {"entries", entries}};
  } else {
    j["capacity"] = nullptr;
  }
  return j;
}

std::string shown(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  return v.dump();
}

}  // namespace

std::string lastReportJson(const std::string& unit, const std::string& mode,
                           const LastReport& last) {
  return toJson(unit, mode, last).dump(2) + "\n";
}

std::string lastReportText(const std::string& unit, const std::string& mode,
                           const LastReport& last) {
  const json j = toJson(unit, mode, last);
  std::ostringstream out;
  out << "Unit " << unit << " (" << mode << ")\n";
  if (!last.status) {
    out << "  no unit status signed yet in this mode\n";
  } else {
    out << "  unit status signed at " << shown(j["reported_at"]) << "\n";
    for (const char* key :
         {"operational", "reason", "pupils_present", "pupils_enrolled", "staff_available",
          "staff_total", "critical_care", "special_support", "electricity", "backup_hours"}) {
      out << "    " << key << ": " << shown(j[key]) << "\n";
    }
    for (const auto& [name, value] : j["resources"].items()) {
      out << "    " << name << ": " << shown(value) << "\n";
    }
    for (const char* key :
         {"food_days", "note", "expected_reopen", "valid_until", "closed_until"}) {
      out << "    " << key << ": " << shown(j[key]) << "\n";
    }
  }
  if (!last.capacity) {
    out << "  no capacity signed yet in this mode\n";
  } else {
    out << "  capacity signed at " << shown(j["capacity"]["reported_at"]) << "\n";
    for (const auto& e : j["capacity"]["entries"]) {
      out << "    " << e["form"].get<std::string>() << " year " << e["year"].get<int>()
          << ": enrolled " << e["enrolled"].get<int>() << ", seats now "
          << e["seats_now"].get<int>() << ", in 72h " << e["seats_72h"].get<int>() << "\n";
    }
  }
  return out.str();
}

}  // namespace samband::agent
