// payloadJson: one decoded signed message body as the JSON the board shows in a provider's
// history (docs/api.md): each payload kind with its fields in the API's names.
#pragma once

#include <nlohmann/json.hpp>

#include "common/messages.h"

namespace samband::broker {

nlohmann::json payloadJson(const common::Payload& payload);

}  // namespace samband::broker
