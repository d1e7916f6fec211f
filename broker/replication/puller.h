// Puller: pulls from one peer broker every frame this broker lacks and admits each through the
// same gate as an agent's frame (Ingress, channel `peer`) and the same Committer (chain rule,
// projection, checkpoint), on its own database connection. One thread owns its DEALER socket
// (CURVE client: the peer's transport key as server key, this broker's as client key).
//
// States (docs/replication.md): asking (a pull is out, waiting up to the peer's hold plus the
// answer timeout) -> applying (an answer came: admit, commit, count) -> asking; asking ->
// backing off (no answer: the socket is dropped and made anew after a pause) -> asking.
// A chain whose frame the gate refused is left out of the next pulls for a while (`skip`), so a
// peer serving a forged frame cannot starve the other chains; replication goes on.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "broker/metrics/metrics.h"
#include "broker/replication/replication_options.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::broker {

class Puller {
 public:
  // Everything must outlive the puller. `checkpoints`: sign a checkpoint per committed batch,
  // as `serve` does for agents' frames.
  Puller(zmq::context_t& context, const ReplicationOptions& options, ReplicationPeer peer,
         const std::string& databasePath, const common::Identity& city, bool checkpoints,
         const common::Clock& clock, Metrics& metrics);
  ~Puller();
  Puller(const Puller&) = delete;
  Puller& operator=(const Puller&) = delete;

  void start();
  void stop();

 private:
  void run();

  zmq::context_t& context_;
  const ReplicationOptions& options_;
  ReplicationPeer peer_;
  std::string databasePath_;
  const common::Identity& city_;
  bool checkpoints_;
  const common::Clock& clock_;
  Metrics& metrics_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace samband::broker
