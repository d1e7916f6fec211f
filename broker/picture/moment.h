// Moments as people type them: "2027-02-23T09:40" in the city's local time (the process's time
// zone, which the CLI sets from [readiness] time_zone, Europe/Stockholm by default), or RFC 3339
// with an offset ("2027-02-23T08:40:00Z", "2027-02-23T09:40:00.250+01:00"). Used by
// `status --as-of`, the board's `as_of` parameter and `inquiry export --from/--to`.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace samband::broker {

// Parses "YYYY-MM-DD[T| ]HH:MM[:SS[.fff]][Z|±HH:MM]" into ms since the epoch. Without an offset
// the time is local; a local time that does not exist (the hour skipped in spring) or exists
// twice (the hour repeated in autumn) is refused, asking for an offset. Errors: invalidInput
// naming `flag` and the accepted forms.
common::Result<int64_t> parseMoment(const std::string& text, const std::string& flag);

// "2027-02-23T09:40:00.000+01:00": the moment in local time with its offset (for people; JSON
// keeps RFC 3339 in UTC).
std::string formatLocalMoment(int64_t ms);

}  // namespace samband::broker
