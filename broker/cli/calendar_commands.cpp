// CLI verbs for the school calendar (see commands.h): `calendar import` stores the city's
// holiday ranges from an iCalendar file in the database; `calendar show` lists each day as a
// school day or says why not, from [calendar] in broker.toml and the imported ranges together.
#include <iostream>
#include <nlohmann/json.hpp>

#include "broker/cli/broker_config.h"
#include "broker/cli/commands.h"
#include "broker/store/calendar_store.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/ics_holidays.h"

namespace samband::broker {

namespace {

int fail(const std::string& message, int code = kExitUsage) {
  std::cerr << "samband-broker: " << message << "\n";
  return code;
}

// Longest span `calendar show` lists at once: a few school years.
constexpr int64_t kMaxShowDays = 3 * 366;

}  // namespace

int runCalendarImport(const std::string& configPath, const std::string& file) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto text = common::readFile(file, common::kMaxIcsBytes + 1);
  if (!text) return fail(text.error().message);
  if (text->size() > common::kMaxIcsBytes) {
    return fail(file + " is larger than " + std::to_string(common::kMaxIcsBytes >> 10) +
                " KiB; split it into one file per school year");
  }
  auto ranges = common::parseIcsHolidays(*text, file);
  if (!ranges) return fail(ranges.error().message);
  if (ranges->empty()) return fail(file + " holds no events (VEVENT); nothing was imported");
  auto store = Store::open(cfg->databasePath, Store::Access::readWrite);
  if (!store) return fail(store.error().message);
  common::SystemClock clock;
  // The file is the school administration's word for the period it covers: a range imported
  // earlier inside that period and missing from the file was moved or cancelled.
  auto replaced = CalendarStore(**store).replacePeriod(*ranges, file, clock.nowMs());
  if (!replaced) {
    return fail("cannot store the holidays: " + replaced.error().message, kExitFailure);
  }
  common::CivilDate first = ranges->front().from, last = ranges->front().to;
  for (const auto& r : *ranges) {
    if (r.from < first) first = r.from;
    if (last < r.to) last = r.to;
  }
  std::cout << "Imported " << ranges->size() << " holiday range" << (ranges->size() == 1 ? "" : "s")
            << " from " << file << " (" << replaced->added << " new), covering "
            << common::formatCivilDate(first) << " to " << common::formatCivilDate(last) << ":\n";
  for (const auto& r : *ranges) {
    std::cout << "  " << common::formatCivilDate(r.from) << " .. " << common::formatCivilDate(r.to)
              << "  " << r.name << "\n";
  }
  if (!replaced->removed.empty()) {
    std::cout << "Removed " << replaced->removed.size() << " range"
              << (replaced->removed.size() == 1 ? "" : "s")
              << " imported earlier for this period that the file no longer has:\n";
    for (const auto& r : replaced->removed) {
      std::cout << "  " << common::formatCivilDate(r.from) << " .. "
                << common::formatCivilDate(r.to) << "  " << r.name << "\n";
    }
  }
  return kExitOk;
}

int runCalendarShow(const std::string& configPath, const std::string& from, const std::string& to,
                    bool json) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto first = common::parseCivilDate(from, "--from");
  if (!first) return fail(first.error().message);
  auto last = common::parseCivilDate(to, "--to");
  if (!last) return fail(last.error().message);
  const int64_t begin = common::daysFromCivil(*first), end = common::daysFromCivil(*last);
  if (end < begin) return fail("--to " + to + " is before --from " + from);
  if (end - begin >= kMaxShowDays) {
    return fail("--from and --to span more than " + std::to_string(kMaxShowDays) +
                " days; ask for a shorter period");
  }
  auto store = Store::open(cfg->databasePath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  auto calendar = schoolCalendarOf(**store, cfg->holidays);
  if (!calendar) return fail("cannot read the calendar: " + calendar.error().message, 1);
  static const char* kWeekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  nlohmann::json days = nlohmann::json::array();
  int64_t schoolDays = 0;
  for (int64_t d = begin; d <= end; ++d) {
    const common::CivilDate date = common::civilFromDays(d);
    auto why = calendar->whyNoSchool(date);
    if (!why) ++schoolDays;
    if (json) {
      days.push_back({{"date", common::formatCivilDate(date)},
                      {"weekday", kWeekdays[common::weekdayOf(date)]},
                      {"school_day", !why},
                      {"reason", why ? nlohmann::json(*why) : nlohmann::json(nullptr)}});
    } else {
      std::cout << common::formatCivilDate(date) << "  " << kWeekdays[common::weekdayOf(date)]
                << "  " << (why ? "no school: " + *why : std::string("school day")) << "\n";
    }
  }
  if (json) {
    std::cout << nlohmann::json{{"from", from},
                                {"to", to},
                                {"school_days", schoolDays},
                                {"days", days}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << schoolDays << " school day" << (schoolDays == 1 ? "" : "s") << " of "
              << (end - begin + 1) << ".\n";
  }
  return kExitOk;
}

}  // namespace samband::broker
