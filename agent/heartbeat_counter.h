// HeartbeatCounter: the heartbeat's counter, strictly increasing for this agent's outbox across
// restarts without trusting the clock. Each run takes the next boot epoch from outbox.db
// (committed before the first heartbeat) and counts within it: counter = epoch << 32 | n.
// The broker judges a heartbeat's freshness by it (docs/protocol.md).
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>

#include "common/result.h"

namespace samband::agent {

class HeartbeatCounter {
 public:
  // Takes the next boot epoch from `db` (one committed transaction). `db` is only used here.
  // Errors: unavailable (the outbox cannot be written), with the file named.
  static common::Result<HeartbeatCounter> start(SQLite::Database& db);

  // The next counter: above every counter this outbox handed out before, in any run.
  uint64_t next();

  uint64_t epoch() const { return epoch_; }

 private:
  HeartbeatCounter(SQLite::Database& db, uint64_t epoch) : db_(&db), epoch_(epoch) {}
  common::Status advanceEpoch();

  SQLite::Database* db_;
  uint64_t epoch_;
  uint64_t n_ = 0;
};

}  // namespace samband::agent
