// See roster_cache.h. Reload failures keep the previous snapshot (the broker keeps serving).
#include "broker/ingest/roster_cache.h"

#include "common/log.h"

namespace samband::broker {

RosterCache::RosterCache(std::string dbPath, const common::Clock& clock)
    : dbPath_(std::move(dbPath)), clock_(clock), snapshot_(std::make_shared<RosterSnapshot>()) {
  reload();
}

std::shared_ptr<const RosterSnapshot> RosterCache::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return snapshot_;
}

void RosterCache::refreshIfOlder(int64_t maxAgeMs) {
  if (clock_.nowMs() - current()->loadedAtMs < maxAgeMs) return;
  std::unique_lock<std::mutex> guard(reloadMutex_, std::try_to_lock);
  if (!guard.owns_lock()) return;  // another thread is reloading right now
  if (clock_.nowMs() - current()->loadedAtMs < maxAgeMs) return;
  reload();
}

void RosterCache::reload() {
  auto store = Store::open(dbPath_, Store::Access::readOnly);
  auto snap = std::make_shared<RosterSnapshot>();
  snap->loadedAtMs = clock_.nowMs();
  if (!store) {
    common::logError("roster", "cannot reload roster: " + store.error().message);
    std::lock_guard<std::mutex> lock(mutex_);
    auto copy = std::make_shared<RosterSnapshot>(*snapshot_);
    copy->loadedAtMs = snap->loadedAtMs;
    snapshot_ = copy;
    return;
  }
  auto keys = RosterStore(**store).loadKeys();
  auto owners = RosterStore(**store).loadUnitOwners();
  if (!keys || !owners) {
    common::logError("roster", "cannot reload roster: " +
                                   (keys ? owners.error().message : keys.error().message));
    return;
  }
  for (auto& k : *keys) {
    snap->keyByCurve[std::string(reinterpret_cast<const char*>(k.curvePublic.data()), 32)] =
        k.keyId;
    snap->keys[k.keyId] = std::move(k);
  }
  snap->unitOwner = std::move(*owners);
  std::lock_guard<std::mutex> lock(mutex_);
  snapshot_ = std::move(snap);
}

}  // namespace samband::broker
