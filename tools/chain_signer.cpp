// See chain_signer.h. The chain rules are those of docs/protocol.md, "Sequence and hash chain".
#include "tools/chain_signer.h"

#include <cassert>
#include <utility>

namespace samband::tools {

ChainSigner::ChainSigner(const common::Identity& identity, uint64_t headSeq, common::Bytes headHash)
    : identity_(identity), headSeq_(headSeq), headHash_(std::move(headHash)) {}

common::SealedFrame ChainSigner::next(common::Payload payload, int64_t sentAtMs,
                                      common::Mode mode) {
  common::Message m;
  m.senderId = identity_.id();
  m.keyId = identity_.keyId();
  m.seq = headSeq_ + 1;
  m.prevHash = headHash_;
  m.sentAt = sentAtMs;
  m.mode = mode;
  m.payload = std::move(payload);
  assert(!m.isHeartbeat() && "heartbeats are outside the chain; use heartbeat()");
  common::SealedFrame f = common::seal(identity_, m);
  headSeq_ = m.seq;
  headHash_ = f.bodyHash;
  return f;
}

common::SealedFrame ChainSigner::heartbeat(int64_t sentAtMs, uint32_t outboxPending) {
  common::Message m;
  m.senderId = identity_.id();
  m.keyId = identity_.keyId();
  m.sentAt = sentAtMs;
  m.payload = common::HeartbeatMsg{headSeq_, outboxPending, common::ReadinessLevel::NORMAL};
  return common::seal(identity_, m);
}

}  // namespace samband::tools
