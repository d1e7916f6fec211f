// See replication_store.h. The chain-tips read uses the frames' UNIQUE (sender, key_id, seq)
// index; the frames-after read is prepared once (a puller asks for it per chain).
#include "broker/store/replication_store.h"

namespace samband::broker {

ReplicationStore::ReplicationStore(Store& store) : store_(store) {}
ReplicationStore::~ReplicationStore() = default;

common::Result<std::vector<ChainTip>> ReplicationStore::chainTips() {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT sender, key_id, MAX(seq) FROM frames GROUP BY sender, key_id "
                        "ORDER BY sender, key_id");
    std::vector<ChainTip> out;
    while (q.executeStep()) {
      out.push_back(ChainTip{q.getColumn(0).getString(), q.getColumn(1).getString(),
                             static_cast<uint64_t>(q.getColumn(2).getInt64())});
    }
    return out;
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
}

common::Result<std::vector<common::Bytes>> ReplicationStore::envelopesAfter(
    const std::string& sender, const std::string& keyId, uint64_t afterSeq, size_t limit,
    size_t maxBytes) {
  try {
    if (!after_) {
      after_ = std::make_unique<SQLite::Statement>(
          store_.db(),
          "SELECT envelope, batch_id FROM frames "
          "WHERE sender=? AND key_id=? AND seq>? ORDER BY seq LIMIT ?");
      batch_ =
          std::make_unique<SQLite::Statement>(store_.db(), "SELECT frame FROM batches WHERE id=?");
    }
    auto& q = *after_;
    q.reset();
    q.bind(1, sender);
    q.bind(2, keyId);
    q.bind(3, static_cast<int64_t>(afterSeq));
    q.bind(4, static_cast<int64_t>(limit));
    std::vector<common::Bytes> out;
    size_t bytes = 0;
    int64_t lastBatch = 0;
    while (q.executeStep()) {
      if (!q.getColumn(1).isNull()) {
        // A batched report: its batch as sent, once for the run of its reports.
        const int64_t batchId = q.getColumn(1).getInt64();
        if (batchId == lastBatch) continue;
        lastBatch = batchId;
        auto& b = *batch_;
        b.reset();
        b.bind(1, batchId);
        if (!b.executeStep()) {
          b.reset();
          return common::unavailable("the archive links a frame to batch " +
                                     std::to_string(batchId) + ", which it does not hold");
        }
        const auto& c = b.getColumn(0);
        const size_t n = static_cast<size_t>(c.getBytes());
        if (!out.empty() && bytes + n > maxBytes) {
          b.reset();
          break;
        }
        auto* p = static_cast<const uint8_t*>(c.getBlob());
        out.emplace_back(p, p + n);
        bytes += n;
        b.reset();
        continue;
      }
      lastBatch = 0;
      const auto& c = q.getColumn(0);
      const size_t n = static_cast<size_t>(c.getBytes());
      if (!out.empty() && bytes + n > maxBytes) break;
      auto* p = static_cast<const uint8_t*>(c.getBlob());
      out.emplace_back(p, p + n);
      bytes += n;
    }
    q.reset();
    return out;
  } catch (const std::exception& e) {
    try {
      if (after_) after_->reset();
      if (batch_) batch_->reset();
    } catch (...) {
    }
    return common::unavailable(e.what());
  }
}

common::Status ReplicationStore::forEachLink(
    const std::function<void(const std::string&, const std::string&, uint64_t,
                             const common::Bytes&)>& visit) {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT sender, key_id, seq, body_hash FROM frames "
                        "ORDER BY sender, key_id, seq");
    common::Bytes hash;
    while (q.executeStep()) {
      const auto& c = q.getColumn(3);
      auto* p = static_cast<const uint8_t*>(c.getBlob());
      hash.assign(p, p + c.getBytes());
      visit(q.getColumn(0).getString(), q.getColumn(1).getString(),
            static_cast<uint64_t>(q.getColumn(2).getInt64()), hash);
    }
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
  return {};
}

common::Status ReplicationStore::savePeer(const PeerRecord& r) {
  try {
    SQLite::Statement q(store_.db(),
                        "INSERT INTO replication_peers(peer, behind_frames, last_contact, heads) "
                        "VALUES(?,?,?,?) ON CONFLICT(peer) DO UPDATE SET "
                        "behind_frames=excluded.behind_frames, "
                        "last_contact=excluded.last_contact, heads=excluded.heads");
    q.bind(1, r.peer);
    if (r.behindFrames) {
      q.bind(2, *r.behindFrames);
    } else {
      q.bind(2);
    }
    if (r.lastContact) {
      q.bind(3, *r.lastContact);
    } else {
      q.bind(3);
    }
    q.bind(4, r.headsJson);
    q.exec();
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
  return {};
}

common::Result<std::vector<PeerRecord>> ReplicationStore::peers() {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT peer, behind_frames, last_contact, heads FROM replication_peers "
                        "ORDER BY peer");
    std::vector<PeerRecord> out;
    while (q.executeStep()) {
      PeerRecord r;
      r.peer = q.getColumn(0).getString();
      if (!q.getColumn(1).isNull()) r.behindFrames = q.getColumn(1).getInt64();
      if (!q.getColumn(2).isNull()) r.lastContact = q.getColumn(2).getInt64();
      r.headsJson = q.getColumn(3).getString();
      out.push_back(std::move(r));
    }
    return out;
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
}

}  // namespace samband::broker
