// The picture at a past moment: the archive replayed (archive_replay.h) up to the frames the
// broker had received by then, starting from the newest picture snapshot before the moment
// when there is one (snapshotter.h makes them), then labelled with today's roster names. The
// result is a replay database that currentPicture() and BoardView read as they read the live
// one, with a PictureMoment saying which moment it is.
#pragma once

#include <cstdint>
#include <memory>

#include "broker/picture/archive_replay.h"
#include "broker/picture/view.h"
#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

struct AsOfOptions {
  // false: replay from the first frame, ignoring snapshots (what the snapshots must equal).
  bool useSnapshots = true;
};

// A rebuilt picture: its replay database (with labels) and the moment it shows.
class PastPicture {
 public:
  PastPicture(std::unique_ptr<ArchiveReplay> replay, PictureMoment moment, int64_t fromSnapshot)
      : replay_(std::move(replay)), moment_(moment), fromSnapshot_(fromSnapshot) {}
  Store& store() { return replay_->store(); }
  ArchiveReplay& replay() { return *replay_; }
  const PictureMoment& moment() const { return moment_; }
  // The frame id of the snapshot the replay started from (0: the first frame).
  int64_t fromSnapshot() const { return fromSnapshot_; }

 private:
  std::unique_ptr<ArchiveReplay> replay_;
  PictureMoment moment_;
  int64_t fromSnapshot_;
};

// The picture as it was at `asOfMs`: every archived frame up to the first one received after
// that moment, in archive order (the broker's receiving clock decides, never a sender's).
// `archive` is the broker's database (read only; kept in the result's moment for a provider's
// history). Errors: invalidInput (the archive is empty, the moment is before its first frame,
// or after `nowMs`), unavailable.
common::Result<std::unique_ptr<PastPicture>> pictureAsOf(Store& archive, int64_t asOfMs,
                                                         int64_t nowMs,
                                                         const AsOfOptions& options = {});

// The replay of every frame up to and including `frameId` (its whole archive up to there),
// from the newest usable snapshot at or before it when `useSnapshots`. Sealed, without labels.
// Errors: unavailable.
common::Result<std::unique_ptr<ArchiveReplay>> replayUpToFrame(Store& archive, int64_t frameId,
                                                               bool useSnapshots = true);

// Copies today's labels (provider names, unit names, districts, positions, school forms) and the
// imported school holidays from `archive` into the replay database of `replay`. Errors:
// unavailable.
common::Status labelReplay(Store& archive, ArchiveReplay& replay, int64_t nowMs);

}  // namespace samband::broker
