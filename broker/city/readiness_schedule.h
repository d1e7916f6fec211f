// The readiness schedule: when the daily check goes out (time of day, weekdays, skipped dates,
// deadline, time zone), read from [readiness] of the broker config, and the local calendar the
// schedule and the reports count in. Pure apart from the process time zone.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/result.h"
#include "common/school_calendar.h"

namespace samband::broker {

struct ReadinessSchedule {
  bool enabled = true;
  int minuteOfDay = 7 * 60 + 30;                          // local time of day the check goes out
  std::set<int> weekdays{1, 2, 3, 4, 5};                  // 0 = Sunday … 6 = Saturday
  std::vector<std::pair<std::string, std::string>> skip;  // inclusive YYYY-MM-DD ranges
  int64_t deadlineMs = 60 * 60 * 1000;
  std::string timeZone = "Europe/Stockholm";
  bool requireConfirmation = false;
  // [calendar] holidays (copied here by loadBrokerConfig): no check on days without school.
  std::vector<common::HolidayRange> holidays;
  // A standby broker ([replication] role = "standby", docs/replication.md): its window opens
  // this many minutes after the time of day, so it issues the day's check only when it has not
  // seen the primary's by then (a check already known for the date is never issued twice).
  int standbyDelayMinutes = 0;
};

// Reads [readiness] from a broker config (defaults when the table is absent).
common::Result<ReadinessSchedule> loadReadinessSchedule(const common::ConfigFile& file);

// Sets the process time zone (TZ) used for local dates. Call from main() before threads start.
void applyTimeZone(const std::string& zone);
// Local calendar date "YYYY-MM-DD" of `ms` in the process time zone.
std::string localDate(int64_t ms);

// The local date for which a scheduled check is due at `nowMs`: today, if today is a check
// day (weekday, not skipped) and the local time is between the check's time of day and that
// time plus the deadline; otherwise nullopt.
std::optional<std::string> dueDate(const ReadinessSchedule& schedule, int64_t nowMs);

// The scheduler's rule: as above, and at normal level (`calendarExcuses`, see
// common/calendar_config.h) only on school days of `calendar`. At heightened level and above
// the check is due every day: weekdays, skip and the calendar do not hold a crisis back.
std::optional<std::string> dueDate(const ReadinessSchedule& schedule, int64_t nowMs,
                                   const common::SchoolCalendar& calendar, bool calendarExcuses);

}  // namespace samband::broker
