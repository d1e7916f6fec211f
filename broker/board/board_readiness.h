// The board's readiness views (GET /api/readiness and /api/readiness/history): readinessReport()
// of readiness.h as JSON, plus what a person watching a check run needs — providers that have
// not answered while the deadline is still ahead are "pending", not yet "missing" — and the
// recent checks with their counts. Every count comes from readinessReport(); nothing here
// decides who answered. Shapes are documented in docs/api.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

// The report of `checkId`, or of the newest check when `checkId` is empty:
// {"generated_at", "today", "check": {...} or null when no check has been issued yet}.
// Errors: notFound for an unknown `checkId`, unavailable when the database cannot be read.
// Reads only; any connection.
common::Result<nlohmann::json> boardReadiness(Store& store,
                                              const std::optional<std::string>& checkId,
                                              int64_t nowMs);

// The newest `limit` checks (1..60), newest first, each with its summary counts. With
// `withRates`, also every provider of the newest check with its answer rate over its last 30
// checks of that mode. Errors: unavailable. Reads only; any connection.
common::Result<nlohmann::json> boardReadinessHistory(Store& store, int limit, bool withRates,
                                                     int64_t nowMs);

}  // namespace samband::broker
