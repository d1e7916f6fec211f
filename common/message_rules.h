// The field rules of a message (messages.h): ids, enums in range, numbers within bounds, text
// clean and within limits.h, heartbeat and chain fields consistent. decodeBody() applies them to
// every frame it reads; senders check what they are about to send.
#pragma once

#include "common/messages.h"
#include "common/result.h"

namespace samband::common {

// Checks every field rule of `message`. Errors: invalidInput naming the first field that breaks
// a rule. Pure; thread-safe.
Status validate(const Message& message);

}  // namespace samband::common
