// The report times of every roster unit, and nothing else: what a /metrics scrape counts (units
// past the calendar's allowance). PictureStore::units() reads every column of every unit, which
// at 10,000 units was most of a scrape's 25-50 ms (docs/performance.md).
#pragma once

#include <cstdint>
#include <vector>

#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

// A roster unit's latest actual report, as far as /metrics counts it.
struct UnitReportTimes {
  int64_t sentAt = 0;      // 0: never reported
  int64_t validUntil = 0;  // 0: none
};

// One row per roster unit, in no particular order. Reads only, on `store`'s connection (the
// caller's thread). Errors: unavailable, with the database's message.
common::Result<std::vector<UnitReportTimes>> unitReportTimes(Store& store);

}  // namespace samband::broker
