// Committer: the last steps of the gate (heartbeat freshness, sequence and hash chain) and the
// durable write. Applies a batch of admitted frames in one SQLite transaction (WAL,
// synchronous=FULL) and only then yields the acknowledgements. Owned by the database thread.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/ingest/ingress.h"
#include "broker/metrics/metrics.h"
#include "broker/store/store.h"
#include "common/clock.h"

namespace samband::broker {

struct WorkItem {
  std::string routingId;  // empty: nothing to answer (e.g. a handshake refused by ZAP)
  Admission admission;
};

struct Reply {
  std::string routingId;
  common::Bytes downlink;  // an encoded common::Downlink
};

// How long a delivered-but-unanswered city message waits before it is sent again.
inline constexpr int64_t kOutboundResendMs = 30'000;
// A provider whose agent sent a frame this recently counts as connected for pushing.
inline constexpr int64_t kRouteFreshMs = 120'000;

class Committer {
 public:
  Committer(Store& store, const common::Clock& clock, Metrics& metrics);
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  // Applies `batch` in one transaction and returns the replies to send. Acks are returned only
  // when the commit succeeded; if it failed, nothing is acknowledged (agents resend after their
  // ack timeout), the in-memory heads are dropped and the error is logged.
  // Consecutive acks to the same connection within a batch are sent as one: the ack for the
  // highest seq (an ack covers every earlier seq under that key, docs/protocol.md). That is one
  // CURVE message per agent per commit instead of one per report.
  std::vector<Reply> apply(std::vector<WorkItem>& batch);

  // City messages queued since the last call (by `readiness run`, `directive send`, the board
  // or the scheduler, on other connections) go out at once to providers whose agent sent a
  // frame within kRouteFreshMs, instead of waiting for that agent's next heartbeat. Providers
  // not connected get theirs behind their first heartbeat, as before; a pushed row is not
  // marked as sent, so that path stays the guarantee. Cheap when nothing was queued (one lookup
  // of the newest rowid). Errors are logged; the heartbeat path still delivers everything.
  std::vector<Reply> pushNewOutbound();

 private:
  // The replies of one batch, in order, with consecutive acks to one connection merged.
  class Replies {
   public:
    void add(const std::string& routingId, common::Bytes downlink);
    // Merged into the connection's previous reply when that is an ack under the same key.
    void ack(const std::string& routingId, const std::string& keyId, uint64_t seq, bool duplicate);
    std::vector<Reply> finish();

   private:
    std::vector<Reply> out_;
    struct PendingAck {
      size_t reply;  // index into out_
      std::string keyId;
      common::AckMsg ack;
    };
    std::vector<PendingAck> acks_;                     // encoded by finish()
    std::unordered_map<std::string, size_t> openAck_;  // connection -> index into acks_
  };

  struct Head {
    uint64_t seq = 0;
    common::Bytes hash;
  };
  Head& headFor(const std::string& sender, const std::string& keyId);
  int64_t& lastHeartbeatFor(const std::string& keyId);
  void handleFrame(const std::string& routingId, const VerifiedFrame& f, Replies& out);
  void handleHeartbeat(const std::string& routingId, const VerifiedFrame& f, Replies& out);
  void storeFrame(const VerifiedFrame& f, int64_t* frameId);
  void applyToView(const VerifiedFrame& f, int64_t frameId);
  void refuse(const std::string& routingId, const Refusal& r, Replies& out);
  void deliverOutbound(const std::string& routingId, const std::string& provider, Replies& out);
  void flushCounters();
  void noteRoute(const std::string& provider, const std::string& routingId);

  Store& store_;
  const common::Clock& clock_;
  Metrics& metrics_;
  std::unordered_map<std::string, Head> heads_;  // by "sender/keyId"
  std::string headKey_;
  std::unordered_map<std::string, int64_t> lastHeartbeat_;
  // PRAGMA data_version when the caches above were last known to match the database. Another
  // connection's commit (`samband-broker import` storing frames while `serve` runs) changes it,
  // and then the cached heads are dropped and read again.
  int64_t dataVersion_ = -1;
  // The ROUTER identity of each provider's newest connection and when it last sent a frame.
  struct Route {
    std::string routingId;
    int64_t lastFrameMs = 0;
  };
  std::unordered_map<std::string, Route> routes_;
  int64_t pushedOutboundId_ = -1;  // outbound rows up to this id were considered for pushing
  // Per-batch accumulators.
  std::unordered_map<std::string, int64_t> rejectedInBatch_;
  std::unordered_map<std::string, int64_t> lastSeenInBatch_;
  std::unordered_map<std::string, int64_t> heartbeatInBatch_;
  // Prepared statements, reused across batches.
  std::unique_ptr<SQLite::Statement> insertFrame_;
  std::unique_ptr<SQLite::Statement> findFrame_;
  std::unique_ptr<SQLite::Statement> findHead_;
  std::unique_ptr<SQLite::Statement> upsertStatus_;
};

}  // namespace samband::broker
