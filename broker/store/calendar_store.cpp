// See calendar_store.h. Dates are stored as "YYYY-MM-DD" text so the table reads plainly.
#include "broker/store/calendar_store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

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

common::Result<int64_t> CalendarStore::add(const std::vector<common::HolidayRange>& ranges,
                                           const std::string& source, int64_t nowMs) {
  try {
    SQLite::Transaction tx(store_.db());
    SQLite::Statement q(store_.db(),
                        "INSERT OR IGNORE INTO calendar_holidays(from_date, to_date, name, source, "
                        "imported_at) VALUES(?,?,?,?,?)");
    int64_t added = 0;
    for (const auto& r : ranges) {
      q.reset();
      q.bind(1, common::formatCivilDate(r.from));
      q.bind(2, common::formatCivilDate(r.to));
      q.bind(3, r.name);
      q.bind(4, source);
      q.bind(5, nowMs);
      added += q.exec();
    }
    tx.commit();
    return added;
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
