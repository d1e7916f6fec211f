// The DEALER socket, its monitor, and reconnection with backoff.
#include "agent/link.h"

#include <zmq.h>

#include <climits>
#include <cstring>

#include "common/log.h"

namespace samband::agent {

namespace {

constexpr int kMonitoredEvents =
    ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_CLOSED | ZMQ_EVENT_DISCONNECTED |
    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
constexpr int64_t kMaxMessageBytes = 1024 * 1024;
// Frames drained per onReadable, so one busy link cannot starve the others in a simulator.
constexpr int kMaxFramesPerRead = 1000;

}  // namespace

const char* linkFailureName(LinkFailure failure) {
  switch (failure) {
    case LinkFailure::unreachable:
      return "unreachable";
    case LinkFailure::handshakeRefused:
      return "handshake_refused";
    case LinkFailure::handshakeFailed:
      return "handshake_failed";
    case LinkFailure::lost:
      return "lost";
  }
  return "unknown";
}

Link::Link(zmq::context_t& context, LinkSettings settings, LinkListener& listener, uint64_t seed)
    : context_(context),
      settings_(std::move(settings)),
      listener_(listener),
      backoff_(settings_.reconnectMinMs, settings_.reconnectMaxMs, seed),
      rng_(seed ^ 0x9e3779b97f4a7c15ULL) {}

Link::~Link() { close(); }

std::array<zmq::pollitem_t, Link::kPollItems> Link::pollItems() {
  std::array<zmq::pollitem_t, kPollItems> items{};
  for (auto& item : items) {
    item.socket = nullptr;
    item.fd = -1;  // poll() ignores negative descriptors
    item.events = 0;
    item.revents = 0;
  }
  if (socket_) items[0] = {socket_->handle(), 0, ZMQ_POLLIN, 0};
  if (monitor_) items[1] = {monitor_->handle(), 0, ZMQ_POLLIN, 0};
  return items;
}

void Link::open(int64_t nowMs) {
  try {
    auto socket = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    socket->set(zmq::sockopt::linger, 0);
    socket->set(zmq::sockopt::immediate, 1);
    socket->set(zmq::sockopt::maxmsgsize, kMaxMessageBytes);
    socket->set(zmq::sockopt::sndhwm, settings_.sendHighWater);
    socket->set(zmq::sockopt::rcvhwm, settings_.sendHighWater);
    socket->set(zmq::sockopt::curve_serverkey,
                zmq::const_buffer(settings_.serverKey.data(), settings_.serverKey.size()));
    socket->set(zmq::sockopt::curve_publickey,
                zmq::const_buffer(settings_.clientPublic.data(), settings_.clientPublic.size()));
    socket->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(settings_.clientSecret, 32));
    // We reconnect ourselves (with jitter); keep libzmq's own retry out of the way.
    socket->set(zmq::sockopt::reconnect_ivl, static_cast<int>(settings_.reconnectMaxMs));
    socket->set(zmq::sockopt::handshake_ivl, static_cast<int>(settings_.handshakeTimeoutMs));
    socket->set(zmq::sockopt::connect_timeout, static_cast<int>(settings_.handshakeTimeoutMs));
    socket->set(zmq::sockopt::heartbeat_ivl, static_cast<int>(settings_.keepaliveMs));
    socket->set(zmq::sockopt::heartbeat_timeout, static_cast<int>(settings_.keepaliveTimeoutMs));
    socket->set(zmq::sockopt::tcp_keepalive, 1);

    // A fresh, unguessable inproc name per socket: a closed monitor's name may linger briefly.
    char name[80];
    std::snprintf(name, sizeof name, "inproc://samband-link-monitor-%016llx",
                  static_cast<unsigned long long>(rng_()));
    if (zmq_socket_monitor(socket->handle(), name, kMonitoredEvents) != 0) {
      throw zmq::error_t();
    }
    auto monitor = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::pair);
    monitor->set(zmq::sockopt::linger, 0);
    monitor->connect(name);
    socket->connect(settings_.endpoint);
    socket_ = std::move(socket);
    monitor_ = std::move(monitor);
    state_ = State::connecting;
    tcpConnected_ = false;
    attemptDeadlineMs_ = nowMs + settings_.handshakeTimeoutMs;
  } catch (const zmq::error_t& e) {
    close();
    fail(nowMs, LinkFailure::unreachable,
         std::string("cannot open a connection to ") + settings_.endpoint + ": " + e.what());
  }
}

