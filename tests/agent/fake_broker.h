// FakeBroker: just enough of the broker for the agent's tests — a ROUTER socket as CURVE server
// with the city's key, a ZAP handler admitting the keys it was told to, the chain rule of
// docs/protocol.md (store seq = head+1 with prevHash = hash of head; duplicates re-acked;
// replays and gaps refused with the head), and knobs to misbehave. Runs on its own threads
// with its own zmq context; every public call is thread-safe.
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/bytes.h"
#include "common/identity.h"
#include "common/messages.h"

namespace samband::agent::test {

class FakeBroker {
 public:
  struct Frame {
    uint64_t seq = 0;
    std::string kind;
    std::string unit;
    int64_t sentAt = 0;
    common::Bytes body;
  };

  // Binds `bindEndpoint` (a free port on 127.0.0.1 by default; pass an old endpoint() to
  // restart on the same port). `city` must outlive the broker.
  explicit FakeBroker(const common::Identity& city,
                      const std::string& bindEndpoint = "tcp://127.0.0.1:*");
  ~FakeBroker();
  FakeBroker(const FakeBroker&) = delete;
  FakeBroker& operator=(const FakeBroker&) = delete;

  const std::string& endpoint() const { return endpoint_; }

  // Admits this agent's CURVE key at the handshake and verifies its signatures.
  void allow(const common::PublicIdentity& agent);
  void setDropAcks(bool drop);
  // Issue 16: answer batch frames as a broker older than batches does (malformed, no seq).
  void setRefuseBatches(bool refuse);
  size_t batchesReceived() const;
  // Pretends the chain for the agent already stands at (seq, hash).
  void setHead(uint64_t seq, const common::Bytes& hash);
  void refuseUnit(const std::string& unit);
  // Heartbeat replies carry `envelope` as the city's time beacon (empty, the default: none, as
  // a broker withholding the city's word would answer).
  void setBeacon(const common::Bytes& envelope);
  // Sends a `city { envelope }` downlink to the agent that spoke last.
  // Sends any downlink to the last connected peer (queued until there is one).
  void sendDownlink(const common::Downlink& downlink);
  void sendCity(const common::Bytes& envelope);

  std::vector<Frame> stored() const;
  std::vector<uint64_t> arrivals() const;  // seq of every non-heartbeat frame, as it arrived
  size_t heartbeats() const;
  // Every heartbeat so far (across the agent's restarts) carried a counter above the one before.
  bool heartbeatsStrictlyIncreasing() const;
  uint64_t headSeq() const;
  size_t zapRefusals() const;
  size_t rejectsSent() const;

 private:
  void serve();
  void serveZap();
  void handle(const zmq::message_t& routingId, const zmq::message_t& frame);
  // One body, from an envelope or a batch; `verified` checks its signature under the sender.
  void handleBody(const zmq::message_t& routingId, const common::Bytes& bodyBytes,
                  const common::Message& body,
                  const std::function<bool(const common::PublicIdentity&)>& verified);
  void reply(const zmq::message_t& routingId, const common::Downlink& downlink);

  const common::Identity& city_;
  zmq::context_t context_;
  zmq::socket_t zap_;
  zmq::socket_t router_;
  std::string endpoint_;
  std::atomic<bool> stop_{false};
  std::thread serveThread_;
  std::thread zapThread_;

  mutable std::mutex mutex_;
  std::map<std::string, common::PublicIdentity> allowedByCurve_;  // hex curve key -> agent
  bool dropAcks_ = false;
  bool refuseBatches_ = false;
  size_t batches_ = 0;
  uint64_t head_ = 0;
  common::Bytes headHash_;
  std::map<uint64_t, Frame> chain_;
  std::set<std::string> refusedUnits_;
  common::Bytes beacon_;
  std::vector<Frame> storedOrder_;
  std::vector<uint64_t> arrivals_;
  std::vector<int64_t> heartbeatTimes_;
  std::vector<uint64_t> heartbeatCounters_;
  size_t zapRefusals_ = 0;
  size_t rejects_ = 0;
  std::vector<common::Downlink> cityQueue_;  // sent to the last peer as soon as there is one
  std::string lastPeer_;
};

}  // namespace samband::agent::test
