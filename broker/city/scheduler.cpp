// See scheduler.h.
#include "broker/city/scheduler.h"

#include "broker/city/directives.h"
#include "broker/store/calendar_store.h"
#include "common/calendar_config.h"
#include "common/log.h"

namespace samband::broker {

Scheduler::Scheduler(std::string dbPath, const common::Identity& city, const common::Clock& clock,
                     ReadinessSchedule schedule)
    : dbPath_(std::move(dbPath)), city_(city), clock_(clock), schedule_(std::move(schedule)) {}

Scheduler::~Scheduler() { stop(); }

std::optional<std::string> Scheduler::tick() {
  if (!store_) {
    auto s = Store::open(dbPath_, Store::Access::readWrite);
    if (!s) {
      common::logError("scheduler", s.error().message);
      return std::nullopt;
    }
    store_ = std::move(s).value();
  }
  const int64_t now = clock_.nowMs();
  std::optional<std::string> issued;
  // Read each round: an imported calendar or a new level counts without a restart.
  auto calendar = schoolCalendarOf(*store_, schedule_.holidays);
  auto level = store_->meta(kMetaLevel);
  if (!calendar || !level) {
    common::logError("scheduler", "cannot read the calendar or the level: " +
                                      (calendar ? level.error() : calendar.error()).message);
    return std::nullopt;
  }
  const bool excuses = common::calendarExcusesSilence(level->value_or(""));
  if (auto date = dueDate(schedule_, now, *calendar, excuses)) {
    CheckOptions o;
    o.deadlineMs = schedule_.deadlineMs;
    o.requireConfirmation = schedule_.requireConfirmation;
    o.scheduledFor = *date;
    auto id = issueCheck(*store_, city_, o, now);
    if (id) {
      common::logInfo("scheduler", "issued readiness check " + *id + " for " + *date);
      issued = *id;
    } else if (id.error().kind != common::ErrorKind::conflict) {
      common::logError("scheduler", id.error().message);
    } else if (*date != coveredDate_) {
      // Issued earlier, or by a peer broker (docs/replication.md): said once per date.
      coveredDate_ = *date;
      common::logInfo("scheduler",
                      "not issuing a readiness check for " + *date + ": " + id.error().message);
    }
  }
  if (auto closed = closeDueChecks(*store_, now); !closed) {
    common::logError("scheduler", "cannot close due checks: " + closed.error().message);
  }
  return issued;
}

common::Status Scheduler::start(int64_t periodMs) {
  thread_ = std::thread([this, periodMs] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      tick();
      lock.lock();
      wake_.wait_for(lock, std::chrono::milliseconds(periodMs), [&] { return stopping_; });
    }
  });
  return {};
}

void Scheduler::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace samband::broker
