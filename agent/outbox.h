// Outbox: the agent's signed, sequenced, hash-chained queue of reports in outbox.db. Every
// message is written here first (seq allocation, signing, insert and chain-head advance in one
// BEGIN IMMEDIATE transaction) and stays until the broker acknowledges it. Also realigns the
// pending rows onto the broker's chain head and moves permanently refused rows to dead letters.
//
// Threads and processes: an Outbox is used by one thread. Several processes (report, run) may
// each hold an Outbox on the same file at once; every write is one transaction.
// Errors: SQLite failures come back as `unavailable` (disk full, file locked for longer than
// the busy timeout); a draft that breaks a field bound comes back as `invalidInput`.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/codec.h"
#include "common/identity.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::agent {

// A message to queue: everything but the chain fields, which the outbox assigns.
struct OutboxDraft {
  common::Mode mode = common::Mode::ACTUAL;
  int64_t sentAt = 0;  // ms since epoch (agent clock)
  common::Payload payload;
};

struct QueuedMessage {
  int64_t rowId = 0;  // the outbox row (stable when re-signed)
  uint64_t seq = 0;
  std::string kind;  // payloadKindName
  std::string unit;  // "" for provider-level bodies
};

struct OutboxRow {
  int64_t id = 0;  // stable identity of the row; survives re-signing
  uint64_t seq = 0;
  std::string kind;
  std::string unit;
  int64_t sentAt = 0;
  common::Bytes prevHash;
  common::Bytes bodyHash;
  common::Bytes envelope;  // what goes on the wire
  int64_t queuedAt = 0;
  int resigned = 0;
};

struct ChainHead {
  uint64_t seq = 0;
  common::Bytes hash;  // empty when seq is 0
  bool operator==(const ChainHead& o) const { return seq == o.seq && hash == o.hash; }
};

struct RealignOutcome {
  bool changed = false;    // any row was re-signed or the chain head moved
  size_t resigned = 0;     // rows given a new seq/prevHash
  bool headMoved = false;  // the chain head was moved without pending rows (restored agent)
  ChainHead head;          // the chain head afterwards
};

struct DeadLetter {
  int64_t id = 0;
  uint64_t seq = 0;
  std::string kind;
  std::string unit;
  int64_t sentAt = 0;
  std::string reason;
  std::string detail;
  int64_t deadAt = 0;
};

// What `status` shows; readable without the identity.
struct OutboxSummary {
  size_t pending = 0;
  uint64_t firstPendingSeq = 0;  // 0 when nothing is pending
  uint64_t lastPendingSeq = 0;
  int64_t oldestQueuedAt = 0;  // 0 when nothing is pending
  ChainHead head;
  uint64_t ackedSeq = 0;
  size_t deadLetters = 0;
  common::Bytes keyId;  // the signing key the chain belongs to (empty before first use)
};

class Outbox {
 public:
  // `db` and `identity` must outlive the Outbox. The identity signs new and re-signed rows.
  Outbox(SQLite::Database& db, const common::Identity& identity);
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Checks that the outbox belongs to the identity's signing key (binding it on first use): an
  // outbox written under another key is refused with what to do.
  common::Status verifyKey();

  // Runs inside an outbox write transaction; an error rolls the whole transaction back.
  using InTransaction = std::function<common::Status(const std::vector<QueuedMessage>&)>;

  // Queues `drafts` as consecutive seqs in ONE transaction: all are queued or none. Heartbeats
  // are refused (they are never queued). `nowMs` is recorded as queued_at. `inTransaction`, if
  // given, runs after the inserts in the same transaction (rotate-key records its state there).
  common::Result<std::vector<QueuedMessage>> append(const std::vector<OutboxDraft>& drafts,
                                                    int64_t nowMs,
                                                    const InTransaction& inTransaction = nullptr);

