// InquiryStore: the archive reads of `samband-broker inquiry export`: frames by id range, by
// chain, by sender, the city's own chain, and the checkpoints around a stretch of the archive
// (by the newest frame each covers). Read only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/checkpoint_store.h"
#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

// One archived frame with every stored column.
struct ExportFrame {
  int64_t id = 0;
  std::string sender;
  std::string keyId;  // hex
  int64_t seq = 0;
  std::string kind, mode;
  int64_t sentAt = 0, receivedAt = 0;
  common::Bytes bodyHash;
  common::Bytes envelope;
  int64_t batchId = 0;  // the batch it came in (issue 16); 0: sent alone
  uint32_t batchIndex = 0;
};

// Calls on the connection of `store`; one thread. Errors of every call: unavailable.
class InquiryStore {
 public:
  explicit InquiryStore(Store& store) : store_(store) {}

  // A stored batch frame exactly as sent (issue 16).
  common::Result<common::Bytes> batchFrame(int64_t batchId);
  // Frames with afterId < id <= upToId in id order, read in chunks.
  common::Status framesBetween(int64_t afterId, int64_t upToId,
                               const std::function<void(const ExportFrame&)>& visit);
  // The chain's frames from `fromSeq` on with id <= upToId, by seq.
  common::Result<std::vector<ExportFrame>> chainFrom(const std::string& sender,
                                                     const std::string& keyId, int64_t fromSeq,
                                                     int64_t upToId);
  // The lowest seq of the chain among frames with afterId < id <= upToId (nothing: none).
  common::Result<std::optional<int64_t>> firstSeqAfter(const std::string& sender,
                                                       const std::string& keyId, int64_t afterId,
                                                       int64_t upToId);
  // The frames with these ids (any order in, id order out).
  common::Result<std::vector<ExportFrame>> framesWithIds(const std::vector<int64_t>& ids);
  // `sender`'s key rotations with id <= upToId.
  common::Result<std::vector<ExportFrame>> rotationsOf(const std::string& sender, int64_t upToId);

  // The newest checkpoint covering no frame after `frameId`; the oldest covering `frameId`.
  common::Result<std::optional<StoredCheckpoint>> checkpointAtOrBefore(int64_t frameId);
  common::Result<std::optional<StoredCheckpoint>> checkpointCovering(int64_t frameId);
  // Checkpoints fromNumber..toNumber, by number.
  common::Result<std::vector<StoredCheckpoint>> checkpoints(uint64_t fromNumber, uint64_t toNumber);

 private:
  Store& store_;
};

}  // namespace samband::broker
