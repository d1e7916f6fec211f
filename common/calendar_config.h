// The [calendar] table of broker.toml and agent.toml: the city's school holidays as date ranges
// (school days Monday-Friday and the public holidays are built into SchoolCalendar), and the rule
// for when the calendar counts at all (at heightened level and above every hour counts).
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/result.h"
#include "common/school_calendar.h"

namespace samband::common {

// Reads [calendar] holidays = [["YYYY-MM-DD", "YYYY-MM-DD", "name"], ...] (both ends included).
// Absent table or key: no city holidays. Errors: invalidInput naming the file, table, key, the
// element and what to write.
Result<std::vector<HolidayRange>> loadCalendarHolidays(const ConfigFile& file);

// Whether the school calendar excuses silence at the city's readiness level (`levelName` as
// stored: "normal", "heightened", "highest"; empty = never set = normal). At heightened and
// above a crisis does not wait for Monday: school time is wall time.
bool calendarExcusesSilence(const std::string& levelName);

// `a` then the ranges of `b` not already in `a` (same dates and name).
std::vector<HolidayRange> mergeHolidays(std::vector<HolidayRange> a,
                                        const std::vector<HolidayRange>& b);

}  // namespace samband::common
