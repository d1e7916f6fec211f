// Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer)
// in free text. Reports carry counts and states only; a note that names a pupil by number is
// refused before it is signed (agent) and when it arrives (broker, `personal_data`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace samband::common {

// The first personal identity or coordination number in `text`, as written there, or nothing.
// Recognised forms: YYMMDD-NNNN, YYMMDD+NNNN, YYMMDDNNNN, YYYYMMDD-NNNN and YYYYMMDDNNNN, as a
// run of digits not glued to other digits, with a real month, a day of 1-31 (61-91 for a
// coordination number) and a correct check digit (Luhn over the ten digits YYMMDDNNNN).
// Organisation numbers (month digits 20 and up) and other numbers never match. Pure.
std::optional<std::string> findPersonalNumber(std::string_view text);

}  // namespace samband::common
