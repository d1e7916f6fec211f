// CurveRouter: a ROUTER socket that is a CURVE server, with a ZAP handler (RFC 27) admitting
// only the client keys a caller-given rule names. Shared by the replication port (Responder:
// configured peers) and an upstream's city port (RollupServer: enrolled cities). It owns the ZAP
// socket and thread; the owner's serve thread owns the ROUTER socket once bind() returned.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

struct CurveRouterOptions {
  std::string listen;           // endpoint to bind
  std::string listenKey;        // the config key naming `listen`, for the error when bind fails
  std::string what;             // who connects, for messages ("peer brokers", "cities")
  std::string zapDomain;        // ZMQ_ZAP_DOMAIN
  int64_t maxMessageBytes = 0;  // ZMQ_MAXMSGSIZE
  std::string logArea;          // log area ("replication", "rollup")
  std::string refusedText;      // logged (rate-limited) when a key is refused: what to do next
};

class CurveRouter {
 public:
  // The ZAP user id for a client's 32-byte CURVE public key, nullopt to refuse it. Called on the
  // ZAP thread only (it may keep its own database connection).
  using Admit = std::function<std::optional<std::string>(const common::Bytes& clientKey)>;

  // `context` and `serverSecret` (32 bytes) must outlive the router. One CurveRouter per
  // context: the ZAP endpoint is the context's inproc://zeromq.zap.01.
  CurveRouter(zmq::context_t& context, CurveRouterOptions options, const uint8_t* serverSecret,
              Admit admit);
  ~CurveRouter();
  CurveRouter(const CurveRouter&) = delete;
  CurveRouter& operator=(const CurveRouter&) = delete;

  // Binds the ZAP handler and the ROUTER and starts the ZAP thread. Errors: unavailable, naming
  // the config key to change.
  common::Status bind();
  // Stops the ZAP thread and closes both sockets. The serve thread must have stopped using
  // socket() first.
  void stop();

  zmq::socket_t& socket() { return *router_; }
  std::string endpoint() const { return endpoint_; }

 private:
  void zapLoop();

  zmq::context_t& context_;
  CurveRouterOptions options_;
  const uint8_t* serverSecret_;
  Admit admit_;
  std::unique_ptr<zmq::socket_t> router_;
  std::unique_ptr<zmq::socket_t> zap_;
  std::string endpoint_;
  std::atomic<bool> stopping_{false};
  std::thread zapThread_;
};

// The user id a ZAP handler set on a connection, read from any message part it delivered
// (empty when none).
std::string zapUserId(zmq::message_t& part);

}  // namespace samband::broker
