// See frame_check.h.
#include "broker/audit/frame_check.h"

#include <cstring>

#include "common/batch_envelope.h"
#include "common/bytes.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/signing.h"

namespace samband::broker {

FrameCheck checkFrame(const StoredFrame& frame, const FrameKeys& keys, bool checkSignature) {
  FrameCheck c;
  auto parts = common::decodeEnvelope(frame.envelope);
  if (!parts) {
    c.decodeProblem = "envelope does not decode";
    return c;
  }
  auto body = common::decodeBody(parts->body);
  if (!body) {
    c.decodeProblem = "body does not decode";
    return c;
  }
  c.body = std::move(body).value();
  c.bodyHash = common::hash256(parts->body);
  if (!checkSignature) return c;
  const std::string keyId = common::toHex(c.body.keyId);
  if (c.body.senderId == common::kCitySenderId) {
    // Any city chain: the root's, or a broker key the root certified and had not revoked when
    // the frame was archived.
    auto s = keys.city->verifyBody(c.body.keyId, parts->body, parts->signature, frame.receivedAt);
    c.signature = s ? FrameCheck::Signature::verified : FrameCheck::Signature::bad;
    if (!s) c.signatureProblem = s.error().message;
    return c;
  }
  auto k = keys.proven->keys.find(keyId);
  if (k == keys.proven->keys.end() || k->second.provider != c.body.senderId ||
      k->second.signPublic.size() != 32) {
    c.signature = FrameCheck::Signature::noProvenKey;
    return c;
  }
  common::PublicKey pk{};
  std::memcpy(pk.data(), k->second.signPublic.data(), 32);
  if (common::isBatchMemberSignature(parts->signature)) {
    c.signature = FrameCheck::Signature::inBatch;
    c.batchBody = std::move(parts->body);
    c.batchKey = pk;
    return c;
  }
  c.signature = common::verifyBody(pk, parts->body, parts->signature)
                    ? FrameCheck::Signature::verified
                    : FrameCheck::Signature::bad;
  return c;
}

}  // namespace samband::broker
