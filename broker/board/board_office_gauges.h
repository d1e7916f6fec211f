// The office's gauges on /metrics (OfficeGauges of broker/metrics/office_metrics.h), read from
// the database for each scrape: units past the calendar's allowance, the newest readiness check,
// open directives, providers' clock offsets and the city's checkpoints. City-wide: /metrics has
// no session, and tells counts, not units.
#pragma once

#include <cstdint>

#include "broker/metrics/office_metrics.h"
#include "broker/picture/board_view.h"
#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

// Reads only; any connection. Errors: unavailable.
common::Result<OfficeGauges> officeGauges(Store& store, const BoardViewRules& rules, int64_t nowMs);

}  // namespace samband::broker
