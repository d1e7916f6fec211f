// RosterCache: an immutable in-memory snapshot of enrolled keys and unit ownership, shared by
// the ZAP handler and the verifying threads, reloaded from the database when it may be stale.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "broker/store/roster_store.h"
#include "common/clock.h"

namespace samband::broker {

struct RosterSnapshot {
  std::unordered_map<std::string, KeyRecord> keys;  // key id hex -> key
  // Curve public key (its 32 raw bytes, as ZAP hands them over) -> key id hex.
  std::unordered_map<std::string, std::string> keyByCurve;
  std::unordered_map<std::string, std::string> unitOwner;  // unit code -> provider id
  int64_t loadedAtMs = 0;
};

class RosterCache {
 public:
  // Reads the database at `dbPath` with its own connection. Thread-safe.
  RosterCache(std::string dbPath, const common::Clock& clock);
  RosterCache(const RosterCache&) = delete;
  RosterCache& operator=(const RosterCache&) = delete;

  // The current snapshot; never null after construction.
  std::shared_ptr<const RosterSnapshot> current() const;
  // Reloads when the snapshot is older than `maxAgeMs`. Enrollments and revocations done by
  // the CLI reach the running broker this way.
  void refreshIfOlder(int64_t maxAgeMs);

 private:
  void reload();
  std::string dbPath_;
  const common::Clock& clock_;
  mutable std::mutex mutex_;
  std::mutex reloadMutex_;
  std::shared_ptr<const RosterSnapshot> snapshot_;
};

}  // namespace samband::broker
