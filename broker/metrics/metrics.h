// Metrics: lock-free counters the ingest threads bump and the board's /metrics reads.
// Owned by main(); shared by reference. Counters only grow (Prometheus counters) except gauges.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "common/vocabulary.h"

namespace samband::broker {

inline constexpr size_t kRejectReasons = common::kRejectReasonCount;
inline constexpr uint32_t kVerifySampleEvery = 64;
// Upper bounds (ms) of the commit-latency histogram buckets; the last bucket is +Inf.
inline constexpr std::array<int64_t, 8> kLatencyBucketsMs{1, 2, 5, 10, 25, 50, 100, 500};

struct Metrics {
  std::atomic<uint64_t> framesReceived{0};
  std::atomic<uint64_t> framesAccepted{0};  // stored in the archive
  std::atomic<uint64_t> duplicates{0};      // re-acknowledged, not stored again
  std::atomic<uint64_t> heartbeats{0};
  std::atomic<uint64_t> batchesStored{0};  // signed batch envelopes stored (issue 16)
  std::array<std::atomic<uint64_t>, kRejectReasons> rejected{};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> batchFrames{0};  // sum of batch sizes
  std::atomic<uint64_t> commitFailures{0};
  std::array<std::atomic<uint64_t>, kLatencyBucketsMs.size() + 1> commitLatency{};
  std::atomic<uint64_t> commitLatencySumMs{0};
  // Every kVerifySampleEvery-th signature check on each thread is timed (thread CPU time): the
  // rate crypto_sign_verify_detached actually runs at inside the broker, under its load.
  std::atomic<uint64_t> verifySamples{0};
  std::atomic<uint64_t> verifySampleNanos{0};
  std::atomic<int64_t> connectedAgents{0};  // gauge: open connections on the agent port
  std::atomic<uint64_t> handshakes{0};      // CURVE handshakes completed
  std::atomic<int64_t> sseClients{0};       // gauge
  // Replication with peer brokers (broker/replication, docs/replication.md).
  std::atomic<int64_t> replicationPeers{0};          // gauge: peers configured (0: none)
  std::atomic<int64_t> replicationBehindFrames{-1};  // gauge: frames the peer lacks (-1: unknown)
  std::atomic<int64_t> replicationLastContactMs{0};  // gauge: broker clock of the peer's last pull
  std::atomic<uint64_t> replicationPulled{0};        // frames stored from peers
  std::array<std::atomic<uint64_t>, kRejectReasons> replicationRefused{};  // by reason
  std::atomic<int64_t> replicationAcksHeld{0};  // gauge: acks waiting for the peer's commit
  // Relaying upward to a county or national broker (broker/replication/upstream_relay.h).
  std::atomic<int64_t> upstreamConfigured{0};      // gauge: 1 when [upstream] broker is set
  std::atomic<int64_t> upstreamConnected{0};       // gauge: 1 while the upstream pulls
  std::atomic<uint64_t> upstreamFramesRelayed{0};  // frames sent in answers to its pulls
  std::atomic<int64_t> upstreamBehindFrames{-1};   // gauge: frames left after the last answer
  std::atomic<int64_t> upstreamLastPullMs{0};      // gauge: broker clock of its last pull (0: none)

  void observeCommit(int64_t ms, size_t frames) {
    batches++;
    batchFrames += frames;
    commitLatencySumMs += static_cast<uint64_t>(ms < 0 ? 0 : ms);
    size_t i = 0;
    while (i < kLatencyBucketsMs.size() && ms > kLatencyBucketsMs[i]) ++i;
    commitLatency[i]++;
  }
};

}  // namespace samband::broker
