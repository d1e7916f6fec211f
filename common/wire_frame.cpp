// See wire_frame.h.
#include "common/wire_frame.h"

#include <cstring>

#include "common/limits.h"

namespace samband::common {

Status checkFrameShape(size_t size) {
  if (size == 0) return invalidInput("empty frame");
  if (size > kMaxFrameBytes) return invalidInput("frame larger than the limit");
  if (size % sizeof(capnp::word) != 0) return invalidInput("frame is not word-aligned");
  return {};
}

capnp::ReaderOptions readerOptions(size_t frameBytes) {
  capnp::ReaderOptions o;
  // Every legal message is read exactly once; twice the frame size in words is ample and
  // bounds amplification through shared pointers.
  o.traversalLimitInWords = (frameBytes / 8 + 1) * 2;
  o.nestingLimit = 8;
  return o;
}

// Copies untrusted bytes into word-aligned memory (Cap'n Proto requires alignment).
kj::Array<capnp::word> alignedCopy(const uint8_t* data, size_t size) {
  auto words = kj::heapArray<capnp::word>(size / sizeof(capnp::word));
  std::memcpy(words.begin(), data, words.size() * sizeof(capnp::word));
  return words;
}

Bytes toBytes(capnp::Data::Reader d) { return Bytes(d.begin(), d.end()); }

std::string readText(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

Bytes flatten(capnp::MessageBuilder& builder) {
  auto words = capnp::messageToFlatArray(builder);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

}  // namespace samband::common
