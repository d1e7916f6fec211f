// WalCheckpointer: copies committed pages from the write-ahead log into the database file on its
// own thread and connection, so the ingest commit thread does not (issue 16). SQLite's automatic
// checkpoint runs inside the COMMIT of the connection that crossed the threshold: on the commit
// thread it read every page of the log back, wrote it into the database file and synced that
// file, about a sixth of the thread's time under a backlog (docs/performance.md, "One signature
// for a backlog"). Here a passive checkpoint (it never blocks a writer or a reader) runs after
// each nudge. The writer's commits nudge it once the log has grown by kNudgeEveryPages since the
// last nudge (watchWriter), not after every commit: at light load a checkpoint per commit synced
// the database file beside nearly every commit's own log sync and raised the report-to-ack p99.
// The writer itself checkpoints only at a much higher threshold, to restart the log: by then
// nearly every page is copied already, so its checkpoint is short, and the log file is reused
// from its start. Durability is unchanged: a commit is durable once its log pages are synced
// (synchronous=FULL), before any checkpoint.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/store/store.h"

struct sqlite3;
#include "common/log.h"
#include "common/result.h"

namespace samband::broker {

class WalCheckpointer {
 public:
  // The writer's own checkpoint threshold, in pages of the log, once a WalCheckpointer runs
  // beside it (SQLite's automatic checkpoint: 1000).
  static constexpr int kWriterAutoCheckpointPages = 4096;
  // How many pages the log grows by between two nudges from the writer's commits (SQLite's own
  // automatic threshold, now off the commit thread).
  static constexpr int kNudgeEveryPages = 1000;

  // Opens its own connection to the database at `path` (already created and migrated) and
  // starts the thread. Errors: unavailable, naming the file.
  static common::Result<std::unique_ptr<WalCheckpointer>> start(const std::string& path);
  // Watches `writer`'s commits (SQLite's WAL hook, which replaces its automatic checkpoint):
  // nudges this checkpointer every kNudgeEveryPages of log, and checkpoints on the writer's own
  // thread only at kWriterAutoCheckpointPages. Call before the writer commits; `writer` must be
  // closed before this checkpointer is destroyed. Errors: none today (a Status for symmetry).
  common::Status watchWriter(Store& writer);

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
  // The writer's WAL hook: called after each of its commits with the log's size in pages.
  static int onWriterCommit(void* self, sqlite3* db, const char* name, int logPages);
  int nudgedAtPages_ = 0;  // the log's size at the last nudge; the writer's thread only

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
