// Encoding and decoding of frames with explicit limits. Decoding is the gate for untrusted
// bytes: size cap, Cap'n Proto traversal/nesting limits, enum and range checks, text bounds.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/identity.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::common {

// Largest frame the broker reads; anything bigger is refused as oversized before decoding.
inline constexpr size_t kMaxFrameBytes = 64 * 1024;
// Text bounds (bytes of UTF-8).
inline constexpr size_t kMaxShortText = 200;  // reasons, self-test details
inline constexpr size_t kMaxNoteText = 1000;  // unit notes, continuity notes
inline constexpr size_t kMaxDirectiveText = 8000;
inline constexpr size_t kMaxIdText = 64;  // check and directive ids, self-test names
inline constexpr size_t kMaxCapacityEntries = 64;
inline constexpr size_t kMaxSelfTests = 32;
inline constexpr size_t kMaxRecipients = 1000;

// The domain-separation prefix of every body signature (NUL included).
inline constexpr char kBodySignDomain[] = "samband/v1/body";

struct EnvelopeParts {
  Bytes body;
  Bytes signature;
};

// Serializes a body. Never fails for a message that passes validate().
Bytes encodeBody(const Message& message);
// Decodes and validates a body. Every failure is ErrorKind::invalidInput with a reason.
Result<Message> decodeBody(const uint8_t* data, size_t size);
inline Result<Message> decodeBody(const Bytes& b) { return decodeBody(b.data(), b.size()); }
// Checks field bounds of a message we are about to send (the same rules decodeBody applies).
Status validate(const Message& message);

Bytes encodeEnvelope(const Bytes& body, const Bytes& signature);
Result<EnvelopeParts> decodeEnvelope(const uint8_t* data, size_t size);
inline Result<EnvelopeParts> decodeEnvelope(const Bytes& b) {
  return decodeEnvelope(b.data(), b.size());
}

// Ed25519 over kBodySignDomain || body.
Bytes bodySigningInput(const Bytes& body);  // kBodySignDomain || body: the bytes signed
Bytes signBody(const Identity& identity, const Bytes& body);
bool verifyBody(const PublicKey& signPublic, const Bytes& body, const Bytes& signature);

// A signed frame ready for the wire: the body bytes, their hash (the next prevHash) and the
// envelope bytes.
struct SealedFrame {
  Bytes body;
  Bytes bodyHash;
  Bytes envelope;
};
SealedFrame seal(const Identity& identity, const Message& message);

// The body that announces `next` as its provider's new key (signed under the current key).
KeyRotationMsg keyRotationTo(const Identity& next);

Bytes encodeDownlink(const Downlink& downlink);
Result<Downlink> decodeDownlink(const uint8_t* data, size_t size);

// True when `s` is valid UTF-8 without control characters other than tab and newline.
bool isCleanText(const std::string& s);

}  // namespace samband::common
