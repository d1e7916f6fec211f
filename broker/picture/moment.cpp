// See moment.h. Local times go through mktime twice (standard and summer time) so that a time
// the clocks skip or repeat is refused instead of silently moved.
#include "broker/picture/moment.h"

#include <cstdio>
#include <ctime>

namespace samband::broker {

namespace {

bool digits(const std::string& s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool validDay(int y, int m, int d) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

// The local time y-m-d h:mi:s as epoch seconds with tm_isdst fixed to `dst`, or -1 when that
// reading does not give back the same wall-clock time.
int64_t localReading(int y, int m, int d, int h, int mi, int s, int dst) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  tm.tm_isdst = dst;
  const std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return -1;
  std::tm back{};
  localtime_r(&t, &back);
  if (back.tm_year != y - 1900 || back.tm_mon != m - 1 || back.tm_mday != d || back.tm_hour != h ||
      back.tm_min != mi || back.tm_sec != s) {
    return -1;
  }
  return static_cast<int64_t>(t);
}

}  // namespace

common::Result<int64_t> parseMoment(const std::string& text, const std::string& flag) {
  const auto bad = [&](const std::string& why) {
    return common::invalidInput(
        flag + " '" + text + "' " + why +
        "; write a local time as 2027-02-23T09:40 (or 09:40:30), or RFC 3339 with an offset "
        "as 2027-02-23T08:40:00Z or 2027-02-23T09:40:00+01:00");
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  if (!digits(text, 0, 4, &y) || text.size() < 16 || text[4] != '-' || !digits(text, 5, 2, &mo) ||
      text[7] != '-' || !digits(text, 8, 2, &d) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(text, 11, 2, &h) ||
      text[13] != ':' || !digits(text, 14, 2, &mi)) {
    return bad("is not a date and time");
  }
  size_t at = 16;
  if (at < text.size() && text[at] == ':') {
    if (!digits(text, at + 1, 2, &s)) return bad("has a malformed seconds field");
    at += 3;
    if (at < text.size() && text[at] == '.') {
      size_t end = at + 1;
      int scale = 100;
      while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
        if (scale > 0) ms += (text[end] - '0') * scale;
        scale /= 10;
        ++end;
      }
      if (end == at + 1) return bad("has a malformed fraction of a second");
      at = end;
    }
  }
  if (!validDay(y, mo, d) || h > 23 || mi > 59 || s > 59) return bad("is not a valid time");
  if (at == text.size()) {
    const int64_t standard = localReading(y, mo, d, h, mi, s, 0);
    const int64_t summer = localReading(y, mo, d, h, mi, s, 1);
    if (standard < 0 && summer < 0) {
      return bad("does not exist in local time (the clocks skipped it); add the offset");
    }
    if (standard >= 0 && summer >= 0 && standard != summer) {
      return bad(
          "happened twice in local time (the clocks went back); add the offset, +01:00 "
          "or +02:00");
    }
    return (standard >= 0 ? standard : summer) * 1000 + ms;
  }
  int offsetMin = 0;
  const char z = text[at];
  if ((z == 'Z' || z == 'z') && at + 1 == text.size()) {
    offsetMin = 0;
  } else if ((z == '+' || z == '-') && at + 6 == text.size() && text[at + 3] == ':') {
    int oh = 0, om = 0;
    if (!digits(text, at + 1, 2, &oh) || !digits(text, at + 4, 2, &om) || oh > 23 || om > 59) {
      return bad("has a malformed offset");
    }
    offsetMin = (oh * 60 + om) * (z == '-' ? -1 : 1);
  } else {
    return bad("has something after the time that is not an offset");
  }
  const int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + s - offsetMin * 60;
  return secs * 1000 + ms;
}

std::string formatLocalMoment(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  const int frac = static_cast<int>(((ms % 1000) + 1000) % 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  const long off = tm.tm_gmtoff / 60;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                frac, off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
                (off < 0 ? -off : off) % 60);
  return buf;
}

}  // namespace samband::broker
