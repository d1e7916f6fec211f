// UpstreamRelay: a city broker's side of the roll-up (docs/rollup.md). One thread owns a DEALER
// socket to the upstream broker (CURVE client: the upstream's transport key as server key, this
// broker's city transport key as client key), says hello, and answers the upstream's pulls with
// the frames it relays upward (isRelayedUpward) exactly as their senders signed them, beyond the
// heads the upstream names, plus a liveness summary signed by the city key. The upstream's heads
// are what it has stored, so relaying resumes where it stopped after a restart of either side.
// Every broker of a city may relay (a primary and its standby, each with its own certified key):
// the upstream deduplicates by (sender, key, seq). Its state goes to Metrics (/metrics).
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "broker/metrics/metrics.h"
#include "broker/replication/rollup_options.h"
#include "common/clock.h"
#include "common/identity.h"

namespace samband::broker {

class UpstreamRelay {
 public:
  // Everything must outlive the relay.
  UpstreamRelay(const UpstreamOptions& options, const std::string& databasePath,
                const common::Identity& city, const common::Clock& clock, Metrics& metrics);
  ~UpstreamRelay();
  UpstreamRelay(const UpstreamRelay&) = delete;
  UpstreamRelay& operator=(const UpstreamRelay&) = delete;

  void start();
  void stop();

 private:
  void run();

  UpstreamOptions options_;
  std::string databasePath_;
  const common::Identity& city_;
  const common::Clock& clock_;
  Metrics& metrics_;
  zmq::context_t context_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace samband::broker
