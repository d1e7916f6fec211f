// See inquiry_store.h.
#include "broker/store/inquiry_store.h"

#include <algorithm>

#include "broker/store/columns.h"
#include "broker/store/stored_envelopes.h"

namespace samband::broker {

namespace {

constexpr const char* kColumns =
    "id, sender, key_id, seq, kind, mode, sent_at, received_at, body_hash, envelope, batch_id, "
    "batch_idx";

// The envelope as before migration 17 (rebuilt from the batch for a batched report).
ExportFrame frameOf(SQLite::Statement& q, StoredEnvelopes& envelopes) {
  ExportFrame f;
  f.id = q.getColumn(0).getInt64();
  f.sender = q.getColumn(1).getString();
  f.keyId = q.getColumn(2).getString();
  f.seq = q.getColumn(3).getInt64();
  f.kind = q.getColumn(4).getString();
  f.mode = q.getColumn(5).getString();
  f.sentAt = q.getColumn(6).getInt64();
  f.receivedAt = q.getColumn(7).getInt64();
  f.bodyHash = columns::blob(q.getColumn(8));
  envelopes.read(q, 9, f.envelope);
  if (!q.getColumn(10).isNull()) {
    f.batchId = q.getColumn(10).getInt64();
    f.batchIndex = static_cast<uint32_t>(q.getColumn(11).getInt64());
  }
  return f;
}

StoredCheckpoint checkpointOf(SQLite::Statement& q) {
  return StoredCheckpoint{static_cast<uint64_t>(q.getColumn(0).getInt64()),
                          columns::blob(q.getColumn(1)), columns::blob(q.getColumn(2)),
                          q.getColumn(3).getInt64()};
}

}  // namespace

common::Result<common::Bytes> InquiryStore::batchFrame(int64_t batchId) {
  try {
    SQLite::Statement q(store_.db(), "SELECT frame FROM batches WHERE id=?");
    q.bind(1, batchId);
    if (!q.executeStep()) {
      return common::unavailable("batch " + std::to_string(batchId) +
                                 " is missing from the archive: run `samband-broker audit`");
    }
    return columns::blob(q.getColumn(0));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Status InquiryStore::framesBetween(int64_t afterId, int64_t upToId,
                                           const std::function<void(const ExportFrame&)>& visit) {
  try {
    StoredEnvelopes envelopes(store_.db());
    int64_t last = afterId;
    for (;;) {
      SQLite::Statement q(store_.db(), std::string("SELECT ") + kColumns +
                                           " FROM frames WHERE id > ? AND id <= ? ORDER BY id "
                                           "LIMIT 4096");
      q.bind(1, last);
      q.bind(2, upToId);
      int n = 0;
      while (q.executeStep()) {
        ExportFrame f = frameOf(q, envelopes);
        last = f.id;
        ++n;
        visit(f);
      }
      if (n < 4096) return {};
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::vector<ExportFrame>> InquiryStore::chainFrom(const std::string& sender,
                                                                 const std::string& keyId,
                                                                 int64_t fromSeq, int64_t upToId) {
  std::vector<ExportFrame> out;
  try {
    StoredEnvelopes envelopes(store_.db());
    SQLite::Statement q(store_.db(), std::string("SELECT ") + kColumns +
                                         " FROM frames WHERE sender=? AND key_id=? AND seq>=? "
                                         "AND id<=? ORDER BY seq");
    q.bind(1, sender);
    q.bind(2, keyId);
    q.bind(3, fromSeq);
    q.bind(4, upToId);
    while (q.executeStep()) out.push_back(frameOf(q, envelopes));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

common::Result<std::optional<int64_t>> InquiryStore::firstSeqAfter(const std::string& sender,
                                                                   const std::string& keyId,
                                                                   int64_t afterId,
                                                                   int64_t upToId) {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT min(seq) FROM frames WHERE sender=? AND id>? AND id<=? AND "
                        "key_id=?");
    q.bind(1, sender);
    q.bind(2, afterId);
    q.bind(3, upToId);
    q.bind(4, keyId);
    q.executeStep();
    return columns::optionalInt(q.getColumn(0));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::vector<ExportFrame>> InquiryStore::framesWithIds(
    const std::vector<int64_t>& ids) {
  std::vector<int64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<ExportFrame> out;
  try {
    StoredEnvelopes envelopes(store_.db());
    SQLite::Statement q(store_.db(), std::string("SELECT ") + kColumns + " FROM frames WHERE id=?");
    for (int64_t id : sorted) {
      q.reset();
      q.bind(1, id);
      if (q.executeStep()) out.push_back(frameOf(q, envelopes));
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

common::Result<std::vector<ExportFrame>> InquiryStore::rotationsOf(const std::string& sender,
                                                                   int64_t upToId) {
  std::vector<ExportFrame> out;
  try {
    StoredEnvelopes envelopes(store_.db());
    SQLite::Statement q(store_.db(), std::string("SELECT ") + kColumns +
                                         " FROM frames WHERE sender=? AND id<=? AND "
                                         "kind='key_rotation' ORDER BY id");
    q.bind(1, sender);
    q.bind(2, upToId);
    while (q.executeStep()) out.push_back(frameOf(q, envelopes));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

common::Result<std::optional<StoredCheckpoint>> InquiryStore::checkpointAtOrBefore(
    int64_t frameId) {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT number, header, signature, last_frame_id FROM checkpoints WHERE "
                        "last_frame_id <= ? ORDER BY number DESC LIMIT 1");
    q.bind(1, frameId);
    if (!q.executeStep()) return std::optional<StoredCheckpoint>();
    return std::optional<StoredCheckpoint>(checkpointOf(q));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::optional<StoredCheckpoint>> InquiryStore::checkpointCovering(int64_t frameId) {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT number, header, signature, last_frame_id FROM checkpoints WHERE "
                        "last_frame_id >= ? ORDER BY number LIMIT 1");
    q.bind(1, frameId);
    if (!q.executeStep()) return std::optional<StoredCheckpoint>();
    return std::optional<StoredCheckpoint>(checkpointOf(q));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::vector<StoredCheckpoint>> InquiryStore::checkpoints(uint64_t fromNumber,
                                                                        uint64_t toNumber) {
  std::vector<StoredCheckpoint> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT number, header, signature, last_frame_id FROM checkpoints WHERE "
                        "number >= ? AND number <= ? ORDER BY number");
    q.bind(1, static_cast<int64_t>(fromNumber));
    q.bind(2, static_cast<int64_t>(toNumber));
    while (q.executeStep()) out.push_back(checkpointOf(q));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

}  // namespace samband::broker
