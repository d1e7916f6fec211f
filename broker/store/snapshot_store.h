// SnapshotStore: what rebuilding the picture at a past moment reads from the broker's database:
// the archive in frame-id order from any point (in chunks, so no read transaction is held for
// long), and the picture snapshots (table picture_snapshots) that let a rebuild start near the
// moment instead of at the first frame. broker/picture/archive_replay.h makes the images.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

// One archived frame as the replay needs it.
struct ReplayFrame {
  int64_t id = 0;
  int64_t receivedAt = 0;
  common::Bytes envelope;
};

// A snapshot's row without its image.
struct SnapshotInfo {
  int64_t frameId = 0;       // the newest frame it includes
  int64_t frames = 0;        // how many frames it includes
  int64_t receivedUpTo = 0;  // the latest received_at among them
  int format = 0;
  int64_t madeAt = 0;
  int64_t bytes = 0;  // size of the image
};

// Calls on the connection of `store`; use from the thread that holds it. Errors of every call:
// unavailable, with SQLite's message.
class SnapshotStore {
 public:
  explicit SnapshotStore(Store& store) : store_(store) {}

  // Every frame with id > `afterId`, in id order, until `visit` returns false or the archive
  // ends. Reads `chunk` frames per statement.
  common::Status forEachFrameAfter(int64_t afterId,
                                   const std::function<bool(const ReplayFrame&)>& visit,
                                   int chunk = 4096);
  // The first archived frame (id, received_at); nothing for an empty archive.
  common::Result<std::optional<std::pair<int64_t, int64_t>>> firstFrame();
  // The newest frame id (0: empty archive).
  common::Result<int64_t> newestFrameId();

  // The newest snapshot of `format` whose frames were all received at or before `atMs`.
  common::Result<std::optional<SnapshotInfo>> latestReceivedBy(int64_t atMs, int format);
  // The newest snapshot of `format` that includes no frame after `frameId`.
  common::Result<std::optional<SnapshotInfo>> latestUpToFrame(int64_t frameId, int format);
  // Every snapshot, oldest first.
  common::Result<std::vector<SnapshotInfo>> list();
  // The image of the snapshot at `frameId`; nothing when there is none.
  common::Result<std::optional<common::Bytes>> image(int64_t frameId);
  // Stores a snapshot (one already stored at the same frame is replaced).
  common::Status insert(const SnapshotInfo& info, const common::Bytes& image);
  // Removes every snapshot (they are rebuilt from the archive). Returns how many.
  common::Result<int64_t> clear();

 private:
  Store& store_;
};

}  // namespace samband::broker
