// See snapshot_store.h.
#include "broker/store/snapshot_store.h"

#include "broker/store/columns.h"
#include "broker/store/stored_envelopes.h"

namespace samband::broker {

namespace {

constexpr const char* kInfoColumns =
    "frame_id, frames, received_up_to, format, made_at, length(image)";

SnapshotInfo infoOf(SQLite::Statement& q) {
  return SnapshotInfo{q.getColumn(0).getInt64(), q.getColumn(1).getInt64(),
                      q.getColumn(2).getInt64(), q.getColumn(3).getInt(),
                      q.getColumn(4).getInt64(), q.getColumn(5).getInt64()};
}

}  // namespace

common::Status SnapshotStore::forEachFrameAfter(
    int64_t afterId, const std::function<bool(const ReplayFrame&)>& visit, int chunk) {
  try {
    StoredEnvelopes envelopes(store_.db());
    int64_t last = afterId;
    for (;;) {
      // A fresh statement per chunk: the read transaction ends between chunks, so a long
      // replay never keeps the WAL from being checkpointed.
      SQLite::Statement q(store_.db(),
                          "SELECT id, received_at, envelope, batch_id, batch_idx FROM frames "
                          "WHERE id > ? ORDER BY id LIMIT ?");
      q.bind(1, last);
      q.bind(2, chunk);
      int n = 0;
      while (q.executeStep()) {
        ++n;
        ReplayFrame f{q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), {}};
        envelopes.read(q, 2, f.envelope);
        last = f.id;
        if (!visit(f)) return {};
      }
      if (n < chunk) return {};
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::optional<std::pair<int64_t, int64_t>>> SnapshotStore::firstFrame() {
  try {
    SQLite::Statement q(store_.db(), "SELECT id, received_at FROM frames ORDER BY id LIMIT 1");
    if (!q.executeStep()) return std::optional<std::pair<int64_t, int64_t>>();
    return std::optional<std::pair<int64_t, int64_t>>(
        std::make_pair(q.getColumn(0).getInt64(), q.getColumn(1).getInt64()));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<int64_t> SnapshotStore::newestFrameId() {
  try {
    return store_.db().execAndGet("SELECT coalesce(max(id), 0) FROM frames").getInt64();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::optional<SnapshotInfo>> SnapshotStore::latestReceivedBy(int64_t atMs,
                                                                            int format) {
  try {
    SQLite::Statement q(store_.db(), std::string("SELECT ") + kInfoColumns +
                                         " FROM picture_snapshots WHERE received_up_to <= ? AND "
                                         "format = ? ORDER BY received_up_to DESC, frame_id DESC "
                                         "LIMIT 1");
    q.bind(1, atMs);
    q.bind(2, format);
    if (!q.executeStep()) return std::optional<SnapshotInfo>();
    return std::optional<SnapshotInfo>(infoOf(q));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::optional<SnapshotInfo>> SnapshotStore::latestUpToFrame(int64_t frameId,
                                                                           int format) {
  try {
    SQLite::Statement q(store_.db(), std::string("SELECT ") + kInfoColumns +
                                         " FROM picture_snapshots WHERE frame_id <= ? AND "
                                         "format = ? ORDER BY frame_id DESC LIMIT 1");
    q.bind(1, frameId);
    q.bind(2, format);
    if (!q.executeStep()) return std::optional<SnapshotInfo>();
    return std::optional<SnapshotInfo>(infoOf(q));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Result<std::vector<SnapshotInfo>> SnapshotStore::list() {
  std::vector<SnapshotInfo> out;
  try {
    SQLite::Statement q(store_.db(), std::string("SELECT ") + kInfoColumns +
                                         " FROM picture_snapshots ORDER BY frame_id");
    while (q.executeStep()) out.push_back(infoOf(q));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

common::Result<std::optional<common::Bytes>> SnapshotStore::image(int64_t frameId) {
  try {
    SQLite::Statement q(store_.db(), "SELECT image FROM picture_snapshots WHERE frame_id = ?");
    q.bind(1, frameId);
    if (!q.executeStep()) return std::optional<common::Bytes>();
    return std::optional<common::Bytes>(columns::blob(q.getColumn(0)));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

common::Status SnapshotStore::insert(const SnapshotInfo& info, const common::Bytes& image) {
  try {
    SQLite::Statement q(store_.db(),
                        "INSERT OR REPLACE INTO picture_snapshots(frame_id, frames, "
                        "received_up_to, format, made_at, image) VALUES(?,?,?,?,?,?)");
    q.bind(1, info.frameId);
    q.bind(2, info.frames);
    q.bind(3, info.receivedUpTo);
    q.bind(4, info.format);
    q.bind(5, info.madeAt);
    q.bind(6, image.data(), static_cast<int>(image.size()));
    q.exec();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Result<int64_t> SnapshotStore::clear() {
  try {
    return static_cast<int64_t>(store_.db().exec("DELETE FROM picture_snapshots"));
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
}

}  // namespace samband::broker
