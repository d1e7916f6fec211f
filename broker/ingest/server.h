// Server: the broker's ingest engine. One thread owns the ROUTER socket (CURVE server), one the
// ZAP handler, N verify threads run the Ingress gate, one thread owns the database and commits
// batches; replies go back to the socket thread over inproc. See docs/architecture.md.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "broker/ingest/committer.h"
#include "broker/ingest/ingress.h"
#include "broker/ingest/roster_cache.h"
#include "broker/ingest/work_queue.h"
#include "broker/metrics/metrics.h"
#include "broker/store/wal_checkpointer.h"
#include "common/clock.h"
#include "common/identity.h"

namespace samband::broker {

struct ServerOptions {
  std::string listen = "tcp://127.0.0.1:7700";
  std::string databasePath;
  size_t batchMax = 4096;           // frames per transaction at most (docs/performance.md)
  int batchDelayMs = 0;             // extra wait to fill a batch (0: commit what is there)
  bool checkpoints = true;          // sign a checkpoint per batch, receipts on acks (false: only
                                    // to measure their cost; audit then reports the gap)
  int verifyThreads = 1;            // 0: verify on the socket thread
  size_t maxQueuedFrames = 200000;  // above this, frames are refused as overloaded
  int64_t rosterRefreshMs = 2000;   // how often enrollments/revocations are re-read
  // A connection that has not finished its CURVE handshake by then is closed, so idle raw TCP
  // connections (no key needed to open one) cannot pile up and lock agents out.
  int handshakeTimeoutMs = 10000;
  // How old the city's time beacon on heartbeat replies may get before a new one is signed.
  int64_t beaconPeriodMs = 60'000;
  // With `[replication] ack = "peer"`: acks wait here until the peer committed (committer.h).
  // Must outlive the server; null: ack on the local commit.
  AckHold* ackHold = nullptr;
  // Copy the write-ahead log into the database file on a thread of its own (WalCheckpointer)
  // instead of inside the commit thread's COMMIT (false: SQLite's default, to compare).
  bool backgroundCheckpoints = true;
};

class Server {
 public:
  // `city` provides the CURVE server key; it must outlive the server.
  Server(ServerOptions options, const common::Identity& city, const common::Clock& clock,
         Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the database, binds the socket and starts all threads. Errors name what to fix.
  common::Status start();
  // Stops accepting, drains what was admitted, joins all threads. Idempotent.
  void stop();
  // The bound endpoint (useful with tcp://127.0.0.1:* in tests).
  std::string endpoint() const { return endpoint_; }
  // True when the socket thread and the commit thread have both come round their loops within
  // `maxSilenceMs` of `monotonicNowMs` (each does at least every 100 ms when idle). What
  // `serve` asks before telling systemd's watchdog that the broker is alive. Any thread.
  bool isResponsive(int64_t monotonicNowMs, int64_t maxSilenceMs) const;

 private:
  void socketLoop(std::shared_ptr<zmq::socket_t> router);
  void zapLoop(std::shared_ptr<zmq::socket_t> zap);
  // Answers one ZAP request (`parts` as received) on `zap`.
  void answerZap(zmq::socket_t& zap, const std::vector<zmq::message_t>& parts);
  void verifyLoop(size_t index);
  void commitLoop(std::unique_ptr<Store> store);
  // Frames read in one burst of the socket thread, handed on in one push per queue.
  struct Burst {
    std::vector<WorkItem> toCommit;
    std::vector<std::vector<InboundFrame>> toVerify;  // one per verify thread
  };
  void dispatch(InboundFrame&& frame, Burst& burst);
  void flush(Burst& burst);
  // Admits a single envelope or a batch (one item per report) onto `out`.
  void admitInto(InboundFrame&& frame, std::vector<WorkItem>& out);

  ServerOptions options_;
  const common::Identity& city_;
  const common::Clock& clock_;
  Metrics& metrics_;
  std::unique_ptr<RosterCache> roster_;
  std::unique_ptr<Ingress> ingress_;
  zmq::context_t context_;
  std::string endpoint_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> socketBeatMs_{0};  // monotonic time of the last round of each loop
  std::atomic<int64_t> commitBeatMs_{0};
  std::vector<std::unique_ptr<WorkQueue<InboundFrame>>> verifyQueues_;
  WorkQueue<WorkItem> commitQueue_;
  std::thread socketThread_;
  std::thread zapThread_;
  std::vector<std::thread> verifyThreads_;
  std::thread commitThread_;
  std::unique_ptr<WalCheckpointer> walCheckpointer_;  // null: SQLite's own checkpoints
  bool started_ = false;
};

}  // namespace samband::broker
