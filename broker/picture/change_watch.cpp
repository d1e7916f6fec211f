// See change_watch.h.
#include "broker/picture/change_watch.h"

#include <SQLiteCpp/Statement.h>

#include <memory>
#include <utility>
#include <vector>

#include "broker/picture/view.h"
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
      auto& db = store->db();
      int64_t dv = db.execAndGet("PRAGMA data_version").getInt64();
      bool changed = false;
      if (dv != dataVersion) {
        dataVersion = dv;
        int64_t maxFrame = 0;
        {
          SQLite::Statement q(db, "SELECT coalesce(max(id), 0) FROM frames");
          q.executeStep();
          maxFrame = q.getColumn(0).getInt64();
        }
        std::string print = std::to_string(maxFrame);
        SQLite::Statement roster(db, "SELECT count(*) FROM units");
        roster.executeStep();
        print += "|" + roster.getColumn(0).getString();
        SQLite::Statement level(db,
                                "SELECT coalesce((SELECT value FROM meta WHERE key='level'), '')");
        level.executeStep();
        print += "|" + level.getColumn(0).getString();
        SQLite::Statement marks(db,
                                "SELECT coalesce(group_concat(code), '') FROM "
                                "(SELECT code FROM whatif_failing ORDER BY code)");
        marks.executeStep();
        print += "|" + marks.getColumn(0).getString();
        lastSeen.clear();
        SQLite::Statement q(db, "SELECT id, coalesce(last_seen, 0) FROM providers ORDER BY id");
        while (q.executeStep())
          lastSeen.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64());
        if (print != dataPrint) {
          dataPrint = print;
          lastFrameId_ = maxFrame;
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
