// See change_watch.h.
#include "broker/picture/change_watch.h"

#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "broker/picture/view.h"
#include "broker/store/picture_store.h"
#include "broker/store/store.h"
#include "common/log.h"

namespace samband::broker {

ChangeWatch::ChangeWatch(std::string databasePath, LivenessRules rules, const common::Clock& clock,
                         std::chrono::milliseconds interval)
    : databasePath_(std::move(databasePath)), rules_(rules), clock_(clock), interval_(interval) {}

ChangeWatch::~ChangeWatch() { stop(); }

void ChangeWatch::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void ChangeWatch::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t ChangeWatch::waitBeyond(uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return stopping_.load() || version_.load() > seen; });
  return version_.load();
}

void ChangeWatch::poke() { bump(); }

void ChangeWatch::bump() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    version_++;
  }
  changed_.notify_all();
}

void ChangeWatch::loop() {
  std::unique_ptr<Store> store;
  int64_t dataVersion = -1;
  std::vector<std::pair<std::string, int64_t>> lastSeen;  // provider id, last_seen (0: never)
  std::string dataPrint;                                  // frames, roster, level, what-if
  std::string livenessPrint;                              // one letter per provider
  common::RateLimiter limiter(1);
  while (!stopping_) {
    try {
      if (!store) {
        auto opened = Store::open(databasePath_, Store::Access::readOnly);
        if (!opened) throw std::runtime_error(opened.error().message);
        store = std::move(*opened);
      }
      PictureStore rows(*store);
      auto dv = rows.dataVersion();
      if (!dv) throw std::runtime_error(dv.error().message);
      bool changed = false;
      if (*dv != dataVersion) {
        dataVersion = *dv;
        auto print = rows.fingerprint();
        if (!print) throw std::runtime_error(print.error().message);
        lastSeen = std::move(print->lastSeen);
        if (print->print != dataPrint) {
          dataPrint = print->print;
          lastFrameId_ = print->maxFrameId;
          changed = true;
        }
      }
      // Liveness moves with time alone, so it is recomputed on every tick.
      std::string live;
      live.reserve(lastSeen.size());
      const int64_t now = clock_.nowMs();
      for (const auto& [id, seen] : lastSeen) {
        live += livenessOf(seen > 0 ? std::optional<int64_t>(seen) : std::nullopt, now, rules_)[0];
      }
      if (live != livenessPrint) {
        livenessPrint = live;
        changed = true;
      }
      if (changed) bump();
    } catch (const std::exception& e) {
      store.reset();
      dataVersion = -1;
      uint64_t suppressed = 0;
      if (limiter.allow(clock_.nowMs(), &suppressed)) {
        common::logWarn("board", std::string("cannot watch the database for changes: ") + e.what() +
                                     "; live updates pause until it is readable");
      }
    }
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, interval_, [&] { return stopping_.load(); });
  }
}

}  // namespace samband::broker
