// ChainSigner: signs one provider's messages as its hash chain (seq 1, 2, 3, ... each carrying
// the hash of the previous body), as the agent's outbox does, but in memory and without a
// database. For benchmarks and tests that need frames signed before the timed window.
#pragma once

#include <cstdint>

#include "common/codec.h"
#include "common/identity.h"
#include "common/messages.h"

namespace samband::tools {

class ChainSigner {
 public:
  // Continues the chain after (headSeq, headHash); {0, empty} starts a new one. `identity`
  // must outlive the signer.
  explicit ChainSigner(const common::Identity& identity, uint64_t headSeq = 0,
                       common::Bytes headHash = {});

  // Signs `payload` (not a heartbeat) as the next seq.
  common::SealedFrame next(common::Payload payload, int64_t sentAtMs,
                           common::Mode mode = common::Mode::ACTUAL);
  // A heartbeat: outside the chain (seq 0). `sentAtMs` must grow from one heartbeat to the next.
  common::SealedFrame heartbeat(int64_t sentAtMs, uint32_t outboxPending = 0);

  uint64_t headSeq() const { return headSeq_; }
  const common::Bytes& headHash() const { return headHash_; }

 private:
  const common::Identity& identity_;
  uint64_t headSeq_;
  common::Bytes headHash_;
};

}  // namespace samband::tools
