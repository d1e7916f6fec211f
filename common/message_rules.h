// The field rules of a message (messages.h): ids, enums in range, numbers within bounds, text
// clean and within limits.h, heartbeat and chain fields consistent. decodeBody() applies them to
// every frame it reads; senders check what they are about to send.
#pragma once

#include <optional>
#include <string>

#include "common/messages.h"
#include "common/result.h"

namespace samband::common {

// Checks every field rule of `message`. Errors: invalidInput naming the first field that breaks
// a rule. Pure; thread-safe.
Status validate(const Message& message);

// A free-text field of an agent's body that holds what looks like a Swedish personal identity or
// coordination number (common/personal_number.h).
struct PersonalDataFinding {
  const char* field;   // the wire field, e.g. "unit_status.note"
  std::string number;  // as written there: show it to the person typing it, never log it
};
// The first such field of `payload`, or nothing. Covers every free text an agent signs: unit
// status reason and note, continuity note, readiness answer check id and self-test names and
// details, directive ack id. Both sides call it: the agent before signing, the broker's gate
// (`personal_data`). Pure; thread-safe.
std::optional<PersonalDataFinding> findPersonalData(const Payload& payload);

}  // namespace samband::common
