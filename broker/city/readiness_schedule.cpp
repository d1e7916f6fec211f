// See readiness_schedule.h.
#include "broker/city/readiness_schedule.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace samband::broker {

namespace {

bool validDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

std::tm localTm(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

}  // namespace

common::Result<ReadinessSchedule> loadReadinessSchedule(const common::ConfigFile& f) {
  ReadinessSchedule s;
  const std::string t = "readiness";
  auto enabled = f.boolean(t, "enabled", true);
  if (!enabled) return enabled.error();
  s.enabled = *enabled;
  auto time = f.text(t, "time", "07:30");
  if (!time) return time.error();
  int hh = -1, mm = -1;
  if (time->size() != 5 || std::sscanf(time->c_str(), "%2d:%2d", &hh, &mm) != 2 || hh < 0 ||
      hh > 23 || mm < 0 || mm > 59) {
    return common::invalidInput(f.path() + ": [readiness] time must be HH:MM, e.g. \"07:30\"");
  }
  s.minuteOfDay = hh * 60 + mm;
  auto days = f.textList(t, "weekdays", false);
  if (!days) return days.error();
  if (!days->empty()) {
    static const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    s.weekdays.clear();
    for (const auto& d : *days) {
      int found = -1;
      for (int i = 0; i < 7; ++i) {
        if (d == names[i]) found = i;
      }
      if (found < 0) {
        return common::invalidInput(f.path() + ": [readiness] weekdays: '" + d +
                                    "' is not one of mon tue wed thu fri sat sun");
      }
      s.weekdays.insert(found);
    }
  }
  auto skip = f.textList(t, "skip", false);
  if (!skip) return skip.error();
  for (const auto& item : *skip) {
    auto dots = item.find("..");
    std::string from = dots == std::string::npos ? item : item.substr(0, dots);
    std::string to = dots == std::string::npos ? item : item.substr(dots + 2);
    if (!validDate(from) || !validDate(to) || to < from) {
      return common::invalidInput(f.path() + ": [readiness] skip: '" + item +
                                  "' must be YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD");
    }
    s.skip.emplace_back(from, to);
  }
  auto deadline = f.integer(t, "deadline_minutes", 60, 1, 24 * 60);
  if (!deadline) return deadline.error();
  s.deadlineMs = *deadline * 60 * 1000;
  auto zone = f.text(t, "time_zone", "Europe/Stockholm");
  if (!zone) return zone.error();
  s.timeZone = *zone;
  auto confirm = f.boolean(t, "require_confirmation", false);
  if (!confirm) return confirm.error();
  s.requireConfirmation = *confirm;
  return s;
}

void applyTimeZone(const std::string& zone) {
  ::setenv("TZ", zone.c_str(), 1);
  ::tzset();
}

std::string localDate(int64_t ms) {
  std::tm tm = localTm(ms);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

namespace {

// Today's local date when the local time is inside today's check window.
std::optional<std::string> inWindow(const ReadinessSchedule& s, int64_t nowMs) {
  if (!s.enabled) return std::nullopt;
  std::tm tm = localTm(nowMs);
  // Due from the time of day until the deadline would have passed: a broker that was down at
  // 07:30 and is back at 07:45 still sends today's check; one started in the afternoon does not.
  const int minute = tm.tm_hour * 60 + tm.tm_min;
  if (minute < s.minuteOfDay + s.standbyDelayMinutes ||
      minute >= s.minuteOfDay + s.deadlineMs / 60000) {
    return std::nullopt;
  }
  return localDate(nowMs);
}

bool listedAndNotSkipped(const ReadinessSchedule& s, int64_t nowMs, const std::string& date) {
  if (s.weekdays.count(localTm(nowMs).tm_wday) == 0) return false;
  for (const auto& [from, to] : s.skip) {
    if (date >= from && date <= to) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> dueDate(const ReadinessSchedule& s, int64_t nowMs) {
  auto date = inWindow(s, nowMs);
  if (!date || !listedAndNotSkipped(s, nowMs, *date)) return std::nullopt;
  return date;
}

std::optional<std::string> dueDate(const ReadinessSchedule& s, int64_t nowMs,
                                   const common::SchoolCalendar& calendar, bool calendarExcuses) {
  auto date = inWindow(s, nowMs);
  if (!date || !calendarExcuses) return date;
  if (!listedAndNotSkipped(s, nowMs, *date)) return std::nullopt;
  auto civil = common::parseCivilDate(*date, "local date");
  if (civil && !calendar.isSchoolDay(*civil)) return std::nullopt;
  return date;
}

}  // namespace samband::broker
