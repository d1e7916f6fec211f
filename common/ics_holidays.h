// The city's school holidays from an iCalendar file (RFC 5545), as the school administration
// publishes them: every VEVENT becomes one holiday range (its SUMMARY names it). Untrusted input:
// bounded in size and count, every error names the line.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "common/school_calendar.h"

namespace samband::common {

inline constexpr size_t kMaxIcsBytes = 1 << 20;
inline constexpr size_t kMaxIcsEvents = 2000;

// Parses `text` (the file's contents; `source` names it in messages). DTSTART/DTEND as dates
// (VALUE=DATE, DTEND exclusive as the standard says) or date-times (their date part; DTEND then
// inclusive of its day unless it is midnight). An event without DTEND lasts one day. Errors:
// invalidInput with the line number and what to fix; nothing is returned on any error.
Result<std::vector<HolidayRange>> parseIcsHolidays(const std::string& text,
                                                   const std::string& source);

}  // namespace samband::common
