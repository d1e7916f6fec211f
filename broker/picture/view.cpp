// See view.h. Exercise, system and test traffic is listed apart under "other_modes" and never
// mixed into the units' real state.
#include "broker/picture/view.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "broker/picture/json_or_null.h"
#include "broker/store/calendar_store.h"
#include "broker/store/picture_store.h"
#include "common/calendar_config.h"
#include "common/clock.h"
#include "common/vocabulary.h"

namespace samband::broker {

using nlohmann::json;

namespace {

// RFC 3339 text, never null: unlike timeOrNull, a zero time still formats, so the status
// picture reads as it always has.
json rfc3339(int64_t ms) { return common::formatRfc3339(ms); }

// Seconds with one decimal: the offset includes the one-way network delay, so finer is noise.
json secondsOrNull(const std::optional<int64_t>& ms) {
  if (!ms) return nullptr;
  return static_cast<double>(*ms / 100) / 10.0;
}

}  // namespace

int64_t ReportAge::ageMs(int64_t fromMs, int64_t toMs) const {
  if (!schoolTime) return std::max<int64_t>(0, toMs - fromMs);
  return calendar.schoolMillisBetween(fromMs, toMs, common::localUtcOffsetMs);
}

common::Result<ReportAge> reportAgeRule(Store& store,
                                        const std::vector<common::HolidayRange>& holidays) {
  auto calendar = schoolCalendarOf(store, holidays);
  if (!calendar) return calendar.error();
  auto level = store.meta("level");
  if (!level) return level.error();
  ReportAge rule;
  rule.calendar = std::move(calendar).value();
  rule.schoolTime = common::calendarExcusesSilence(level->value_or(""));
  return rule;
}

common::Result<json> currentPicture(Store& store, const LivenessRules& rules, int64_t nowMs,
                                    const std::vector<common::HolidayRange>& holidays) {
  PictureStore rows(store);
  auto providerRows = rows.providers();
  if (!providerRows) return providerRows.error();
  auto unitRows = rows.units();
  if (!unitRows) return unitRows.error();
  auto otherRows = rows.otherModes();
  if (!otherRows) return otherRows.error();
  auto counts = store.rejectionCounts();
  if (!counts) return counts.error();
  auto frames = rows.frameCount();
  if (!frames) return frames.error();
  auto age = reportAgeRule(store, holidays);
  if (!age) return age.error();

  json picture;
  picture["generated_at"] = common::formatRfc3339(nowMs);
  picture["age_counts"] = age->schoolTime ? "school_time" : "all_time";
  std::map<std::string, json> providers;
  for (const auto& row : *providerRows) {
    json p;
    p["id"] = row.id;
    p["name"] = row.name;
    p["liveness"] = livenessOf(row.lastSeen, nowMs, rules);
    p["last_seen"] = row.lastSeen ? rfc3339(*row.lastSeen) : json(nullptr);
    p["last_seq"] = row.lastSeq;
    p["continuity"] = row.continuity.value_or("ok");
    p["continuity_from"] = row.continuityFrom == 0 ? json(nullptr) : rfc3339(row.continuityFrom);
    // Positive when the provider's clock is ahead of the broker's; null until a heartbeat.
    p["clock_offset_s"] = secondsOrNull(row.clockOffsetMs);
    p["units"] = json::array();
    providers[row.id] = std::move(p);
  }
  for (const auto& row : *unitRows) {
    json u;
    u["code"] = row.code;
    u["name"] = textOrNull(row.name);
    u["district"] = textOrNull(row.district);
    const bool reported = row.status.has_value();
    const UnitStatusRow s = row.status.value_or(UnitStatusRow{});
    u["operational"] = reported ? s.operational : "unknown";
    u["pupils_present"] = reported ? countOrNull(s.pupilsPresent) : json(nullptr);
    u["pupils_enrolled"] = reported ? countOrNull(s.pupilsEnrolled) : json(nullptr);
    u["staff_available"] = reported ? countOrNull(s.staffAvailable) : json(nullptr);
    u["staff_total"] = reported ? countOrNull(s.staffTotal) : json(nullptr);
    u["electricity"] = reported ? s.electricity : "unknown";
    u["backup_hours"] = reported ? countOrNull(s.backupHours) : json(nullptr);
    json res;
    res["heating"] = reported ? s.heating : "unknown";
    res["water"] = reported ? s.water : "unknown";
    res["food"] = reported ? s.food : "unknown";
    res["it"] = reported ? s.it : "unknown";
    res["telephony"] = reported ? s.telephony : "unknown";
    u["resources"] = res;
    u["food_days"] = reported ? countOrNull(s.foodDays) : json(nullptr);
    u["critical_care"] = reported ? s.criticalCare : "unknown";
    u["special_support"] = reported ? s.specialSupport : "unknown";
    u["reason"] = reported ? s.reason : "";
    u["note"] = reported ? s.note : "";
    u["reported_at"] = reported ? rfc3339(s.sentAt) : json(nullptr);
    u["received_at"] = reported ? rfc3339(s.receivedAt) : json(nullptr);
    if (reported) {
      u["age_s"] = std::max<int64_t>(0, nowMs - s.sentAt) / 1000;
      // Hours with one decimal: enough to compare with a limit counted in hours.
      u["age_school_hours"] = static_cast<double>(age->ageMs(s.sentAt, nowMs) / 360'000) / 10.0;
    } else {
      u["age_s"] = nullptr;
      u["age_school_hours"] = nullptr;
    }
    u["expected_reopen"] =
        reported && s.expectedReopen > 0 ? rfc3339(s.expectedReopen) : json(nullptr);
    u["valid_until"] = reported && s.validUntil > 0 ? rfc3339(s.validUntil) : json(nullptr);
    // The last day a closed unit stays closed (local date, included), as the unit reported it.
    u["closed_until"] = reported && !s.closedUntil.empty() ? json(s.closedUntil) : json(nullptr);
    auto it = providers.find(row.providerId);
    if (it != providers.end()) it->second["units"].push_back(std::move(u));
  }
  picture["providers"] = json::array();
  for (auto& [id, p] : providers) picture["providers"].push_back(std::move(p));

  json other = json::array();
  for (const auto& row : *otherRows) {
    other.push_back({{"mode", row.mode},
                     {"code", row.code},
                     {"provider", row.providerId},
                     {"operational", row.status.operational},
                     {"reported_at", rfc3339(row.status.sentAt)}});
  }
  picture["other_modes"] = std::move(other);

  json rejected = json::object();
  for (int r = 0; r < static_cast<int>(common::kRejectReasonCount); ++r) {
    rejected[common::rejectReasonName(static_cast<common::RejectReason>(r))] = 0;
  }
  for (const auto& [reason, n] : *counts) rejected[reason] = n;
  picture["rejected"] = std::move(rejected);
  picture["frames"] = *frames;
  return picture;
}

std::string pictureText(const json& picture) {
  std::ostringstream out;
  out << "Samband status at " << picture["generated_at"].get<std::string>() << "\n";
  std::map<std::string, int> states;
  for (const auto& p : picture["providers"]) {
    out << "\n"
        << p["id"].get<std::string>() << "  " << p["name"].get<std::string>() << "  ["
        << p["liveness"].get<std::string>() << "]  last seen "
        << (p["last_seen"].is_null() ? "never" : p["last_seen"].get<std::string>()) << "  seq "
        << p["last_seq"].get<int64_t>();
    if (p["continuity"] != "ok") out << "  continuity " << p["continuity"].get<std::string>();
    if (p["clock_offset_s"].is_number()) {
      const double offset = p["clock_offset_s"].get<double>();
      if (std::abs(offset) * 1000 > static_cast<double>(kClockOffsetWarnMs)) {
        out << "  CLOCK " << static_cast<int64_t>(std::abs(offset)) << " s "
            << (offset > 0 ? "AHEAD" : "BEHIND") << " (the provider must fix its time sync)";
      }
    }
    out << "\n";
    for (const auto& u : p["units"]) {
      states[u["operational"].get<std::string>()]++;
      out << "  " << u["code"].get<std::string>() << "  " << u["operational"].get<std::string>();
      if (u["closed_until"].is_string()) {
        out << " until " << u["closed_until"].get<std::string>();
      }
      if (!u["pupils_present"].is_null()) out << "  pupils " << u["pupils_present"];
      if (!u["staff_available"].is_null()) out << "  staff " << u["staff_available"];
      if (!u["reported_at"].is_null()) out << "  at " << u["reported_at"].get<std::string>();
      out << "\n";
    }
  }
  out << "\nUnits by state:";
  for (const auto& [s, n] : states) out << "  " << s << " " << n;
  out << "\nFrames archived: " << picture["frames"] << "\nRefused:";
  bool any = false;
  for (const auto& [reason, n] : picture["rejected"].items()) {
    if (n.get<int64_t>() > 0) {
      out << "  " << reason << " " << n;
      any = true;
    }
  }
  if (!any) out << " none";
  out << "\n";
  return out.str();
}

}  // namespace samband::broker
