// See stored_batch.h.
#include "broker/audit/stored_batch.h"

#include "common/batch_envelope.h"

namespace samband::broker {

std::optional<std::string> StoredBatchCheck::check(int64_t frameId, const common::Bytes& body,
                                                   const common::PublicKey& signPublic) {
  auto batch = archive_.batchOf(frameId, /*withFrame=*/false);
  if (!batch) return "its batch cannot be read: " + batch.error().message;
  if (!*batch) return "its envelope names a batch signature but no stored batch holds it";
  const FrameBatch& b = **batch;
  if (b.batchId != lastBatchId_ || signPublic != lastKey_ || lastBatchId_ == 0) {
    lastBatchId_ = b.batchId;
    lastKey_ = signPublic;
    auto frame = archive_.batchFrame(b.batchId);
    auto bodies = frame ? common::openBatch(*frame, signPublic)
                        : common::Result<std::vector<common::Bytes>>(frame.error());
    if (bodies) {
      lastBodies_ = std::move(bodies).value();
      lastProblem_.clear();
    } else {
      lastBodies_.reset();
      lastProblem_ = "batch " + std::to_string(b.batchId) + ": " + bodies.error().message;
    }
  }
  if (!lastBodies_) return lastProblem_;
  if (b.index >= lastBodies_->size() || (*lastBodies_)[b.index] != body) {
    return "batch " + std::to_string(b.batchId) + " does not hold this body at index " +
           std::to_string(b.index);
  }
  return std::nullopt;
}

}  // namespace samband::broker
