// See heartbeat_counter.h. The epoch lives in the heartbeat_epoch row of outbox.db (migration 5).
#include "agent/heartbeat_counter.h"

#include <SQLiteCpp/Transaction.h>

#include <string>

namespace samband::agent {

namespace {

constexpr uint64_t kPerEpoch = uint64_t{1} << 32;

common::Result<uint64_t> takeEpoch(SQLite::Database& db) {
  try {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    db.exec("UPDATE heartbeat_epoch SET epoch = epoch + 1 WHERE id = 1");
    const int64_t epoch =
        db.execAndGet("SELECT epoch FROM heartbeat_epoch WHERE id = 1").getInt64();
    tx.commit();
    return static_cast<uint64_t>(epoch);
  } catch (const SQLite::Exception& e) {
    return common::unavailable("cannot record the heartbeat epoch in " + db.getFilename() + ": " +
                               e.what() + " (check that the outbox is writable by this user)");
  }
}

}  // namespace

common::Result<HeartbeatCounter> HeartbeatCounter::start(SQLite::Database& db) {
  auto epoch = takeEpoch(db);
  if (!epoch) return epoch.error();
  return HeartbeatCounter(db, *epoch);
}

uint64_t HeartbeatCounter::next() {
  if (++n_ >= kPerEpoch) {
    // 2^32 heartbeats in one run (over a century at one a second): take the next epoch. If the
    // outbox cannot be written, keep counting past the epoch boundary, still increasing.
    if (auto e = takeEpoch(*db_); e) {
      epoch_ = *e;
      n_ = 1;
    }
  }
  return (epoch_ << 32) + n_;
}

}  // namespace samband::agent
