// Replication: a broker's part in a city's pair (or more) of brokers (docs/replication.md).
// Owns the replication port's ZeroMQ context, the Responder (peers pull from us), one Puller
// per configured peer (we pull from them), what we know of the peers' progress, and, with
// `ack = "peer"`, the AckHold the ingest server passes its acks through. Built by `serve`.
#pragma once

#include <memory>
#include <vector>
#include <zmq.hpp>

#include "broker/metrics/metrics.h"
#include "broker/replication/peer_ack.h"
#include "broker/replication/peer_progress.h"
#include "broker/replication/puller.h"
#include "broker/replication/replication_options.h"
#include "broker/replication/responder.h"
#include "common/clock.h"
#include "common/identity.h"

namespace samband::broker {

class Replication {
 public:
  // Everything must outlive this object.
  Replication(ReplicationOptions options, const std::string& databasePath,
              const common::Identity& city, bool checkpoints, const common::Clock& clock,
              Metrics& metrics);
  ~Replication();
  Replication(const Replication&) = delete;
  Replication& operator=(const Replication&) = delete;

  // The hook for ServerOptions::ackHold: null unless ack = "peer" with a peer configured.
  // Valid before start(); used by the server's commit thread.
  AckHold* ackHold();
  // Binds the replication port and starts pulling. Errors name the key to fix.
  common::Status start();
  void stop();

 private:
  ReplicationOptions options_;
  std::string databasePath_;
  const common::Identity& city_;
  bool checkpoints_;
  const common::Clock& clock_;
  Metrics& metrics_;
  zmq::context_t context_;
  PeerProgress progress_;
  std::unique_ptr<PeerAckHold> hold_;
  std::unique_ptr<Responder> responder_;
  std::vector<std::unique_ptr<Puller>> pullers_;
};

}  // namespace samband::broker
