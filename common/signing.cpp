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

bool verifyBody(const PublicKey& signPublic, const uint8_t* body, size_t bodySize,
                const uint8_t* signature, Bytes& scratch) {
  scratch.resize(sizeof kBodySignDomain + bodySize);
  std::memcpy(scratch.data(), kBodySignDomain, sizeof kBodySignDomain);
  if (bodySize > 0) std::memcpy(scratch.data() + sizeof kBodySignDomain, body, bodySize);
  return crypto_sign_verify_detached(signature, scratch.data(), scratch.size(),
                                     signPublic.data()) == 0;
}

Bytes batchSigningInput(const std::vector<Bytes>& bodies) {
  size_t total = sizeof kBatchSignDomain;
  for (const auto& b : bodies) total += 4 + b.size();
  Bytes buf(total);
  uint8_t* out = buf.data();
  std::memcpy(out, kBatchSignDomain, sizeof kBatchSignDomain);
  out += sizeof kBatchSignDomain;
  for (const auto& b : bodies) {
    const auto n = static_cast<uint32_t>(b.size());
    out[0] = static_cast<uint8_t>(n >> 24);
    out[1] = static_cast<uint8_t>(n >> 16);
    out[2] = static_cast<uint8_t>(n >> 8);
    out[3] = static_cast<uint8_t>(n);
    out += 4;
    if (n != 0) std::memcpy(out, b.data(), n);
    out += n;
  }
  return buf;
}

Bytes signBatch(const Identity& identity, const std::vector<Bytes>& bodies) {
  const Bytes buf = batchSigningInput(bodies);
  return identity.sign(buf.data(), buf.size());
}

bool verifyBatch(const PublicKey& signPublic, const std::vector<Bytes>& bodies,
                 const Bytes& signature) {
  if (signature.size() != crypto_sign_BYTES) return false;
  const Bytes buf = batchSigningInput(bodies);
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
