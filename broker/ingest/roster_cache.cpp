// See roster_cache.h. Reload failures keep the previous snapshot (the broker keeps serving).
#include "broker/ingest/roster_cache.h"

#include "common/log.h"

namespace samband::broker {

RosterCache::RosterCache(std::string dbPath, const common::Clock& clock)
    : dbPath_(std::move(dbPath)), clock_(clock), snapshot_(std::make_shared<RosterSnapshot>()) {
  std::lock_guard<std::mutex> guard(reloadMutex_);
  reload();
}

std::shared_ptr<const RosterSnapshot> RosterCache::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return snapshot_;
}

void RosterCache::refreshIfOlder(int64_t maxAgeMs) {
  if (maxAgeMs > 0 && clock_.nowMs() - lookedAtMs_.load() < maxAgeMs) return;
  std::unique_lock<std::mutex> guard(reloadMutex_, std::try_to_lock);
  if (!guard.owns_lock()) {
    if (maxAgeMs > 0) return;  // another thread is looking right now
    guard.lock();              // a caller that just wrote the roster waits for a fresh look
  }
  if (maxAgeMs > 0 && clock_.nowMs() - lookedAtMs_.load() < maxAgeMs) return;
  reload();
}

// Called with reloadMutex_ held.
void RosterCache::reload() {
  lookedAtMs_ = clock_.nowMs();
  if (!db_) {
    auto store = Store::open(dbPath_, Store::Access::readOnly);
    if (!store) {
      common::logError("roster", "cannot reload roster: " + store.error().message);
      return;
    }
    db_ = std::move(store).value();
  }
  RosterStore roster(*db_);
  auto version = roster.rosterVersion();
  if (!version) {
    common::logError("roster", "cannot reload roster: " + version.error().message);
    db_.reset();  // opened again at the next look
    return;
  }
  if (*version == current()->version) return;
  auto keys = roster.loadKeys();
  auto owners = roster.loadUnitOwners();
  if (!keys || !owners) {
    common::logError("roster", "cannot reload roster: " +
                                   (keys ? owners.error().message : keys.error().message));
    db_.reset();
    return;
  }
  auto snap = std::make_shared<RosterSnapshot>();
  snap->version = *version;
  for (auto& k : *keys) {
    snap->keyByCurve[std::string(reinterpret_cast<const char*>(k.curvePublic.data()), 32)] =
        k.keyId;
    snap->keys[k.keyId] = std::move(k);
  }
  snap->unitOwner = std::move(*owners);
  reloads_++;
  std::lock_guard<std::mutex> lock(mutex_);
  snapshot_ = std::move(snap);
}

}  // namespace samband::broker
