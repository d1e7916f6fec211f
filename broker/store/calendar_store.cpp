// See calendar_store.h. Dates are stored as "YYYY-MM-DD" text so the table reads plainly.
#include "broker/store/calendar_store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>

#include "common/calendar_config.h"

namespace samband::broker {

common::Result<std::vector<common::HolidayRange>> CalendarStore::holidays() {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT from_date, to_date, name FROM calendar_holidays "
                        "ORDER BY from_date, to_date, name");
    std::vector<common::HolidayRange> out;
    while (q.executeStep()) {
      auto from = common::parseCivilDate(q.getColumn(0).getString(), "calendar_holidays");
      auto to = common::parseCivilDate(q.getColumn(1).getString(), "calendar_holidays");
      if (!from || !to) return common::unavailable("calendar_holidays holds a malformed date");
      out.push_back({*from, *to, q.getColumn(2).getString()});
    }
    return out;
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
}

common::Result<CalendarStore::Replaced> CalendarStore::replacePeriod(
    const std::vector<common::HolidayRange>& ranges, const std::string& source, int64_t nowMs) {
  if (ranges.empty()) return common::invalidInput("no holiday ranges to store");
  common::CivilDate first = ranges.front().from, last = ranges.front().to;
  for (const auto& r : ranges) {
    if (r.from < first) first = r.from;
    if (last < r.to) last = r.to;
  }
  // Whole school years (läsår, 1 August to 31 July): a moved holiday may start before or after
  // the file's first and last ranges, but not outside its school years.
  const int firstYear = first.month >= 8 ? first.year : first.year - 1;
  const int lastYear = last.month >= 8 ? last.year + 1 : last.year;
  const std::string from = common::formatCivilDate({firstYear, 8, 1});
  const std::string to = common::formatCivilDate({lastYear, 7, 31});
  try {
    SQLite::Transaction tx(store_.db());
    Replaced out;
    SQLite::Statement inside(store_.db(),
                             "SELECT from_date, to_date, name FROM calendar_holidays "
                             "WHERE from_date >= ? AND to_date <= ? ORDER BY from_date, name");
    inside.bind(1, from);
    inside.bind(2, to);
    while (inside.executeStep()) {
      auto f = common::parseCivilDate(inside.getColumn(0).getString(), "calendar_holidays");
      auto t = common::parseCivilDate(inside.getColumn(1).getString(), "calendar_holidays");
      if (!f || !t) return common::unavailable("calendar_holidays holds a malformed date");
      common::HolidayRange kept{*f, *t, inside.getColumn(2).getString()};
      const bool stays = std::any_of(ranges.begin(), ranges.end(), [&](const auto& r) {
        return !(r.from < kept.from) && !(kept.from < r.from) && !(r.to < kept.to) &&
               !(kept.to < r.to) && r.name == kept.name;
      });
      if (!stays) out.removed.push_back(std::move(kept));
    }
    SQLite::Statement del(store_.db(),
                          "DELETE FROM calendar_holidays WHERE from_date = ? AND to_date = ? AND "
                          "name = ?");
    for (const auto& r : out.removed) {
      del.reset();
      del.bind(1, common::formatCivilDate(r.from));
      del.bind(2, common::formatCivilDate(r.to));
      del.bind(3, r.name);
      del.exec();
    }
    SQLite::Statement q(store_.db(),
                        "INSERT OR IGNORE INTO calendar_holidays(from_date, to_date, name, source, "
                        "imported_at) VALUES(?,?,?,?,?)");
    for (const auto& r : ranges) {
      q.reset();
      q.bind(1, common::formatCivilDate(r.from));
      q.bind(2, common::formatCivilDate(r.to));
      q.bind(3, r.name);
      q.bind(4, source);
      q.bind(5, nowMs);
      out.added += q.exec();
    }
    tx.commit();
    return out;
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
}

common::Result<common::SchoolCalendar> schoolCalendarOf(
    Store& store, const std::vector<common::HolidayRange>& configured) {
  auto imported = CalendarStore(store).holidays();
  if (!imported) return imported.error();
  return common::SchoolCalendar(common::mergeHolidays(configured, *imported));
}

}  // namespace samband::broker
