// See school_calendar.h. Holidays follow lagen (1989:253) om allmänna helgdagar; the eves that are
// no school days in practice (midsommarafton, julafton, nyårsafton) are added to them.
#include "common/school_calendar.h"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace samband::common {

namespace {

constexpr int64_t kDayMs = 86'400'000;

bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

CivilDate plusDays(const CivilDate& d, int n) { return civilFromDays(daysFromCivil(d) + n); }

// The day of `weekday` (0 = Monday) within [first, first + 6] of `month`.
CivilDate weekdayBetween(int year, int month, int firstDay, int weekday) {
  CivilDate d{year, month, firstDay};
  int shift = (weekday - weekdayOf(d) + 7) % 7;
  return plusDays(d, shift);
}

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Result<CivilDate> parseCivilDate(const std::string& text, const std::string& what) {
  auto bad = [&] {
    return invalidInput(what + " \"" + text + "\" is not a date; write it as YYYY-MM-DD");
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return bad();
  }
  CivilDate d{std::stoi(text.substr(0, 4)), std::stoi(text.substr(5, 2)),
              std::stoi(text.substr(8, 2))};
  if (d.year < 1900 || d.year > 9999 || d.month < 1 || d.month > 12 || d.day < 1 ||
      d.day > daysInMonth(d.year, d.month)) {
    return bad();
  }
  return d;
}

std::string formatCivilDate(const CivilDate& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t daysFromCivil(const CivilDate& date) {
  int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  const int64_t era = floorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t mp = (date.month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + date.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = floorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return CivilDate{static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0)), m, d};
}

int weekdayOf(const CivilDate& d) {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  return static_cast<int>(((daysFromCivil(d) + 3) % 7 + 7) % 7);
}

CivilDate easterSunday(int year) {
  // The anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  const int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
  const int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return CivilDate{year, month, day};
}

SchoolCalendar::SchoolCalendar(std::vector<HolidayRange> cityHolidays)
    : cityHolidays_(std::move(cityHolidays)) {}

std::optional<std::string> SchoolCalendar::publicHolidayName(const CivilDate& d) {
  const int y = d.year;
  struct Fixed {
    int month, day;
    const char* name;
  };
  static const Fixed kFixed[] = {{1, 1, "Nyårsdagen"},     {1, 6, "Trettondedag jul"},
                                 {5, 1, "Första maj"},     {6, 6, "Sveriges nationaldag"},
                                 {12, 24, "Julafton"},     {12, 25, "Juldagen"},
                                 {12, 26, "Annandag jul"}, {12, 31, "Nyårsafton"}};
  for (const auto& f : kFixed) {
    if (d.month == f.month && d.day == f.day) return std::string(f.name);
  }
  const CivilDate easter = easterSunday(y);
  const int64_t offset = daysFromCivil(d) - daysFromCivil(easter);
  switch (offset) {
    case -2:
      return std::string("Långfredagen");
    case 0:
      return std::string("Påskdagen");
    case 1:
      return std::string("Annandag påsk");
    case 39:
      return std::string("Kristi himmelsfärdsdag");
    case 49:
      return std::string("Pingstdagen");
    default:
      break;
  }
  const CivilDate midsummerEve = weekdayBetween(y, 6, 19, 4);  // Friday 19-25 June
  if (d == midsummerEve) return std::string("Midsommarafton");
  if (d == plusDays(midsummerEve, 1)) return std::string("Midsommardagen");
  const CivilDate allSaints = weekdayBetween(y, 10, 31, 5);  // Saturday 31 Oct - 6 Nov
  if (d == allSaints) return std::string("Alla helgons dag");
  return std::nullopt;
}

std::optional<std::string> SchoolCalendar::whyNoSchool(const CivilDate& d) const {
  if (auto name = publicHolidayName(d)) return name;
  for (const auto& range : cityHolidays_) {
    if (range.from <= d && d <= range.to) return range.name.empty() ? "lov" : range.name;
  }
  const int wd = weekdayOf(d);
  if (wd == 5) return std::string("lördag");
  if (wd == 6) return std::string("söndag");
  return std::nullopt;
}

int64_t SchoolCalendar::schoolMillisBetween(int64_t fromMs, int64_t toMs,
                                            int64_t (*utcOffsetMsAt)(int64_t)) const {
  if (toMs <= fromMs) return 0;
  auto localDay = [&](int64_t epochMs) {
    return floorDiv(epochMs + utcOffsetMsAt(epochMs), kDayMs);
  };
  // The instant local midnight begins `day` (the offset taken at that moment's neighbourhood).
  auto dayStart = [&](int64_t day) {
    int64_t guess = day * kDayMs;
    return guess - utcOffsetMsAt(guess - utcOffsetMsAt(guess));
  };
  int64_t total = 0;
  const int64_t last = localDay(toMs);
  for (int64_t day = localDay(fromMs); day <= last; ++day) {
    if (!isSchoolDay(civilFromDays(day))) continue;
    const int64_t start = std::max(fromMs, dayStart(day));
    const int64_t end = std::min(toMs, dayStart(day + 1));
    if (end > start) total += end - start;
  }
  return total;
}

int64_t localUtcOffsetMs(int64_t epochMs) {
  const std::time_t t = static_cast<std::time_t>(floorDiv(epochMs, 1000));
  std::tm local{};
  localtime_r(&t, &local);
  return static_cast<int64_t>(local.tm_gmtoff) * 1000;
}

CivilDate localDateOf(int64_t epochMs) {
  return civilFromDays(floorDiv(epochMs + localUtcOffsetMs(epochMs), 86'400'000));
}

}  // namespace samband::common
