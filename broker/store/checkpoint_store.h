// CheckpointStore: the city's signed checkpoints (table `checkpoints`) and the frame reads a
// checkpoint is built from: the frames appended since the last one. Used inside the writer's
// transaction by broker/city/checkpointer.h, and read by the audit.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

struct StoredCheckpoint {
  uint64_t number = 0;
  common::Bytes header;     // exactly as signed (common/checkpoint.h)
  common::Bytes signature;  // Ed25519 by the city key
  int64_t lastFrameId = 0;  // the newest frame covered
};

// A frame as a checkpoint sees it.
struct CoveredFrame {
  int64_t id = 0;
  std::string sender;
  std::string keyId;  // hex
  uint64_t seq = 0;
  common::Bytes bodyHash;
};

class CheckpointStore {
 public:
  // `store` must outlive this object; one thread. Errors of every call: unavailable.
  explicit CheckpointStore(Store& store);
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;
  ~CheckpointStore();

  // The newest checkpoint, nothing when none was ever signed.
  common::Result<std::optional<StoredCheckpoint>> latest();
  // Checkpoint `number`, nothing when it is not stored.
  common::Result<std::optional<StoredCheckpoint>> byNumber(uint64_t number);
  common::Status append(const StoredCheckpoint& checkpoint);
  // Frames with id > `afterId`, in id order.
  common::Status framesAfter(int64_t afterId,
                             const std::function<void(const CoveredFrame&)>& visit);
  // Every checkpoint by number.
  common::Status forEach(const std::function<void(const StoredCheckpoint&)>& visit);
  // After a failed transaction: clears a prepared statement's error. Never throws.
  void clearStatementErrors();

 private:
  Store& store_;
  std::unique_ptr<SQLite::Statement> framesAfter_;
  std::unique_ptr<SQLite::Statement> insert_;
};

}  // namespace samband::broker
