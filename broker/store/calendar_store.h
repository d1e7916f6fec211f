// CalendarStore: the city's school holidays imported from iCalendar files (table
// `calendar_holidays`), the broker's own copy that counts beside [calendar] in broker.toml.
// Written by `samband-broker calendar import`, read wherever school time is counted.
#pragma once

#include <cstdint>
#include <vector>

#include "broker/store/store.h"
#include "common/result.h"
#include "common/school_calendar.h"

namespace samband::broker {

class CalendarStore {
 public:
  // `store` must outlive this object; one thread. Errors of every call: unavailable.
  explicit CalendarStore(Store& store) : store_(store) {}

  // Every imported range, ordered by first day.
  common::Result<std::vector<common::HolidayRange>> holidays();
  struct Replaced {
    int64_t added = 0;                          // ranges not stored before
    std::vector<common::HolidayRange> removed;  // stored ranges the new file no longer has
  };
  // Stores `ranges` (a range already stored, same dates and name, is kept once) as the whole truth
  // for the school years they touch (läsår, 1 August to 31 July): a stored range lying inside those
  // years and absent from `ranges` is removed (a holiday the school administration moved or
  // cancelled), in the same transaction. Ranges of other school years are kept. `ranges` must not
  // be empty.
  common::Result<Replaced> replacePeriod(const std::vector<common::HolidayRange>& ranges,
                                         const std::string& source, int64_t nowMs);

 private:
  Store& store_;
};

// The calendar the broker counts in: `configured` ([calendar] holidays) and the imported ranges.
common::Result<common::SchoolCalendar> schoolCalendarOf(
    Store& store, const std::vector<common::HolidayRange>& configured);

}  // namespace samband::broker
