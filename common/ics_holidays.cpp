// See ics_holidays.h.
#include "common/ics_holidays.h"

#include <cctype>

#include "common/limits.h"
#include "common/text_rules.h"

namespace samband::common {

namespace {

struct Line {
  size_t number;  // of its first physical line
  std::string text;
};

// Splits into logical lines: CRLF or LF, and a line starting with a space or tab continues the
// previous one (RFC 5545 folding).
std::vector<Line> unfold(const std::string& text) {
  std::vector<Line> out;
  size_t number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    ++number;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      out.back().text += line.substr(1);
    } else if (!line.empty()) {
      out.push_back({number, line});
    }
    if (end == text.size()) break;
    pos = end + 1;
  }
  return out;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[++i];
      out += (n == 'n' || n == 'N') ? ' ' : n;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct DateValue {
  CivilDate date;
  bool isDateTime = false;
  bool isMidnight = false;
};

Result<DateValue> parseIcsDate(const std::string& value, const std::string& where) {
  auto bad = [&] {
    return invalidInput(where + ": \"" + value +
                        "\" is not an iCalendar date (YYYYMMDD or YYYYMMDDTHHMMSS[Z])");
  };
  if (value.size() < 8) return bad();
  for (size_t i = 0; i < 8; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(value[i]))) return bad();
  }
  std::string iso = value.substr(0, 4) + "-" + value.substr(4, 2) + "-" + value.substr(6, 2);
  auto date = parseCivilDate(iso, where);
  if (!date) return bad();
  DateValue v{*date, false, false};
  if (value.size() > 8) {
    if (value[8] != 'T' || value.size() < 15) return bad();
    for (size_t i = 9; i < 15; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(value[i]))) return bad();
    }
    v.isDateTime = true;
    v.isMidnight = value.substr(9, 6) == "000000";
  }
  return v;
}

}  // namespace

Result<std::vector<HolidayRange>> parseIcsHolidays(const std::string& text,
                                                   const std::string& source) {
  if (text.size() > kMaxIcsBytes) {
    return invalidInput(source + " is larger than 1 MiB; export only the school holidays");
  }
  std::vector<HolidayRange> out;
  bool inEvent = false;
  bool sawCalendar = false;
  size_t eventLine = 0;
  std::optional<DateValue> start, end;
  std::string summary;
  for (const Line& line : unfold(text)) {
    const std::string where = source + " line " + std::to_string(line.number);
    const size_t colon = line.text.find(':');
    if (colon == std::string::npos) {
      return invalidInput(where + ": expected NAME:VALUE; is this an iCalendar (.ics) file?");
    }
    std::string head = line.text.substr(0, colon);
    const std::string value = line.text.substr(colon + 1);
    const std::string name = head.substr(0, head.find(';'));
    if (name == "BEGIN" && value == "VCALENDAR") sawCalendar = true;
    if (name == "BEGIN" && value == "VEVENT") {
      if (inEvent) return invalidInput(where + ": an event begins inside another event");
      inEvent = true;
      eventLine = line.number;
      start.reset();
      end.reset();
      summary.clear();
    } else if (name == "END" && value == "VEVENT") {
      if (!inEvent) return invalidInput(where + ": END:VEVENT without BEGIN:VEVENT");
      inEvent = false;
      const std::string at = source + " line " + std::to_string(eventLine);
      if (!start) return invalidInput(at + ": the event has no DTSTART");
      HolidayRange r;
      r.from = start->date;
      r.to = start->date;
      if (end) {
        // A date DTEND is exclusive; a date-time one ends on its own day unless at midnight.
        const bool exclusive = !end->isDateTime || end->isMidnight;
        CivilDate last = exclusive ? civilFromDays(daysFromCivil(end->date) - 1) : end->date;
        if (last < r.from) {
          if (!(end->date == start->date)) {
            return invalidInput(at + ": the event ends before it starts");
          }
          last = r.from;
        }
        r.to = last;
      }
      if (daysFromCivil(r.to) - daysFromCivil(r.from) > 366) {
        return invalidInput(at + ": the event is longer than a year; is it a school holiday?");
      }
      r.name = utf8Prefix(unescape(summary), kMaxShortText);
      if (!isCleanText(r.name)) r.name = "lov";
      out.push_back(std::move(r));
      if (out.size() > kMaxIcsEvents) {
        return invalidInput(source +
                            " holds more than 2000 events; export only the school "
                            "holidays");
      }
    } else if (inEvent && name == "DTSTART") {
      auto d = parseIcsDate(value, where);
      if (!d) return d.error();
      start = *d;
    } else if (inEvent && name == "DTEND") {
      auto d = parseIcsDate(value, where);
      if (!d) return d.error();
      end = *d;
    } else if (inEvent && name == "SUMMARY") {
      summary = value;
    }
  }
  if (!sawCalendar) {
    return invalidInput(source + " has no BEGIN:VCALENDAR; is it an iCalendar (.ics) file?");
  }
  if (inEvent) return invalidInput(source + ": the last event has no END:VEVENT");
  return out;
}

}  // namespace samband::common
