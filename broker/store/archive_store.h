// ArchiveStore: typed access to the frames archive (every signed frame as sent, per sender and
// key a hash chain), the chain heads, heartbeat and last-seen times, refusal counters, and the
// picture tables the committer projects accepted frames onto (unit status, capacity,
// continuity, rotated keys). The only place with their SQL. Exceptions stay inside.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::broker {

// The newest stored frame of one chain (sender, key): seq 0 and an empty hash when none.
struct ChainHead {
  uint64_t seq = 0;
  common::Bytes hash;
};

// A frame to append. Every reference must outlive the appendFrame() call.
struct NewFrame {
  const std::string& sender;
  const std::string& keyId;  // hex
  uint64_t seq;
  const char* kind;  // payload kind name
  const char* mode;  // mode name
  int64_t sentAt;
  int64_t receivedAt;
  const common::Bytes& bodyHash;
  // Sent alone: the envelope as received. From a batch (issue 16): empty, and batchId (from
  // appendBatch) and batchIndex say where its body lies, so the body is stored once.
  const common::Bytes& envelope;
  int64_t batchId = 0;  // 0: sent alone
  uint32_t batchIndex = 0;
};

// One archived frame with the signing key enrolled under its key id, as the audit reads it.
struct ArchivedFrame {
  std::string sender;
  std::string keyId;
  uint64_t seq = 0;
  common::Bytes bodyHash;
  common::Bytes envelope;
  std::optional<common::Bytes> signPublic;  // absent when no enrolled key has that id
};

// The newest heartbeat accepted for a key: its sentAt (sender's clock, shown, never compared
// once counters are sent) and its counter (0: the key's agent sends none).
struct HeartbeatMark {
  int64_t sentAt = 0;
  uint64_t counter = 0;
};

// A provider's clock offset as measured by the broker: sentAt minus receive time of its newest
// heartbeat, in ms (positive: the provider's clock is ahead), and the broker time it was taken.
// A report's batch (issue 16): the batch frame exactly as sent and the report's index in it.
struct FrameBatch {
  int64_t batchId = 0;
  uint32_t index = 0;
  common::Bytes frame;
};

struct ClockOffset {
  int64_t offsetMs = 0;
  int64_t measuredAt = 0;
};

class ArchiveStore {
 public:
  // `store` must outlive this object; used only on the thread that owns `store`. Statements
  // are prepared on first use, so construction never fails.
  explicit ArchiveStore(Store& store);
  ArchiveStore(const ArchiveStore&) = delete;
  ArchiveStore& operator=(const ArchiveStore&) = delete;
  ~ArchiveStore();

  // Sets the connection's page cache (PRAGMA cache_size=-kib).
  common::Status setCacheKiB(int kib);

  // Errors of every call below: unavailable (I/O, busy, broken schema), with SQLite's message.
  common::Result<ChainHead> head(const std::string& sender, const std::string& keyId);
  // The body hash stored at `seq` of the chain, nullopt when that seq is not stored.
  common::Result<std::optional<common::Bytes>> bodyHashAt(const std::string& sender,
                                                          const std::string& keyId, uint64_t seq);
  // Appends a frame; returns its row id (the frame id the picture tables refer to).
  common::Result<int64_t> appendFrame(const NewFrame& frame);
  // Stores a batch frame as sent; returns its id, which each report stored from it names
  // (NewFrame::batchId) with its index in the batch.
  common::Result<int64_t> appendBatch(const std::string& sender, const std::string& keyId,
                                      int64_t receivedAt, const common::Bytes& frame);
  // The batch a stored frame came in, nullopt for a frame sent alone. `withFrame` false: only
  // batchId and index (the audit reads each batch's bytes once, with batchFrame()).
  common::Result<std::optional<FrameBatch>> batchOf(int64_t frameId, bool withFrame = true);
  // A stored batch frame exactly as received.
  common::Result<common::Bytes> batchFrame(int64_t batchId);
  // Every frame ordered by sender, key and seq; `visit` sees each in turn, its envelope as
  // before migration 17 (stored_envelopes.h). An error ends the walk and is returned after the
  // frames already visited.
  common::Status forEachFrame(const std::function<void(const ArchivedFrame&)>& visit);

  // The newest heartbeat recorded for the key ({0, 0} when none, or no such key).
  common::Result<HeartbeatMark> lastHeartbeat(const std::string& keyId);
  // Per key: the newest accepted heartbeat's sent_at and counter.
  common::Status setLastHeartbeats(const std::unordered_map<std::string, HeartbeatMark>& byKey);
  // Per provider: replaces the measured clock offset.
  common::Status setClockOffsets(const std::unordered_map<std::string, ClockOffset>& byProvider);
  // Per provider: moves last_seen forward to the given time (never back).
  common::Status noteLastSeen(const std::unordered_map<std::string, int64_t>& byProvider);
  // Adds to the persistent refusal counters, by reason name.
  common::Status addRejections(const std::unordered_map<std::string, int64_t>& byReason);

  // The picture projection, per mode. Each moves only forward in archive order (frame id):
  // the chain rule admits each sender's frames strictly in seq order, so the newest accepted
  // report wins whatever its sender's clock said (sentAt is stored, never compared).
  common::Status upsertUnitStatus(const char* mode, const std::string& provider, int64_t frameId,
                                  int64_t sentAt, int64_t receivedAt,
                                  const common::UnitStatusMsg& status);
  // Replaces the unit's capacity rows unless a later frame's report is stored.
  common::Status replaceCapacity(const char* mode, int64_t frameId, int64_t sentAt,
                                 const common::CapacityMsg& capacity);
  common::Status upsertContinuity(const char* mode, const std::string& provider, int64_t frameId,
                                  int64_t sentAt, const common::ContinuityMsg& continuity);
  // Enrolls the rotated-to key for the provider (kept if already there).
  common::Status addRotatedKey(const std::string& provider, const common::KeyRotationMsg& rotation,
                               int64_t receivedAt);

  // After a failed transaction: clears the error a prepared statement keeps until reset, so the
  // next batch does not see it again. Never throws.
  void clearStatementErrors();

 private:
  SQLite::Statement& prepared(std::unique_ptr<SQLite::Statement>& slot, const char* sql);

  Store& store_;
  std::unique_ptr<SQLite::Statement> insertFrame_;
  std::unique_ptr<SQLite::Statement> insertBatch_;
  std::unique_ptr<SQLite::Statement> findBatchLink_;
  std::unique_ptr<SQLite::Statement> findFrame_;
  std::unique_ptr<SQLite::Statement> findHead_;
  std::unique_ptr<SQLite::Statement> upsertStatus_;
};

}  // namespace samband::broker
