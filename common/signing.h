// Body signatures: what is signed (kBodySignDomain || body), signing and verifying with Ed25519,
// sealing a message into a signed frame, and the body that announces a provider's next key.
#pragma once

#include <vector>

#include "common/bytes.h"
#include "common/identity.h"
#include "common/messages.h"

namespace samband::common {

// The domain-separation prefix of every body signature (NUL included).
inline constexpr char kBodySignDomain[] = "samband/v1/body";

// Ed25519 over kBodySignDomain || body.
Bytes bodySigningInput(const Bytes& body);  // kBodySignDomain || body: the bytes signed
Bytes signBody(const Identity& identity, const Bytes& body);
// False for a signature of the wrong size or one that does not verify; never throws.
bool verifyBody(const PublicKey& signPublic, const Bytes& body, const Bytes& signature);
// The same over a body and a 64-byte signature held elsewhere (inside a stored envelope);
// `scratch` holds the signed bytes and is reused from call to call (no allocation once it is
// large enough). Never throws.
bool verifyBody(const PublicKey& signPublic, const uint8_t* body, size_t bodySize,
                const uint8_t* signature, Bytes& scratch);

// The domain-separation prefix of a batch signature (NUL included): a batch signature can never
// pass for a body signature or the other way round.
inline constexpr char kBatchSignDomain[] = "samband/v1/batch";

// kBatchSignDomain || for each body: its length (4 bytes, big-endian) || the body. Lengths make
// the concatenation unambiguous.
Bytes batchSigningInput(const std::vector<Bytes>& bodies);
Bytes signBatch(const Identity& identity, const std::vector<Bytes>& bodies);
// False for a signature of the wrong size or one that does not verify; never throws.
bool verifyBatch(const PublicKey& signPublic, const std::vector<Bytes>& bodies,
                 const Bytes& signature);

// A signed frame ready for the wire: the body bytes, their hash (the next prevHash) and the
// envelope bytes.
struct SealedFrame {
  Bytes body;
  Bytes bodyHash;
  Bytes envelope;
};
// Encodes, hashes and signs `message` (which must pass validate()).
SealedFrame seal(const Identity& identity, const Message& message);

// The body that announces `next` as its provider's new key (signed under the current key).
KeyRotationMsg keyRotationTo(const Identity& next);

}  // namespace samband::common
