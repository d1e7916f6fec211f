// Dates and times typed on the command line: RFC 3339 ("2026-11-26T08:00:00+01:00",
// "2026-11-26T07:00:00Z", fractions allowed) or a plain date ("2026-11-26", meaning midnight
// at the start of that day in the machine's local time zone).
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace samband::agent {

// Milliseconds since the Unix epoch. Errors are invalidInput naming `flag` and the accepted forms.
common::Result<int64_t> parseTimeInput(const std::string& text, const std::string& flag);

}  // namespace samband::agent
