// ChangeWatch: tells the board's live streams (SSE) that the picture changed. One thread with
// its own read-only connection looks at the database every 250 ms (PRAGMA data_version first,
// so an idle database costs almost nothing) and bumps a version number when a frame was
// archived, a provider's liveness changed, the city's level or the roster changed, or a
// what-if mark was set. Heartbeats alone do not count as a change.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "broker/picture/liveness.h"
#include "common/clock.h"

namespace samband::broker {

class ChangeWatch {
 public:
  ChangeWatch(std::string databasePath, LivenessRules rules, const common::Clock& clock,
              std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  ~ChangeWatch();
  ChangeWatch(const ChangeWatch&) = delete;
  ChangeWatch& operator=(const ChangeWatch&) = delete;

  // Starts the watching thread. Idempotent.
  void start();
  // Stops it and wakes every waiter. Idempotent.
  void stop();

  uint64_t version() const { return version_.load(); }
  // Highest archived frame id seen at the last change.
  int64_t lastFrameId() const { return lastFrameId_.load(); }
  // Blocks until version() > `seen`, `timeout` passes, or stop(). Returns version().
  // Thread-safe; called by every SSE stream.
  uint64_t waitBeyond(uint64_t seen, std::chrono::milliseconds timeout);
  // A change made by the board itself: bump the version now.
  void poke();
  bool isStopping() const { return stopping_.load(); }

 private:
  void loop();
  void bump();

  std::string databasePath_;
  LivenessRules rules_;
  const common::Clock& clock_;
  std::chrono::milliseconds interval_;
  std::atomic<uint64_t> version_{1};
  std::atomic<int64_t> lastFrameId_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread thread_;
};

}  // namespace samband::broker
