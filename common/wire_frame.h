// The Cap'n Proto side of the codec adapter (codec.cpp, downlink.cpp, wire_payload.cpp): reading an
// untrusted frame with limits and writing one. Only those files include it; everything else uses
// messages.h. Callers catch kj::Exception (and std::exception) and turn it into a Result.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace samband::common {

// Refuses a frame by its size alone: empty, over kMaxFrameBytes, or not whole words.
Status checkFrameShape(size_t size);

// Reader limits for a frame of `frameBytes`: traversal bounded by its size, nesting by 8.
capnp::ReaderOptions readerOptions(size_t frameBytes);

// Copies untrusted bytes into word-aligned memory (Cap'n Proto requires alignment). `size` is a
// multiple of the word size (checkFrameShape()).
kj::Array<capnp::word> alignedCopy(const uint8_t* data, size_t size);

Bytes toBytes(capnp::Data::Reader d);
std::string readText(capnp::Text::Reader t);

// The builder's message as one flat frame.
Bytes flatten(capnp::MessageBuilder& builder);

}  // namespace samband::common
