// Link: the agent's DEALER socket to the broker (CurveZMQ client) with its socket monitor and
// the reconnect policy. libzmq gives up on a connection whose handshake failed, and its own
// reconnect has no jitter, so the Link owns reconnection: on any failure it closes the socket
// and opens a fresh one after a jittered exponential backoff (agent/backoff.h).
//
// Threads: a Link and its sockets belong to the thread that drives it (pollItems, onReadable,
// onTimer, send). Nothing blocks: the caller polls pollItems() and calls onReadable when any is
// readable, and onTimer at nextWakeMs(). Times are monotonic milliseconds (common::monotonicMs).
#pragma once

#include <zmq.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "agent/backoff.h"
#include "common/bytes.h"
#include "common/identity.h"

namespace samband::agent {

enum class LinkFailure {
  unreachable,       // no TCP connection (refused, timed out, bad address)
  handshakeRefused,  // the broker's ZAP handler refused our CURVE key (not enrolled or revoked)
  handshakeFailed,   // TCP connected but no CURVE handshake (wrong pinned city key, not a broker)
  lost,              // an established connection went away
};
const char* linkFailureName(LinkFailure failure);

// What the Link reports to its owner. Callbacks run inside onReadable/onTimer on the driving
// thread; they may call Link::send but must not destroy the Link.
class LinkListener {
 public:
  virtual ~LinkListener() = default;
  virtual void onLinkUp(int64_t nowMs) = 0;
  virtual void onLinkDown(int64_t nowMs, LinkFailure failure, const std::string& detail) = 0;
  // One downlink frame (untrusted bytes; the CURVE session only says it came from the broker).
  virtual void onLinkFrame(const uint8_t* data, size_t size, int64_t nowMs) = 0;
};

struct LinkSettings {
  std::string endpoint;
  common::PublicKey serverKey{};  // the city's X25519 public key, pinned
  common::PublicKey clientPublic{};
  const uint8_t* clientSecret = nullptr;  // 32 bytes; must outlive the Link (common::Identity)
  int64_t reconnectMinMs = 200;
  int64_t reconnectMaxMs = 30000;
  int64_t handshakeTimeoutMs = 10000;  // TCP connect + CURVE handshake must finish within this
  int64_t keepaliveMs = 10000;         // ZMTP PING interval
  int64_t keepaliveTimeoutMs = 30000;  // a PING unanswered this long = connection lost
  int sendHighWater = 1000;
};

class Link {
 public:
  static constexpr size_t kPollItems = 2;
  enum class SendResult { sent, wouldBlock, notConnected };

  // Does not connect yet: the first attempt happens at the first onTimer.
  Link(zmq::context_t& context, LinkSettings settings, LinkListener& listener, uint64_t seed);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // The data socket and the monitor socket (null entries while no socket is open). Valid until
  // the next call into the Link.
  std::array<zmq::pollitem_t, kPollItems> pollItems();
  // Drains monitor events, then inbound frames, without blocking.
  void onReadable(int64_t nowMs);
  // Opens a socket when the backoff has elapsed; fails a handshake that takes too long.
  void onTimer(int64_t nowMs);
  // Monotonic time of the next thing onTimer has to do (INT64_MAX when nothing).
  int64_t nextWakeMs() const;

  // Queues one frame without blocking. wouldBlock when the high-water mark is reached.
  SendResult send(const common::Bytes& frame);
  bool isConnected() const { return state_ == State::connected; }
  // Closes the socket and stops reconnecting.
  void stop();
  // The first attempt happens no earlier than `atMs` (a jittered start after a failover).
  // Only before the first attempt.
  void delayFirstAttempt(int64_t atMs) {
    if (state_ == State::waiting) nextAttemptMs_ = atMs;
  }
  const std::string& endpoint() const { return settings_.endpoint; }

 private:
  enum class State { waiting, connecting, connected, stopped };
  void open(int64_t nowMs);
  void close();
  void fail(int64_t nowMs, LinkFailure failure, const std::string& detail);
  void handleEvent(uint16_t event, int32_t value, int64_t nowMs);

  zmq::context_t& context_;
  LinkSettings settings_;
  LinkListener& listener_;
  Backoff backoff_;
  std::mt19937_64 rng_;
  State state_ = State::waiting;
  int64_t nextAttemptMs_ = 0;
  int64_t attemptDeadlineMs_ = 0;
  bool tcpConnected_ = false;
  std::unique_ptr<zmq::socket_t> socket_;
  std::unique_ptr<zmq::socket_t> monitor_;
};

}  // namespace samband::agent
