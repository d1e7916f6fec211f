// Fleet: many agents in one process. Owns one AgentSession per provider and drives them all
// from the calling thread with one zmq::poll, following the driver contract in agent/session.h.
// This is what lets the simulator (and the benchmarks) run a whole city of agents, each with its
// own identity, outbox and CURVE connection, without a thread per agent. Like `samband-agent
// run`, each agent answers readiness checks and applies city directives (agent/city_actions.h).
//
// Threads: everything, construction included, happens on one thread.
#pragma once

#include <zmq.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/city_actions.h"
#include "agent/outbox.h"
#include "agent/session.h"
#include "common/clock.h"
#include "common/result.h"

namespace samband::tools {

struct FleetTotals {
  size_t agents = 0;
  size_t connected = 0;
  uint64_t queued = 0;   // messages signed into the outboxes since the fleet opened
  uint64_t pending = 0;  // messages in the outboxes not yet acknowledged (older ones included)
  uint64_t acked = 0;    // messages the broker acknowledged since the fleet opened
  uint64_t deadLetters = 0;
  uint64_t rejects = 0;
};

class Fleet {
 public:
  // Opens one session per config, in that order (agent `i` is configs[i]). Each agent is
  // locked as `samband-agent run` locks it (an flock on <outbox>.lock), so no other run drives
  // it meanwhile. `context` and `clock` must outlive the fleet; the context must allow about four
  // sockets per agent (zmq::ctxopt::max_sockets; libzmq's default is 1023) and the process a
  // handful of descriptors per agent. Errors name the agent that failed
  // (invalidInput when another run holds its lock).
  static common::Result<std::unique_ptr<Fleet>> open(zmq::context_t& context,
                                                     const std::vector<agent::AgentConfig>& configs,
                                                     const common::Clock& clock, uint64_t seed);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // One round of the driver loop: polls every session's sockets until something is readable,
  // a session's timer is due, or `untilMs` (monotonic) at the latest; then lets each session
  // handle what is due. Returns early on a signal.
  void pollOnce(int64_t untilMs);

  // Queues `drafts` in agent `index`'s outbox (one transaction) and sends them when connected.
  common::Status queue(size_t index, const std::vector<agent::OutboxDraft>& drafts, int64_t nowMs);

  size_t size() const { return sessions_.size(); }
  agent::AgentSession& session(size_t index) { return *sessions_[index]; }
  // Reads the outboxes (one small query per agent).
  FleetTotals totals();
  // Closes every link and records a clean stop in each outbox.
  void shutdown();

 private:
  Fleet() = default;

  std::vector<int> lockFds_;        // released after the sessions are gone
  agent::CityActions cityActions_;  // stateless; serves every session; outlives them
  std::vector<std::unique_ptr<agent::AgentSession>> sessions_;
  std::vector<uint64_t> headAtOpen_;
  std::vector<uint64_t> ackedAtOpen_;
  std::vector<zmq::pollitem_t> items_;
  std::vector<size_t> owners_;
};

}  // namespace samband::tools
