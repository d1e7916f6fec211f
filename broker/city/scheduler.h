// Scheduler: issues the daily readiness check when it is due (on school days at normal level,
// every day at heightened level and above) and writes each check's report at its deadline. tick()
// does one round and is what tests drive with a FakeClock; start() runs it every few seconds on its
// own thread with its own database connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/city/readiness.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/identity.h"

namespace samband::broker {

class Scheduler {
 public:
  // `city` and `clock` must outlive the scheduler.
  Scheduler(std::string dbPath, const common::Identity& city, const common::Clock& clock,
            ReadinessSchedule schedule);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // One round at the clock's current time. Returns the id of a check issued now, if any.
  std::optional<std::string> tick();
  common::Status start(int64_t periodMs = 5000);
  void stop();

 private:
  std::string dbPath_;
  const common::Identity& city_;
  const common::Clock& clock_;
  ReadinessSchedule schedule_;
  std::unique_ptr<Store> store_;
  std::string coveredDate_;  // the last date found to have its check already (logged once)
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace samband::broker
