// The picture of an upstream (county or national) broker (docs/rollup.md): every enrolled city
// with its connection, the age of its newest relayed frame, refusals by reason, and its
// providers (liveness from the city's signed summary) and units (newest relayed status). What
// `status --json` prints and the board's /api/rollup serves.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "broker/picture/liveness.h"
#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

// `tier`: "county" or "national". Errors: unavailable.
common::Result<nlohmann::json> rollupPicture(Store& store, const LivenessRules& rules,
                                             const std::string& tier, int64_t now);

}  // namespace samband::broker
