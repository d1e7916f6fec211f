// See calendar_config.h.
#include "common/calendar_config.h"

#include <algorithm>

namespace samband::common {

Result<std::vector<HolidayRange>> loadCalendarHolidays(const ConfigFile& file) {
  const std::string shape = "[\"2027-02-22\", \"2027-02-26\", \"sportlov\"]";
  auto rows = file.textRows("calendar", "holidays", 3, shape);
  if (!rows) return rows.error();
  std::vector<HolidayRange> out;
  for (size_t i = 0; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    const std::string what =
        file.where("calendar", "holidays") + " element " + std::to_string(i + 1);
    auto from = parseCivilDate(row[0], what + " first date");
    if (!from) return from.error();
    auto to = parseCivilDate(row[1], what + " last date");
    if (!to) return to.error();
    if (*to < *from) {
      return invalidInput(what + ": the last date " + row[1] + " is before the first " + row[0] +
                          "; write the first day of the holiday, then the last");
    }
    if (row[2].empty()) {
      return invalidInput(what + ": name the holiday in the third string, e.g. \"sportlov\"");
    }
    out.push_back({*from, *to, row[2]});
  }
  return out;
}

bool calendarExcusesSilence(const std::string& levelName) {
  return levelName.empty() || levelName == "normal" || levelName == "unchanged";
}

std::vector<HolidayRange> mergeHolidays(std::vector<HolidayRange> a,
                                        const std::vector<HolidayRange>& b) {
  for (const auto& r : b) {
    const bool known = std::any_of(a.begin(), a.end(), [&](const HolidayRange& x) {
      return x.from == r.from && x.to == r.to && x.name == r.name;
    });
    if (!known) a.push_back(r);
  }
  return a;
}

}  // namespace samband::common
