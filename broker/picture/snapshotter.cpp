// See snapshotter.h.
#include "broker/picture/snapshotter.h"

#include "broker/picture/archive_replay.h"
#include "broker/store/snapshot_store.h"
#include "common/log.h"

namespace samband::broker {

common::Result<int64_t> catchUpSnapshots(Store& store, int64_t everyFrames,
                                         const common::Clock& clock,
                                         const std::atomic<bool>* stop) {
  if (everyFrames <= 0) return int64_t{0};
  SnapshotStore snapshots(store);
  auto newestFrame = snapshots.newestFrameId();
  if (!newestFrame) return newestFrame.error();
  auto newest = snapshots.latestUpToFrame(INT64_MAX, kReplayFormat);
  if (!newest) return newest.error();
  const int64_t from = *newest ? (*newest)->frameId : 0;
  // Cheap when nothing is due: the ids are the archive's positions while nothing was deleted.
  if (*newestFrame - from < everyFrames) return int64_t{0};
  std::unique_ptr<ArchiveReplay> replay;
  if (*newest) {
    auto image = snapshots.image((*newest)->frameId);
    if (!image) return image.error();
    if (*image) {
      auto loaded = ArchiveReplay::fromImage(**image);
      if (loaded) replay = std::move(loaded).value();
    }
  }
  if (!replay) {
    auto fresh = ArchiveReplay::create();
    if (!fresh) return fresh.error();
    replay = std::move(fresh).value();
  }
  int64_t stored = 0;
  for (;;) {
    bool due = false;
    common::Status applied;
    auto walked = snapshots.forEachFrameAfter(replay->lastFrameId(), [&](const ReplayFrame& f) {
      if (stop != nullptr && stop->load()) return false;
      applied = replay->apply(f);
      if (!applied) return false;
      due = replay->frames() % everyFrames == 0;
      return !due;  // store it outside the read
    });
    if (!walked) return walked.error();
    if (!applied) return applied.error();
    if (!due) return stored;
    auto image = replay->image();
    if (!image) return image.error();
    SnapshotInfo info{replay->lastFrameId(), replay->frames(), replay->receivedUpTo(),
                      kReplayFormat,         clock.nowMs(),    0};
    if (auto s = snapshots.insert(info, *image); !s) return s.error();
    stored++;
  }
}

Snapshotter::Snapshotter(std::string dbPath, int64_t everyFrames, const common::Clock& clock)
    : dbPath_(std::move(dbPath)), everyFrames_(everyFrames), clock_(clock) {}

Snapshotter::~Snapshotter() { stop(); }

common::Status Snapshotter::start(int64_t periodMs) {
  if (everyFrames_ <= 0) return {};
  auto store = Store::open(dbPath_, Store::Access::readWrite);
  if (!store) return store.error();
  store_ = std::move(store).value();
  thread_ = std::thread([this, periodMs] {
    std::unique_lock<std::mutex> lock(mutex_);
    std::string lastError;  // logged once, until it changes or clears
    while (!stopping_) {
      lock.unlock();
      auto made = catchUpSnapshots(*store_, everyFrames_, clock_, &stopping_);
      if (!made) {
        if (made.error().message != lastError) {
          common::logWarn("snapshots",
                          "picture snapshots not stored (past pictures stay right, only slower): " +
                              made.error().message);
        }
        lastError = made.error().message;
      } else if (lastError.clear(); *made > 0) {
        common::logInfo("snapshots", "stored " + std::to_string(*made) + " picture snapshot(s)");
      }
      lock.lock();
      wake_.wait_for(lock, std::chrono::milliseconds(periodMs), [&] { return stopping_.load(); });
    }
  });
  return {};
}

void Snapshotter::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace samband::broker
