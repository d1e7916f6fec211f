// See wal_checkpointer.h.
#include "broker/store/wal_checkpointer.h"

#include <pthread.h>
#include <sqlite3.h>

#include "common/clock.h"

namespace samband::broker {

common::Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(const std::string& path) {
  auto store = Store::open(path, Store::Access::readWrite);
  if (!store) return store.error();
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(std::move(store).value()));
}

common::Status WalCheckpointer::watchWriter(Store& writer) {
  sqlite3_wal_hook(writer.db().getHandle(), &WalCheckpointer::onWriterCommit, this);
  return {};
}

int WalCheckpointer::onWriterCommit(void* self, sqlite3* db, const char* name, int logPages) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  if (logPages >= kWriterAutoCheckpointPages) {
    // What SQLite's automatic checkpoint does at its threshold, which the hook replaces: a
    // passive checkpoint here, after which the next write transaction restarts the log.
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    checkpointer->nudgedAtPages_ = 0;
    return SQLITE_OK;
  }
  if (logPages < checkpointer->nudgedAtPages_) checkpointer->nudgedAtPages_ = 0;  // restarted
  if (logPages - checkpointer->nudgedAtPages_ >= kNudgeEveryPages) {
    checkpointer->nudgedAtPages_ = logPages;
    checkpointer->nudge();
  }
  return SQLITE_OK;
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<Store> store) : store_(std::move(store)) {
  try {
    // This connection never commits, so its own automatic checkpoint never fires; its
    // checkpoints are the explicit ones below.
    store_->db().exec("PRAGMA wal_autocheckpoint=0");
  } catch (const std::exception& e) {
    common::logWarn("commit", std::string("checkpoint connection: ") + e.what());
  }
  thread_ = std::thread([this] { loop(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void WalCheckpointer::nudge() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ = true;
  }
  wake_.notify_one();
}

void WalCheckpointer::loop() {
  pthread_setname_np(pthread_self(), "wal-checkpoint");
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return pending_ || stopping_; });
      if (stopping_) return;
      pending_ = false;
    }
    int logPages = 0;
    int copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2(store_->db().getHandle(), "main",
                                             SQLITE_CHECKPOINT_PASSIVE, &logPages, &copied);
    // SQLITE_BUSY: the writer's own checkpoint holds the checkpoint lock; the next nudge retries.
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      uint64_t suppressed = 0;
      if (!warnLimit_.allow(common::monotonicMs(), &suppressed)) continue;
      common::logWarn("commit", std::string("background WAL checkpoint failed: ") +
                                    sqlite3_errstr(rc) +
                                    "; the commit thread's checkpoint copies "
                                    "the log instead");
      continue;
    }
    checkpoints_++;
    lastLogPages_ = logPages;
  }
}

}  // namespace samband::broker
