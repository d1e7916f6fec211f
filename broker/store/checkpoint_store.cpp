// See checkpoint_store.h. The frames-after read and the insert run once per committed batch and
// are prepared once.
#include "broker/store/checkpoint_store.h"

namespace samband::broker {

namespace {

common::Bytes blob(const SQLite::Column& c) {
  auto* p = static_cast<const uint8_t*>(c.getBlob());
  return common::Bytes(p, p + c.getBytes());
}

StoredCheckpoint readRow(SQLite::Statement& q) {
  StoredCheckpoint c;
  c.number = static_cast<uint64_t>(q.getColumn(0).getInt64());
  c.header = blob(q.getColumn(1));
  c.signature = blob(q.getColumn(2));
  c.lastFrameId = q.getColumn(3).getInt64();
  return c;
}

}  // namespace

CheckpointStore::CheckpointStore(Store& store) : store_(store) {}
CheckpointStore::~CheckpointStore() = default;

common::Result<std::optional<StoredCheckpoint>> CheckpointStore::latest() {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT number, header, signature, last_frame_id FROM checkpoints "
                        "ORDER BY number DESC LIMIT 1");
    if (!q.executeStep()) return std::optional<StoredCheckpoint>();
    return std::optional<StoredCheckpoint>(readRow(q));
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
}

common::Result<std::optional<StoredCheckpoint>> CheckpointStore::byNumber(uint64_t number) {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT number, header, signature, last_frame_id FROM checkpoints "
                        "WHERE number=?");
    q.bind(1, static_cast<int64_t>(number));
    if (!q.executeStep()) return std::optional<StoredCheckpoint>();
    return std::optional<StoredCheckpoint>(readRow(q));
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
}

common::Status CheckpointStore::append(const StoredCheckpoint& c) {
  try {
    if (!insert_) {
      insert_ = std::make_unique<SQLite::Statement>(
          store_.db(),
          "INSERT INTO checkpoints(number, header, signature, last_frame_id) VALUES(?,?,?,?)");
    }
    insert_->reset();
    insert_->bind(1, static_cast<int64_t>(c.number));
    insert_->bind(2, c.header.data(), static_cast<int>(c.header.size()));
    insert_->bind(3, c.signature.data(), static_cast<int>(c.signature.size()));
    insert_->bind(4, c.lastFrameId);
    insert_->exec();
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
  return {};
}

common::Status CheckpointStore::framesAfter(int64_t afterId,
                                            const std::function<void(const CoveredFrame&)>& visit) {
  try {
    if (!framesAfter_) {
      framesAfter_ = std::make_unique<SQLite::Statement>(
          store_.db(),
          "SELECT id, sender, key_id, seq, body_hash FROM frames WHERE id>? ORDER BY id");
    }
    auto& q = *framesAfter_;
    q.reset();
    q.bind(1, afterId);
    CoveredFrame f;
    while (q.executeStep()) {
      f.id = q.getColumn(0).getInt64();
      f.sender = q.getColumn(1).getString();
      f.keyId = q.getColumn(2).getString();
      f.seq = static_cast<uint64_t>(q.getColumn(3).getInt64());
      f.bodyHash = blob(q.getColumn(4));
      visit(f);
    }
    q.reset();
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
  return {};
}

common::Status CheckpointStore::forEach(const std::function<void(const StoredCheckpoint&)>& visit) {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT number, header, signature, last_frame_id FROM checkpoints "
                        "ORDER BY number");
    while (q.executeStep()) visit(readRow(q));
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
  return {};
}

void CheckpointStore::clearStatementErrors() {
  for (auto* s : {framesAfter_.get(), insert_.get()}) {
    if (s != nullptr) s->tryReset();
  }
}

}  // namespace samband::broker
