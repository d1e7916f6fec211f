// WalCheckpointer: copies committed pages from the write-ahead log into the database file on its
// own thread and connection, so the ingest commit thread does not (issue 16). SQLite's automatic
// checkpoint runs inside the COMMIT of the connection that crossed the threshold: on the commit
// thread it read every page of the log back, wrote it into the database file and synced that
// file, about a sixth of the thread's time under a backlog (docs/performance.md, "One signature
// for a backlog"). Here a passive checkpoint (it never blocks a writer or a reader) runs after
// each nudge; the writer keeps a much higher automatic threshold (relieveWriter) only to restart
// the log: by the time it is reached nearly every page is copied already, so the writer's own
// checkpoint is short, and the log file is reused from its start. Durability is unchanged: a
// commit is durable once its log pages are synced (synchronous=FULL), before any checkpoint.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/store/store.h"
#include "common/log.h"
#include "common/result.h"

namespace samband::broker {

class WalCheckpointer {
 public:
  // The writer's automatic checkpoint threshold, in pages of the log, once a WalCheckpointer
  // runs beside it (SQLite's default: 1000).
  static constexpr int kWriterAutoCheckpointPages = 4096;

  // Opens its own connection to the database at `path` (already created and migrated) and
  // starts the thread. Errors: unavailable, naming the file.
  static common::Result<std::unique_ptr<WalCheckpointer>> start(const std::string& path);
  // Raises `writer`'s automatic checkpoint threshold to kWriterAutoCheckpointPages. Call on the
  // writer's thread. Errors: unavailable.
  static common::Status relieveWriter(Store& writer);

  // Stops and joins the thread (a checkpoint under way finishes first).
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Asks for a checkpoint soon (after a commit). Nudges while one runs are merged into one
  // more. Any thread; never blocks on the checkpoint.
  void nudge();

  // Checkpoints run so far, and the log's size in pages at the last one (for tests).
  uint64_t checkpoints() const { return checkpoints_.load(); }
  int lastLogPages() const { return lastLogPages_.load(); }

 private:
  explicit WalCheckpointer(std::unique_ptr<Store> store);
  void loop();

  std::unique_ptr<Store> store_;  // used only by the thread
  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool stopping_ = false;
  std::atomic<uint64_t> checkpoints_{0};
  std::atomic<int> lastLogPages_{0};
  common::RateLimiter warnLimit_{1};
  std::thread thread_;
};

}  // namespace samband::broker
