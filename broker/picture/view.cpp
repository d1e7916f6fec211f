// See view.h. Exercise, system and test traffic is listed apart under "other_modes" and never
// mixed into the units' real state.
#include "broker/picture/view.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "broker/picture/json_or_null.h"
#include "broker/store/calendar_store.h"
#include "broker/store/city_store.h"
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

// Readiness checks whose deadline is after `nowMs`, newest first, with who answered.
common::Result<json> openChecks(Store& store, int64_t nowMs) {
  CityStore city(store);
  auto checks = city.checksOpenAt(nowMs);
  if (!checks) return checks.error();
  json out = json::array();
  for (const auto& c : *checks) {
    auto answers = city.recipientAnswers(c.id);
    if (!answers) return answers.error();
    json answered = json::array(), failed = json::array(), missing = json::array(),
         unconfirmed = json::array();
    for (const auto& a : *answers) {
      if (!a.receivedAt || *a.receivedAt > nowMs) {
        missing.push_back(a.provider);
        continue;
      }
      answered.push_back(a.provider);
      auto results = json::parse(a.results, nullptr, false);
      bool anyFailed = false;
      if (results.is_array()) {
        for (const auto& r : results) {
          if (r.is_object() && r.value("passed", true) == false) anyFailed = true;
        }
      }
      if (anyFailed) failed.push_back(a.provider);
      if (c.requireConfirmation && !a.confirmedAt) unconfirmed.push_back(a.provider);
    }
    out.push_back({{"id", c.id},
                   {"mode", c.mode},
                   {"issued_at", rfc3339(c.issuedAt)},
                   {"deadline", rfc3339(c.deadline)},
                   {"require_confirmation", c.requireConfirmation},
                   {"recipients", answers->size()},
                   {"answered", answered},
                   {"failed_self_tests", failed},
                   {"not_confirmed", unconfirmed},
                   {"missing", missing}});
  }
  return out;
}