void Link::close() {
  if (socket_) zmq_socket_monitor(socket_->handle(), nullptr, 0);
  monitor_.reset();
  socket_.reset();
  tcpConnected_ = false;
}

void Link::fail(int64_t nowMs, LinkFailure failure, const std::string& detail) {
  close();
  if (state_ == State::stopped) return;
  state_ = State::waiting;
  nextAttemptMs_ = nowMs + backoff_.nextDelayMs();
  listener_.onLinkDown(nowMs, failure, detail);
}

void Link::stop() {
  close();
  state_ = State::stopped;
}

void Link::onTimer(int64_t nowMs) {
  if (state_ == State::waiting && nowMs >= nextAttemptMs_) {
    open(nowMs);
  } else if (state_ == State::connecting && nowMs >= attemptDeadlineMs_) {
    fail(nowMs, tcpConnected_ ? LinkFailure::handshakeFailed : LinkFailure::unreachable,
         "no answer within " + std::to_string(settings_.handshakeTimeoutMs) + " ms");
  }
}

int64_t Link::nextWakeMs() const {
  switch (state_) {
    case State::waiting:
      return nextAttemptMs_;
    case State::connecting:
      return attemptDeadlineMs_;
    default:
      return INT64_MAX;
  }
}

void Link::handleEvent(uint16_t event, int32_t value, int64_t nowMs) {
  switch (event) {
    case ZMQ_EVENT_CONNECTED:
      tcpConnected_ = true;
      break;
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
      if (state_ == State::connecting) {
        state_ = State::connected;
        backoff_.reset();
        listener_.onLinkUp(nowMs);
      }
      break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      fail(nowMs, LinkFailure::handshakeRefused, "ZAP status " + std::to_string(value));
      break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      fail(nowMs, LinkFailure::handshakeFailed,
           "CURVE handshake failed (code " + std::to_string(value) + ")");
      break;
    case ZMQ_EVENT_DISCONNECTED:
      if (state_ == State::connected) {
        fail(nowMs, LinkFailure::lost, "connection closed");
      } else {
        fail(nowMs, tcpConnected_ ? LinkFailure::handshakeFailed : LinkFailure::unreachable,
             "connection closed during the handshake");
      }
      break;
    case ZMQ_EVENT_CLOSED:
    case ZMQ_EVENT_CONNECT_RETRIED:
      if (state_ == State::connecting && !tcpConnected_) {
        fail(nowMs, LinkFailure::unreachable, "connection refused or unreachable");
      }
      break;
    default:
      break;
  }
}

void Link::onReadable(int64_t nowMs) {
  // Monitor first, so a frame that arrives with the handshake finds the link up.
  while (monitor_) {
    zmq::message_t head;
    auto got = monitor_->recv(head, zmq::recv_flags::dontwait);
    if (!got) break;
    uint16_t event = 0;
    int32_t value = 0;
    if (head.size() >= 6) {
      std::memcpy(&event, head.data(), 2);
      std::memcpy(&value, static_cast<const uint8_t*>(head.data()) + 2, 4);
    }
    while (head.more()) {  // the endpoint address part
      zmq::message_t part;
      if (!monitor_->recv(part, zmq::recv_flags::dontwait)) break;
      head = std::move(part);
    }
    handleEvent(event, value, nowMs);  // may close the sockets
  }
  for (int n = 0; socket_ && n < kMaxFramesPerRead; ++n) {
    zmq::message_t msg;
    zmq::recv_result_t got;
    try {
      got = socket_->recv(msg, zmq::recv_flags::dontwait);
    } catch (const zmq::error_t& e) {
      common::logWarn("link", std::string("receive failed: ") + e.what());
      break;
    }
    if (!got) break;
    bool multipart = msg.more();
    while (msg.more()) {  // the protocol is one part per message; drop the rest
      zmq::message_t rest;
      if (!socket_->recv(rest, zmq::recv_flags::dontwait)) break;
      msg = std::move(rest);
    }
    if (multipart) continue;
    listener_.onLinkFrame(static_cast<const uint8_t*>(msg.data()), msg.size(), nowMs);
  }
}

Link::SendResult Link::send(const common::Bytes& frame) {
  if (state_ != State::connected || !socket_) return SendResult::notConnected;
  try {
    auto sent = socket_->send(zmq::buffer(frame.data(), frame.size()), zmq::send_flags::dontwait);
    return sent ? SendResult::sent : SendResult::wouldBlock;
  } catch (const zmq::error_t&) {
    return SendResult::wouldBlock;
  }
}

}  // namespace samband::agent
