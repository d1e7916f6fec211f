// The wire mapping of a body's payload: generated Cap'n Proto readers and builders to and from the
// plain structs of messages.h. Part of the codec adapter; only codec.cpp includes it. Readers may
// throw kj::Exception on malformed input; the caller catches it.
#pragma once

#include "common/messages.h"
#include "common/result.h"

namespace samband::common {

// The payload of `r`. Errors: invalidInput for a payload kind this build does not know.
Result<Payload> readPayload(wire::Body::Reader r);

// Writes `p` into the payload union of `b`.
void writePayload(wire::Body::Builder b, const Payload& p);

}  // namespace samband::common
