// RosterCache: an immutable in-memory snapshot of enrolled keys and unit ownership, shared by
// the ZAP handler and the verifying threads, reloaded from the database when it may be stale.
// Whether it is stale is one read of the roster's change counter (broker migration 18), so the
// commit thread's periodic look costs microseconds and the roster is read again only after a
// change (an enrolment, a revocation, a roster import), by this process or the CLI.
#pragma once

#include <atomic>
#include <cstdint>
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
  int64_t version = -1;  // the roster's change counter read before the tables; -1: unknown
};

class RosterCache {
 public:
  // Reads the database at `dbPath` with its own connection. Thread-safe.
  RosterCache(std::string dbPath, const common::Clock& clock);
  RosterCache(const RosterCache&) = delete;
  RosterCache& operator=(const RosterCache&) = delete;

  // The current snapshot; never null after construction.
  std::shared_ptr<const RosterSnapshot> current() const;
  // When the roster was last looked at over `maxAgeMs` ago: reads its change counter and
  // reloads the snapshot if the roster changed. Enrolments and revocations done by the CLI reach
  // the running broker this way. 0 looks now.
  void refreshIfOlder(int64_t maxAgeMs);
  // How many times the snapshot was read from the tables (tests, /metrics).
  uint64_t reloads() const { return reloads_.load(); }

 private:
  void reload();
  std::string dbPath_;
  const common::Clock& clock_;
  mutable std::mutex mutex_;
  std::mutex reloadMutex_;  // held by the one thread that looks; guards db_
  std::shared_ptr<const RosterSnapshot> snapshot_;
  std::unique_ptr<Store> db_;  // read-only, kept open between looks
  std::atomic<int64_t> lookedAtMs_{0};
  std::atomic<uint64_t> reloads_{0};
};

}  // namespace samband::broker
