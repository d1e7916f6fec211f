// Encoding and decoding of frames with explicit limits. Decoding is the gate for untrusted
// bytes: size cap, Cap'n Proto traversal/nesting limits, enum and range checks, text bounds.
// Also the umbrella of the codec: the limits, the text and message rules, body signatures and
// downlinks each have their own header, included here so that one include still brings them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/downlink.h"
#include "common/identity.h"
#include "common/limits.h"
#include "common/message_rules.h"
#include "common/messages.h"
#include "common/result.h"
#include "common/signing.h"
#include "common/text_rules.h"

namespace samband::common {

struct EnvelopeParts {
  Bytes body;
  Bytes signature;
};

// Serializes a body. Never fails for a message that passes validate().
Bytes encodeBody(const Message& message);
// Decodes and validates a body. Every failure is ErrorKind::invalidInput with a reason; no
// exception escapes.
Result<Message> decodeBody(const uint8_t* data, size_t size);
inline Result<Message> decodeBody(const Bytes& b) { return decodeBody(b.data(), b.size()); }

Bytes encodeEnvelope(const Bytes& body, const Bytes& signature);
// Decodes an envelope: a 64-byte signature and a non-empty body. Errors: invalidInput with a
// reason; no exception escapes.
Result<EnvelopeParts> decodeEnvelope(const uint8_t* data, size_t size);
inline Result<EnvelopeParts> decodeEnvelope(const Bytes& b) {
  return decodeEnvelope(b.data(), b.size());
}

// Where an envelope's body and signature lie inside its bytes.
struct EnvelopeSpans {
  size_t bodyOffset = 0;
  size_t bodySize = 0;
  size_t signatureOffset = 0;  // 64 bytes (Ed25519)
};
// decodeEnvelope() without copying the parts out: the same checks, and offsets into `data`
// instead of copies (the audit reads millions of stored envelopes). Errors: as decodeEnvelope().
Result<EnvelopeSpans> locateEnvelope(const uint8_t* data, size_t size);

}  // namespace samband::common
