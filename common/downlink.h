// Downlinks: what the broker sends back to an agent (ack, reject, head, a city envelope), encoded
// and decoded with the same limits as every frame. Decoding is the agent's gate for the broker's
// bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::common {

// Serializes `downlink`; a reject's detail is cut to kMaxShortText bytes.
Bytes encodeDownlink(const Downlink& downlink);
// Decodes a downlink. Errors: invalidInput with a reason; a reject's unreadable detail is
// replaced, not refused. Never throws.
Result<Downlink> decodeDownlink(const uint8_t* data, size_t size);

}  // namespace samband::common
