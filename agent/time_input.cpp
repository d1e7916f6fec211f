// A strict parser for the two accepted forms; anything else is refused, never guessed.
#include "agent/time_input.h"

#include <ctime>

namespace samband::agent {

namespace {

bool digits(const std::string& s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int daysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

common::Result<int64_t> parseTimeInput(const std::string& s, const std::string& flag) {
  auto bad = [&]() {
    return common::invalidInput(flag + " '" + s +
                                "' is not a date: use YYYY-MM-DD or an RFC 3339 time such as "
                                "2026-11-26T08:00:00+01:00");
  };
  int year, month, day;
  if (!digits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, &month) ||
      s[7] != '-' || !digits(s, 8, 2, &day)) {
    return bad();
  }
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return bad();
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  if (s.size() == 10) {
    tm.tm_isdst = -1;
    std::time_t t = std::mktime(&tm);
    if (t == static_cast<std::time_t>(-1)) return bad();
    return static_cast<int64_t>(t) * 1000;
  }
  int hour, minute, second;
  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, &hour) ||
      s[13] != ':' || !digits(s, 14, 2, &minute) || s[16] != ':' || !digits(s, 17, 2, &second) ||
      hour > 23 || minute > 59 || second > 60) {
    return bad();
  }
  size_t pos = 19;
  int64_t millis = 0;
  if (s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return bad();
  }
  if (pos >= s.size()) return bad();
  int offsetMinutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    if (pos + 1 != s.size()) return bad();
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (pos + 6 != s.size() || !digits(s, pos + 1, 2, &oh) || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return bad();
    }
    offsetMinutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return bad();
  }
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second > 59 ? 59 : second;
  int64_t utc = static_cast<int64_t>(timegm(&tm));
  return (utc - offsetMinutes * 60) * 1000 + millis;
}

}  // namespace samband::agent
