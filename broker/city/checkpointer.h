// Checkpointer: signs the city's checkpoint at the end of every write transaction that stored
// frames (the committer's batch, a city message, a roster record): one Ed25519 signature per
// commit, covering every frame appended since the previous checkpoint and every chain head they
// moved; and hands out the receipts the acks of that commit carry. Formats: common/checkpoint.h.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/store/checkpoint_store.h"
#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/checkpoint.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::broker {

class Checkpointer {
 public:
  // `store` and `city` must outlive this object; used on the thread that owns `store`.
  Checkpointer(Store& store, const common::Identity& city);
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Inside the caller's write transaction, after its frames are appended: signs and stores the
  // next checkpoint over every frame since the previous one. Returns false (and signs nothing)
  // when no frame was appended. Errors: unavailable — the caller rolls back and calls forget().
  common::Result<bool> seal(int64_t nowMs);
  // The receipt for the head (key id hex, seq) of the last seal(); empty when that head is not
  // in it. Valid until the next seal().
  common::Bytes receiptFor(const std::string& keyIdHex, uint64_t seq) const;
  // Drops what is cached about the last checkpoint (after a rollback, or when another
  // connection may have written frames and checkpoints).
  void forget();
  // After a failed transaction: clears the store's statement errors. Never throws.
  void clearStatementErrors() { store_.clearStatementErrors(); }

 private:
  struct Last {
    uint64_t number = 0;
    common::Bytes hash;  // checkpointHash of its header (zero hash when none)
    uint64_t frameCount = 0;
    common::Bytes digest;
    int64_t lastFrameId = 0;
  };
  common::Status load();

  CheckpointStore store_;
  const common::Identity& city_;
  std::optional<Last> last_;
  // The last seal: its header, signature, heads (as tree leaves) and where each key's head is.
  common::Bytes header_, signature_;
  std::vector<common::CheckpointHead> heads_;
  std::unique_ptr<common::MerkleTree> tree_;
  std::unordered_map<std::string, size_t> headByKey_;  // key id hex -> index
};

}  // namespace samband::broker
