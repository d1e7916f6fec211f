// SchoolCalendar: which days are school days in a Swedish municipality — Monday to Friday, less
// the public holidays (computed for any year, Easter-based ones included), the eves that are
// never school days (midsommarafton, julafton, nyårsafton) and the city's own holiday weeks — and
// how much school time lies between two instants. Pure; dates are civil dates, the caller says
// which time zone they are in (the broker and the agent use the process's local zone).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace samband::common {

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1-12
  int day = 1;    // 1-31

  bool operator==(const CivilDate& o) const {
    return year == o.year && month == o.month && day == o.day;
  }
  bool operator<(const CivilDate& o) const {
    if (year != o.year) return year < o.year;
    if (month != o.month) return month < o.month;
    return day < o.day;
  }
  bool operator<=(const CivilDate& o) const { return !(o < *this); }
};

// "YYYY-MM-DD" (a real date), or invalidInput naming `what`.
Result<CivilDate> parseCivilDate(const std::string& text, const std::string& what);
std::string formatCivilDate(const CivilDate& d);
// Days since 1970-01-01 and back (proleptic Gregorian).
int64_t daysFromCivil(const CivilDate& d);
CivilDate civilFromDays(int64_t days);
// 0 = Monday ... 6 = Sunday.
int weekdayOf(const CivilDate& d);
// Easter Sunday of `year` (Gregorian computus).
CivilDate easterSunday(int year);

// A holiday period of the city's schools, both ends included (sportlov, påsklov, ...).
struct HolidayRange {
  CivilDate from;
  CivilDate to;
  std::string name;
};

class SchoolCalendar {
 public:
  SchoolCalendar() = default;
  explicit SchoolCalendar(std::vector<HolidayRange> cityHolidays);

  bool isSchoolDay(const CivilDate& d) const { return !whyNoSchool(d).has_value(); }
  // Why `d` is not a school day, in Swedish as the office says it ("lördag", "Långfredagen",
  // "sportlov"), or nothing on a school day.
  std::optional<std::string> whyNoSchool(const CivilDate& d) const;
  // The Swedish public holiday (allmän helgdag) or no-school eve on `d`, whatever the weekday.
  static std::optional<std::string> publicHolidayName(const CivilDate& d);

  // Milliseconds between `fromMs` and `toMs` (epoch ms) that fall on school days, with whole
  // calendar days in the zone that `utcOffsetMsAt` describes (local = UTC + offset). A Friday
  // afternoon report read on Monday morning is as old as a Thursday afternoon one on Friday.
  // Negative spans count as 0.
  int64_t schoolMillisBetween(int64_t fromMs, int64_t toMs,
                              int64_t (*utcOffsetMsAt)(int64_t epochMs)) const;

  const std::vector<HolidayRange>& cityHolidays() const { return cityHolidays_; }

 private:
  std::vector<HolidayRange> cityHolidays_;
};

// The process's local UTC offset at `epochMs` (from TZ / /etc/localtime, like localtime_r).
int64_t localUtcOffsetMs(int64_t epochMs);
// The process's local calendar date at `epochMs`.
CivilDate localDateOf(int64_t epochMs);

}  // namespace samband::common
