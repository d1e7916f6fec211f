// PlanningSource: the planner's input read from the picture in the database (roster metadata,
// capacity, closures, what-if marks), and the roster file's import and export.
#pragma once

#include <vector>

#include "broker/planning/planning_data.h"
#include "broker/planning/roster_csv.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/result.h"
#include "common/school_calendar.h"

namespace samband::broker {

// Reads everything in one read transaction, as of `nowMs` (broker clock): the age of each
// status report follows the board's rule (school time at normal level, with [calendar]
// `holidays` and the imported ones; view.h ReportAge). Errors are `unavailable` with the
// database error.
common::Result<PlanningData> loadPlanningData(Store& store, int64_t nowMs,
                                              const std::vector<common::HolidayRange>& holidays);

// Replaces the roster metadata of the units in `rows` in one transaction (units of providers
// not yet enrolled are added under a placeholder provider record). A unit that belongs to
// another provider is an error unless `allowTransfer`. Nothing is written on any error.
// `alsoInTransaction` (the CLI: the city's signed record of each transfer) runs inside the same
// transaction with the units that changed owner, by new provider; then `infoInTransaction`
// (the city's signed unit metadata records) with the units that are new or changed.
common::Status importRoster(Store& store, const std::vector<RosterRow>& rows, bool allowTransfer,
                            int64_t nowMs,
                            const RosterStore::TransferHook& alsoInTransaction = nullptr,
                            const RosterStore::InfoHook& infoInTransaction = nullptr);
// Every unit of the roster, by code. Errors: unavailable.
common::Result<std::vector<RosterRow>> exportRoster(Store& store);

}  // namespace samband::broker
