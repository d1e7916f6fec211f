// The picture's renderers write a value that is not there as JSON null, the same way in every
// document they produce (board view, payload JSON, status picture). Included by their .cpp files.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"

namespace samband::broker {

// RFC 3339 text for a time in milliseconds, or null when the time is not set (zero or less).
inline nlohmann::json timeOrNull(int64_t ms) {
  if (ms <= 0) return nullptr;
  return common::formatRfc3339(ms);
}

// The count, or null when it was not reported (negative).
inline nlohmann::json countOrNull(int64_t n) {
  if (n < 0) return nullptr;
  return n;
}

// The text, or null when there is none.
inline nlohmann::json textOrNull(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return *text;
}

}  // namespace samband::broker