// Directives not yet expired at `nowMs`, newest first, with their delivery and
// acknowledgement.
common::Result<json> openDirectives(Store& store, int64_t nowMs) {
  auto rows = CityStore(store).directivesInForceAt(nowMs);
  if (!rows) return rows.error();
  json out = json::array();
  for (const auto& d : *rows) {
    json notDelivered = json::array(), notAcknowledged = json::array();
    int64_t delivered = 0, acknowledged = 0;
    for (const auto& r : d.recipients) {
      if (r.deliveredAt) {
        delivered++;
      } else {
        notDelivered.push_back(r.provider);
      }
      if (r.acknowledgedAt) {
        acknowledged++;
      } else if (d.requireAck) {
        notAcknowledged.push_back(r.provider);
      }
    }
    out.push_back({{"id", d.id},
                   {"number", d.number},
                   {"mode", d.mode},
                   {"level", d.level},
                   {"text", d.text},
                   {"issued_at", rfc3339(d.issuedAt)},
                   {"expires_at", rfc3339(d.expiresAt)},
                   {"require_ack", d.requireAck},
                   {"recipients", d.recipients.size()},
                   {"delivered", delivered},
                   {"acknowledged", acknowledged},
                   {"not_delivered", notDelivered},
                   {"not_acknowledged", notAcknowledged}});
  }
  return out;
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

namespace {

// currentPicture(), or without its units (`withUnits` false: not even read).
common::Result<json> buildPicture(Store& store, const LivenessRules& rules, int64_t nowMs,
                                  const std::vector<common::HolidayRange>& holidays,
                                  const PictureMoment* moment, bool withUnits) {
  if (moment != nullptr) nowMs = moment->asOfMs;
  PictureStore rows(store);
  auto providerRows = rows.providers();
  if (!providerRows) return providerRows.error();
  auto unitRows = withUnits
                      ? rows.units()
                      : common::Result<std::vector<UnitPictureRow>>(std::vector<UnitPictureRow>());
  if (!unitRows) return unitRows.error();
  auto otherRows = rows.otherModes();
  if (!otherRows) return otherRows.error();
  auto counts = store.rejectionCounts();
  if (!counts) return counts.error();
  auto frames = rows.frameCount();
  if (!frames) return frames.error();
  auto age = reportAgeRule(store, holidays);
  if (!age) return age.error();
  auto level = store.meta("level");
  if (!level) return level.error();
  auto checks = openChecks(store, nowMs);
  if (!checks) return checks.error();
  auto directives = openDirectives(store, nowMs);
  if (!directives) return directives.error();

  json picture;
  picture["generated_at"] = common::formatRfc3339(nowMs);
  if (moment != nullptr) picture["as_of"] = common::formatRfc3339(moment->asOfMs);
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
  if (moment != nullptr) {
    // Refusals are counted, never archived: the archive cannot say how many there were.
    for (auto& [reason, n] : rejected.items()) n = nullptr;
  }
  picture["rejected"] = std::move(rejected);
  picture["frames"] = moment != nullptr ? moment->frames : *frames;
  picture["level"] = level->value_or("normal");
  picture["open_checks"] = std::move(*checks);
  picture["open_directives"] = std::move(*directives);
  return picture;
}

}  // namespace

common::Result<json> currentPicture(Store& store, const LivenessRules& rules, int64_t nowMs,
                                    const std::vector<common::HolidayRange>& holidays,
                                    const PictureMoment* moment) {
  return buildPicture(store, rules, nowMs, holidays, moment, true);
}

common::Result<json> currentPictureWithoutUnits(Store& store, const LivenessRules& rules,
                                                int64_t nowMs,
                                                const std::vector<common::HolidayRange>& holidays) {
  return buildPicture(store, rules, nowMs, holidays, nullptr, false);
}

std::string pictureText(const json& picture) {
  std::ostringstream out;
  if (picture.contains("as_of")) {
    out << "Samband status AS OF " << picture["as_of"].get<std::string>()
        << " (rebuilt from the archive; liveness from archived frames only)\n";
  } else {
    out << "Samband status at " << picture["generated_at"].get<std::string>() << "\n";
  }
  if (picture.contains("level"))
    out << "City readiness level: " << picture["level"].get<std::string>() << "\n";
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
      if (u.contains("closed_until") && u["closed_until"].is_string()) {
        out << " until " << u["closed_until"].get<std::string>();
      }
      if (!u["pupils_present"].is_null()) out << "  pupils " << u["pupils_present"];
      if (!u["staff_available"].is_null()) out << "  staff " << u["staff_available"];
      if (!u["reported_at"].is_null()) out << "  at " << u["reported_at"].get<std::string>();
      if (u["age_school_hours"].is_number()) {
        // The age the board judges "old" by: school time while the calendar excuses silence.
        std::ostringstream hours;
        hours << std::fixed << std::setprecision(1) << u["age_school_hours"].get<double>();
        out << "  age " << hours.str() << " h"
            << (picture.value("age_counts", "") == "school_time" ? " of school time" : "");
      }
      out << "\n";
    }
  }
  out << "\nUnits by state:";
  for (const auto& [s, n] : states) out << "  " << s << " " << n;
  for (const auto& c : picture.value("open_checks", json::array())) {
    out << "\nOpen readiness check " << c["id"].get<std::string>() << " ("
        << c["mode"].get<std::string>() << ", deadline " << c["deadline"].get<std::string>()
        << "): answered " << c["answered"].size() << "/" << c["recipients"]
        << ", failed self-tests " << c["failed_self_tests"].size() << ", missing "
        << c["missing"].size();
  }
  for (const auto& d : picture.value("open_directives", json::array())) {
    out << "\nDirective " << d["id"].get<std::string>() << " (" << d["mode"].get<std::string>()
        << ", level " << d["level"].get<std::string>() << ", until "
        << d["expires_at"].get<std::string>() << "): delivered " << d["delivered"] << "/"
        << d["recipients"];
    if (d["require_ack"].get<bool>())
      out << ", acknowledged " << d["acknowledged"] << "/" << d["recipients"];
  }
  out << "\nFrames archived: " << picture["frames"] << "\nRefused:";
  bool any = false, unknown = false;
  for (const auto& [reason, n] : picture["rejected"].items()) {
    if (n.is_null()) {
      unknown = true;
    } else if (n.get<int64_t>() > 0) {
      out << "  " << reason << " " << n;
      any = true;
    }
  }
  if (unknown) {
    out << " not known (refusals are counted, not archived)";
  } else if (!any) {
    out << " none";
  }
  out << "\n";
  return out.str();
}

}  // namespace samband::broker
