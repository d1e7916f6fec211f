// See signing.h.
#include "common/signing.h"

#include <sodium.h>

#include <cstring>

#include "common/codec.h"

namespace samband::common {

Bytes bodySigningInput(const Bytes& body) {
  Bytes buf(sizeof kBodySignDomain + body.size());
  std::memcpy(buf.data(), kBodySignDomain, sizeof kBodySignDomain);
  if (!body.empty()) std::memcpy(buf.data() + sizeof kBodySignDomain, body.data(), body.size());
  return buf;
}

Bytes signBody(const Identity& identity, const Bytes& body) {
  const Bytes buf = bodySigningInput(body);
  return identity.sign(buf.data(), buf.size());
}

bool verifyBody(const PublicKey& signPublic, const Bytes& body, const Bytes& signature) {
  if (signature.size() != crypto_sign_BYTES) return false;
  const Bytes buf = bodySigningInput(body);
  return crypto_sign_verify_detached(signature.data(), buf.data(), buf.size(), signPublic.data()) ==
         0;
}

KeyRotationMsg keyRotationTo(const Identity& next) {
  KeyRotationMsg k;
  k.newKeyId = next.keyId();
  k.newSignPublic.assign(next.signPublic().begin(), next.signPublic().end());
  k.newCurvePublic.assign(next.curvePublic().begin(), next.curvePublic().end());
  return k;
}

SealedFrame seal(const Identity& identity, const Message& message) {
  SealedFrame f;
  f.body = encodeBody(message);
  f.bodyHash = hash256(f.body);
  f.envelope = encodeEnvelope(f.body, signBody(identity, f.body));
  return f;
}

}  // namespace samband::common
