// See as_of.h.
#include "broker/picture/as_of.h"

#include "broker/picture/moment.h"
#include "broker/store/calendar_store.h"
#include "broker/store/city_store.h"
#include "broker/store/replay_store.h"
#include "broker/store/roster_store.h"
#include "broker/store/snapshot_store.h"

namespace samband::broker {

namespace {

// A replay from `snapshot` if its image loads, or from nothing. Sets `from` to where it starts.
common::Result<std::unique_ptr<ArchiveReplay>> startFrom(SnapshotStore& snapshots,
                                                         const std::optional<SnapshotInfo>& info,
                                                         int64_t* from) {
  *from = 0;
  if (info) {
    auto image = snapshots.image(info->frameId);
    if (!image) return image.error();
    if (*image) {
      auto replay = ArchiveReplay::fromImage(**image);
      // A snapshot that does not load is only lost speed: replay from the first frame.
      if (replay && (*replay)->lastFrameId() == info->frameId) {
        *from = info->frameId;
        return std::move(replay).value();
      }
    }
  }
  return ArchiveReplay::create();
}

}  // namespace

common::Status labelReplay(Store& archive, ArchiveReplay& replay, int64_t nowMs) {
  auto names = CityStore(archive).providerNames();
  if (!names) return names.error();
  auto units = RosterStore(archive).exportUnits();
  if (!units) return units.error();
  if (auto s = ReplayStore(replay.store()).setLabels(*names, *units); !s) return s;
  auto holidays = CalendarStore(archive).holidays();
  if (!holidays) return holidays.error();
  if (!holidays->empty()) {
    auto added = CalendarStore(replay.store()).replacePeriod(*holidays, "samband.db", nowMs);
    if (!added) return added.error();
  }
  return {};
}

common::Result<std::unique_ptr<PastPicture>> pictureAsOf(Store& archive, int64_t asOfMs,
                                                         int64_t nowMs,
                                                         const AsOfOptions& options) {
  SnapshotStore snapshots(archive);
  auto first = snapshots.firstFrame();
  if (!first) return first.error();
  if (!*first) {
    return common::invalidInput("the archive is empty: there is no past picture to rebuild");
  }
  if (asOfMs < (*first)->second) {
    return common::invalidInput("the archive starts at " + formatLocalMoment((*first)->second) +
                                "; ask for a moment at or after it");
  }
  if (asOfMs > nowMs) {
    return common::invalidInput(formatLocalMoment(asOfMs) + " is in the future (it is now " +
                                formatLocalMoment(nowMs) +
                                "); for the picture now leave out --as-of");
  }
  std::optional<SnapshotInfo> snapshot;
  if (options.useSnapshots) {
    auto found = snapshots.latestReceivedBy(asOfMs, kReplayFormat);
    if (!found) return found.error();
    snapshot = *found;
  }
  int64_t from = 0;
  auto replay = startFrom(snapshots, snapshot, &from);
  if (!replay) return replay.error();
  ArchiveReplay& r = **replay;
  common::Status applied;
  auto walked = snapshots.forEachFrameAfter(r.lastFrameId(), [&](const ReplayFrame& f) {
    // The first frame received after the moment ends the picture: what follows it in the
    // archive was committed after it, so after the moment too.
    if (f.receivedAt > asOfMs) return false;
    applied = r.apply(f);
    return applied.ok();
  });
  if (!walked) return walked.error();
  if (!applied) return applied.error();
  if (auto s = r.seal(); !s) return s.error();
  if (auto s = labelReplay(archive, r, nowMs); !s) return s.error();
  PictureMoment moment{asOfMs, r.frames(), r.lastFrameId(), &archive};
  return std::make_unique<PastPicture>(std::move(replay).value(), moment, from);
}

common::Result<std::unique_ptr<ArchiveReplay>> replayUpToFrame(Store& archive, int64_t frameId,
                                                               bool useSnapshots) {
  SnapshotStore snapshots(archive);
  std::optional<SnapshotInfo> snapshot;
  if (useSnapshots) {
    auto found = snapshots.latestUpToFrame(frameId, kReplayFormat);
    if (!found) return found.error();
    snapshot = *found;
  }
  int64_t from = 0;
  auto replay = startFrom(snapshots, snapshot, &from);
  if (!replay) return replay.error();
  ArchiveReplay& r = **replay;
  common::Status applied;
  auto walked = snapshots.forEachFrameAfter(r.lastFrameId(), [&](const ReplayFrame& f) {
    if (f.id > frameId) return false;
    applied = r.apply(f);
    return applied.ok();
  });
  if (!walked) return walked.error();
  if (!applied) return applied.error();
  if (auto s = r.seal(); !s) return s.error();
  return std::move(replay).value();
}

}  // namespace samband::broker
