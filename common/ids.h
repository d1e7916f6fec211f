// Validation of the domain's identifiers: provider organisation numbers and school-unit codes.
#pragma once

#include <string>

namespace samband::common {

// The city's sender id in signed bodies.
inline constexpr const char* kCitySenderId = "city";

// "NNNNNN-NNNN": a Swedish organisation number, the provider id.
bool isProviderId(const std::string& s);
// Exactly 8 digits: a school-unit code (skolenhetskod).
bool isUnitCode(const std::string& s);

}  // namespace samband::common
