// Reading a new password for `samband-broker user add` and `samband-agent user add`: from the
// terminal twice without echo, or one line from standard input when it is not a terminal (for
// scripts). The caller wipes the result (sodium_memzero) when done.
#pragma once

#include <string>

#include "common/result.h"

namespace samband::web {

// The password for account `name`. `pipeExample` is the command shown when standard input is
// empty ("printf '%s\n' \"$PASSWORD\" | samband-agent user add ..."). Errors: invalidInput (no
// password, or the two differ).
common::Result<std::string> readNewPassword(const std::string& name,
                                            const std::string& pipeExample);

}  // namespace samband::web
