// See frame_check.h.
#include "broker/audit/frame_check.h"

#include <cstring>

#include "common/batch_envelope.h"
#include "common/bytes.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/signing.h"

namespace samband::broker {

namespace {
constexpr size_t kSignatureBytes = 64;  // Ed25519, as locateEnvelope() checks
}  // namespace

void checkFrame(const StoredFrame& frame, const FrameKeys& keys, bool checkSignature,
                FrameCheck& c) {
  c.decodeProblem.clear();
  c.signature = FrameCheck::Signature::notChecked;
  c.signatureProblem.clear();
  c.batchBody.clear();
  // The body and the signature are read where they lie in the stored envelope: no copies.
  const uint8_t* bytes = frame.envelope.data();
  auto spans = common::locateEnvelope(bytes, frame.envelope.size());
  if (!spans) {
    c.decodeProblem = "envelope does not decode";
    return;
  }
  const uint8_t* bodyBytes = bytes + spans->bodyOffset;
  const size_t bodySize = spans->bodySize;
  const uint8_t* signature = bytes + spans->signatureOffset;
  auto body = common::decodeBody(bodyBytes, bodySize);
  if (!body) {
    c.decodeProblem = "body does not decode";
    return;
  }
  c.body = std::move(body).value();
  // The one hash of the body: the chain, the duplicate table and the checkpoints all use it.
  c.bodyHash = common::hash256(bodyBytes, bodySize);
  if (!checkSignature) return;
  if (c.body.senderId == common::kCitySenderId) {
    // Any city chain: the root's, or a broker key the root certified and had not revoked when
    // the frame was archived. Few frames: copies are fine here.
    auto s = keys.city->verifyBody(c.body.keyId, common::Bytes(bodyBytes, bodyBytes + bodySize),
                                   common::Bytes(signature, signature + kSignatureBytes),
                                   frame.receivedAt);
    c.signature = s ? FrameCheck::Signature::verified : FrameCheck::Signature::bad;
    if (!s) c.signatureProblem = s.error().message;
    return;
  }
  auto k = keys.proven->keys.find(common::toHex(c.body.keyId));
  if (k == keys.proven->keys.end() || k->second.provider != c.body.senderId ||
      k->second.signPublic.size() != 32) {
    c.signature = FrameCheck::Signature::noProvenKey;
    return;
  }
  common::PublicKey pk{};
  std::memcpy(pk.data(), k->second.signPublic.data(), 32);
  if (common::isBatchMemberSignature(signature, kSignatureBytes)) {
    c.signature = FrameCheck::Signature::inBatch;
    c.batchBody.assign(bodyBytes, bodyBytes + bodySize);
    c.batchKey = pk;
    return;
  }
  c.signature = common::verifyBody(pk, bodyBytes, bodySize, signature, c.scratch)
                    ? FrameCheck::Signature::verified
                    : FrameCheck::Signature::bad;
}

}  // namespace samband::broker
