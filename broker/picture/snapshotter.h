// Picture snapshots: every `everyFrames` frames of the archive, the replay database as it stands
// after them (archive_replay.h) is stored in picture_snapshots, so a picture at any past moment
// replays at most that many frames (as_of.h). Snapshots are derived: each equals a replay from
// the first frame (tests/broker/picture/as_of_test.cpp holds them to it), and deleting them
// costs speed only. catchUpSnapshots() does the work; Snapshotter runs it on its own thread in
// `serve`, away from the commit path.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/store/store.h"
#include "common/clock.h"
#include "common/result.h"

namespace samband::broker {

// [picture] snapshot_every_frames: a year of a Stockholm-sized city (35 M frames) makes about
// 1,750 snapshots of some hundred KB each; a rebuild replays at most this many frames
// (docs/performance.md, "The picture at a past moment").
inline constexpr int64_t kDefaultSnapshotEveryFrames = 20'000;

// Stores the missing snapshots: resumes from the newest one (or the first frame) and stores one
// each time the replay's frame count reaches a multiple of `everyFrames`. `stop`, when set,
// ends the walk early (the next call resumes). `store` must be writable. Returns how many
// snapshots were stored. Errors: unavailable.
common::Result<int64_t> catchUpSnapshots(Store& store, int64_t everyFrames,
                                         const common::Clock& clock,
                                         const std::atomic<bool>* stop = nullptr);

class Snapshotter {
 public:
  // `clock` must outlive the snapshotter. `everyFrames` 0: never snapshot.
  Snapshotter(std::string dbPath, int64_t everyFrames, const common::Clock& clock);
  ~Snapshotter();
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  // Checks every `periodMs` whether a snapshot is due, on its own thread with its own
  // connection. Errors: unavailable (the database does not open).
  common::Status start(int64_t periodMs = 2000);
  void stop();

 private:
  std::string dbPath_;
  int64_t everyFrames_;
  const common::Clock& clock_;
  std::unique_ptr<Store> store_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
};

}  // namespace samband::broker
