// Committer: the last steps of the gate (heartbeat freshness, the chain rule) and the durable
// write. Applies a batch of admitted frames in one SQLite transaction (WAL, synchronous=FULL)
// and only then yields the acknowledgements. Owned by the database thread.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/city/checkpointer.h"
#include "broker/city/city_key_announcer.h"
#include "broker/city/time_beacon.h"
#include "broker/ingest/city_delivery.h"
#include "broker/ingest/ingress.h"
#include "broker/ingest/picture_projection.h"
#include "broker/ingest/refusal_log.h"
#include "broker/ingest/replies.h"
#include "broker/metrics/metrics.h"
#include "broker/store/archive_store.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::broker {

struct WorkItem {
  std::string routingId;  // empty: nothing to answer (e.g. a handshake refused by ZAP)
  Admission admission;
};

// The hook for `[replication] ack = "peer"` (broker/replication/peer_ack.h implements it): the
// commit thread passes every batch's replies through hold(), which returns those to send now and
// keeps acks the peer broker has not committed yet; due() returns the kept ones that became
// sendable (peer committed, or the peer timeout passed). Called on the commit thread only; an
// implementation may be fed by other threads.
class AckHold {
 public:
  virtual ~AckHold() = default;
  virtual std::vector<Reply> hold(std::vector<Reply> replies) = 0;
  virtual std::vector<Reply> due() = 0;
};

struct CommitterCity {
  // The city's identity, which must outlive the committer; null (tests): no checkpoints and no
  // time beacon.
  const common::Identity* identity = nullptr;
  // Every batch that stores frames ends with the city's signed checkpoint, and its acks carry
  // receipts (docs/protocol.md).
  bool checkpoints = true;
  // Heartbeat replies carry the city's time beacon, signed at most once per this period; 0: none.
  int64_t beaconPeriodMs = 0;
};

class Committer {
 public:
  // Refusals are logged through `refusalLog` when given (tests pass their own sink), else to
  // stderr as warnings.
  Committer(Store& store, const common::Clock& clock, Metrics& metrics, CommitterCity city = {},
            RefusalLog::Sink refusalLog = {});
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  // Applies `batch` in one transaction and returns the replies to send. Acks are returned only
  // when the commit succeeded; if it failed, nothing is acknowledged (agents resend after their
  // ack timeout), the in-memory heads are dropped and the error is logged.
  // Consecutive acks to the same connection within a batch are sent as one: the ack for the
  // highest seq (see Replies). Never throws.
  std::vector<Reply> apply(std::vector<WorkItem>& batch);

  // City messages queued since the last call (by `readiness run`, `directive send`, the board
  // or the scheduler, on other connections) go out at once to providers whose agent sent a
  // frame within kRouteFreshMs, instead of waiting for that agent's next heartbeat. Providers
  // not connected get theirs behind their first heartbeat, as before; a pushed row is not
  // marked as sent, so that path stays the guarantee. Cheap when nothing was queued (one lookup
  // of the newest rowid). Errors are logged; the heartbeat path still delivers everything.
  std::vector<Reply> pushNewOutbound();

 private:
  common::Result<ChainHead*> headFor(const std::string& sender, const std::string& keyId);
  common::Result<HeartbeatMark*> lastHeartbeatFor(const std::string& keyId);
  common::Status applyBatch(std::vector<WorkItem>& batch, Replies& out);
  common::Status handleFrame(const std::string& routingId, const VerifiedFrame& f, Replies& out);
  common::Status handleHeartbeat(const std::string& routingId, const VerifiedFrame& f,
                                 Replies& out);
  common::Status refuse(const std::string& routingId, const Refusal& r, Replies& out);
  common::Status applyPeerCityRecord(const VerifiedFrame& f, int64_t frameId);
  common::Status flushCounters();
  common::Status loadRevokedHeads();

  Store& store_;
  const common::Clock& clock_;
  const common::Identity* city_ = nullptr;  // null (tests): no city records of its own
  Metrics& metrics_;
  ArchiveStore archive_;
  PictureProjection projection_;
  CityDelivery delivery_;
  std::unique_ptr<TimeBeaconMaker> beacon_;           // null: heads carry no beacon
  CityKeyAnnouncer cityKeys_;                         // key records ahead of heartbeat replies
  std::unique_ptr<Checkpointer> checkpointer_;        // null without the city identity
  std::unordered_map<std::string, ChainHead> heads_;  // by "sender/keyId"
  std::string headKey_;
  std::unordered_map<std::string, HeartbeatMark> lastHeartbeat_;
  RefusalLog refusalLog_;
  // Revoked keys with a known chain head (RosterStore::revokedHeads): a frame above it is
  // refused. Read with the caches above, and again after a peer's revocation record.
  std::unordered_map<std::string, uint64_t> revokedAfter_;
  // PRAGMA data_version when the caches above were last known to match the database. Another
  // connection's commit (`samband-broker import` storing frames while `serve` runs) changes it,
  // and then the cached heads are dropped and read again.
  int64_t dataVersion_ = -1;
  // Per-batch accumulators.
  std::unordered_map<std::string, int64_t> rejectedInBatch_;
  std::unordered_map<std::string, int64_t> lastSeenInBatch_;
  std::unordered_map<std::string, HeartbeatMark> heartbeatInBatch_;
  std::unordered_map<std::string, ClockOffset> clockOffsetInBatch_;
  // Batch frames (issue 16) stored in this transaction, by the frame the reports share.
  std::unordered_map<const common::Bytes*, int64_t> batchIdsInBatch_;
};

}  // namespace samband::broker
