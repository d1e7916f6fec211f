// The audit's check of a report stored from a batch (issue 16): the batch frame, stored as sent,
// must verify under the report's proven key and hold the report's body at its index. Each batch
// is verified once for the run of its reports (they are stored one after another).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/archive_store.h"
#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/identity.h"

namespace samband::broker {

class StoredBatchCheck {
 public:
  // `store` must outlive this object; used on the caller's thread only.
  explicit StoredBatchCheck(Store& store) : archive_(store) {}

  // Checks that frame `frameId`, whose stored envelope carries `body` and a batch-member
  // signature, came in a stored batch that verifies under `signPublic` and holds `body` at the
  // recorded index. Returns the problem, or nullopt when it holds.
  std::optional<std::string> check(int64_t frameId, const common::Bytes& body,
                                   const common::PublicKey& signPublic);

 private:
  ArchiveStore archive_;
  // The last batch opened: its id, key and bodies (empty when its signature failed).
  int64_t lastBatchId_ = 0;
  common::PublicKey lastKey_{};
  std::optional<std::vector<common::Bytes>> lastBodies_;
  std::string lastProblem_;
};

}  // namespace samband::broker
