// A sender's chain of signed bodies, as an agent keeps it, for the tests that feed frames
// through the gate and the committer (tests/broker/ingest, audit).
#pragma once

#include <cstdint>
#include <utility>

#include "common/bytes.h"
#include "common/identity.h"
#include "common/messages.h"
#include "common/signing.h"

namespace samband::broker::testing {

// One sender's chain as an agent keeps it: seq and prevHash of the next body. Copyable, so a
// test can fork it.
class Chain {
 public:
  explicit Chain(const common::Identity& id) : id_(id) {}

  // The next body, unsigned, for tests that then bend a field.
  common::Message draft(common::Payload payload, int64_t sentAt,
                        common::Mode mode = common::Mode::ACTUAL) const {
    common::Message m;
    m.senderId = id_.id();
    m.keyId = id_.keyId();
    m.seq = seq_ + 1;
    m.prevHash = prevHash_;
    m.sentAt = sentAt;
    m.mode = mode;
    m.payload = std::move(payload);
    return m;
  }
  // Signs the next body and advances the chain.
  common::SealedFrame next(common::Payload payload, int64_t sentAt,
                           common::Mode mode = common::Mode::ACTUAL) {
    common::SealedFrame f = common::seal(id_, draft(std::move(payload), sentAt, mode));
    seq_++;
    prevHash_ = f.bodyHash;
    return f;
  }
  // `counter` 0: as an agent that predates heartbeat counters sends it.
  common::SealedFrame heartbeat(int64_t sentAt, uint64_t counter = 0) const {
    common::Message m;
    m.senderId = id_.id();
    m.keyId = id_.keyId();
    m.sentAt = sentAt;
    m.payload = common::HeartbeatMsg{seq_, 0, common::ReadinessLevel::NORMAL, counter};
    return common::seal(id_, m);
  }

 private:
  const common::Identity& id_;
  uint64_t seq_ = 0;
  common::Bytes prevHash_;
};

}  // namespace samband::broker::testing
