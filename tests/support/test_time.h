// The instants and deadlines that many unit tests share, defined once so that test files built
// together in one unity batch (tests/CMakeLists.txt) do not each define their own.
#pragma once

#include <cstdint>

namespace samband::test_time {

// 2025-11-25T10:46:20.123Z, in milliseconds since the epoch: the broker tests' "now".
inline constexpr int64_t kNow = 1764067580123;

// 2026-11-26T07:00:00Z, a Thursday morning: the agent tests' "now".
inline constexpr int64_t kThursday = 1795676400000;

// How long the agent tests let a session wait for the broker, in milliseconds.
inline constexpr int64_t kDeadlineMs = 10000;

}  // namespace samband::test_time
