// Responder: serves this broker's archive to its peer brokers. One thread owns a ROUTER socket
// (a CurveRouter: CURVE server with the city identity's transport key; its ZAP handler admits
// only the configured peers' keys) and answers pulls (pull_protocol.h): the envelopes beyond the
// puller's heads, per chain in seq order, bounded; a pull with nothing to send is held until new
// frames are committed or its wait ends. Each pull tells PeerProgress what the peer has
// committed; once a second the responder writes how far each peer is behind (replication_peers,
// Metrics) for `status`, the board and /metrics.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "broker/metrics/metrics.h"
#include "broker/replication/curve_router.h"
#include "broker/replication/peer_progress.h"
#include "broker/replication/replication_options.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::broker {

class Responder {
 public:
  // Everything must outlive the responder.
  Responder(zmq::context_t& context, const ReplicationOptions& options,
            const std::string& databasePath, const common::Identity& city,
            const common::Clock& clock, PeerProgress& progress, Metrics& metrics);
  ~Responder();
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Binds `options.listen` and starts the threads. Errors name the key to fix.
  common::Status start();
  void stop();
  std::string endpoint() const { return router_ ? router_->endpoint() : ""; }

 private:
  void serveLoop();

  zmq::context_t& context_;
  const ReplicationOptions& options_;
  std::string databasePath_;
  const common::Identity& city_;
  const common::Clock& clock_;
  PeerProgress& progress_;
  Metrics& metrics_;
  std::unique_ptr<CurveRouter> router_;
  std::atomic<bool> stopping_{false};
  std::thread serveThread_;
};

}  // namespace samband::broker
