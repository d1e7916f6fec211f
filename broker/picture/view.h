// View: the current picture read from the database — providers, their liveness, units and
// their latest actual status, and the refusal counters. Used by `status` and by the board.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "broker/picture/liveness.h"
#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

// A provider whose measured clock offset is beyond this (either way) is flagged: in `status`
// text, and on the board (broker/board/assets/providers.js holds the same 120 s).
inline constexpr int64_t kClockOffsetWarnMs = 120'000;

// The picture as one JSON object (see docs/api.md and README for the keys). Reads only.
// Errors: database (unavailable).
common::Result<nlohmann::json> currentPicture(Store& store, const LivenessRules& rules,
                                              int64_t nowMs);

// A compact human-readable rendering of currentPicture().
std::string pictureText(const nlohmann::json& picture);

}  // namespace samband::broker