  // Builds the drafts inside the write transaction, then queues them as append() does. What
  // `build` reads (the unit's last report) cannot change before the drafts are queued, so two
  // concurrent reports never both build on the same last report.
  using DraftBuilder = std::function<common::Result<std::vector<OutboxDraft>>()>;
  common::Result<std::vector<QueuedMessage>> append(const DraftBuilder& build, int64_t nowMs,
                                                    const InTransaction& inTransaction = nullptr);

  // Pending rows with seq >= `fromSeq`, in seq order, at most `limit`.
  common::Result<std::vector<OutboxRow>> pendingFrom(uint64_t fromSeq, size_t limit);
  // The row with stable id `id`, if it is still pending.
  common::Result<std::vector<OutboxRow>> pendingById(int64_t id);

  // The broker stored everything up to `seq`: deletes those rows (cumulative) and records the
  // acknowledged seq. Returns how many rows were deleted. An ack above the chain head is
  // ignored (returns 0): the agent never signed such a seq. When the rows include an announced
  // key rotation, it becomes `acknowledged` in the same transaction (agent/key_rotation.h).
  common::Result<size_t> ack(uint64_t seq);

  // Rebuilds the pending chain on the broker's head (headSeq, headHash), in one transaction:
  // rows already consistent with that head keep their bytes; the rest are re-signed as
  // headSeq+1, +2, … chained from headHash, keeping payload, mode and sentAt. With nothing
  // pending, the chain head is moved to the broker's. See docs/agent.md, "Realign".
  common::Result<RealignOutcome> realign(uint64_t headSeq, const common::Bytes& headHash);

  // Moves the pending row `rowId` to the dead letters (the broker refused it permanently), then
  // realigns the rest on (headSeq, headHash), all in one transaction. A row that is no longer
  // pending is left alone (the outcome reports no change). A refused key rotation becomes
  // `refused` in the same transaction.
  common::Result<RealignOutcome> deadLetter(int64_t rowId, const std::string& reason,
                                            const std::string& detail, int64_t nowMs,
                                            uint64_t headSeq, const common::Bytes& headHash);

  // Moves the outbox to the key `next` once the broker acknowledged the rotation to it, in one
  // transaction: pending rows the broker holds under the old key (up to `oldHead`, when a pending
  // row has exactly that seq and hash) are deleted; the rest are re-signed by `next` as seq 1,
  // 2, … of its new chain, keeping payload, mode and sentAt; the chain row is bound to `next`
  // with head and ack at 0. `inTransaction` runs last inside the same transaction. Returns how
  // many rows were re-signed. After this, this Outbox object (bound to the old identity) must
  // not be used to sign again: open one with `next`.
  common::Result<size_t> rekey(const common::Identity& next, const ChainHead& oldHead,
                               const InTransaction& inTransaction);

  common::Result<ChainHead> head();
  // The highest seq the broker acknowledged and the hash of that body ({0, empty} at first).
  common::Result<ChainHead> acked();
  // First and last pending seq (pending seqs are always contiguous); {0, 0} when empty.
  common::Result<std::pair<uint64_t, uint64_t>> pendingRange();

  // PRAGMA data_version: changes when another connection committed (a `report` queued rows).
  common::Result<int64_t> dataVersion();

  // Counts for status; needs no identity.
  static common::Result<OutboxSummary> summarize(SQLite::Database& db);
  // The most recent `limit` dead letters, newest first; needs no identity.
  static common::Result<std::vector<DeadLetter>> deadLetters(SQLite::Database& db, size_t limit);

 private:
  common::Status checkKey();
  common::Result<RealignOutcome> realignLocked(uint64_t headSeq, const common::Bytes& headHash);
  // Re-signs rows[first..] in order with `signer` as the chain continuing from `head`, in the
  // caller's write transaction; returns the new head. Throws SQLite::Exception.
  common::Result<ChainHead> resignRows(const std::vector<OutboxRow>& rows, size_t first,
                                       const common::Identity& signer,
                                       const common::Bytes& signerKeyId, ChainHead head);

  SQLite::Database& db_;
  const common::Identity& identity_;
  common::Bytes keyId_;
};

}  // namespace samband::agent
