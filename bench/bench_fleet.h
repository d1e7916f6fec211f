// The signed-envelope senders the load benchmarks share (ingest_bench, board_bench): a simulated
// city's providers as enrolled agents with real keys, each with a chain of unit-status reports
// signed up front; a real broker prepared and started as a child process; and a Driver that sends
// those chains over real CURVE connections (one DEALER per agent) paced or at saturation.
// Benchmark code only; nothing here is used by the broker or the agent.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "bench/bench_process.h"
#include "common/bytes.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tools/city_model.h"

namespace samband::bench {

inline constexpr int64_t kMaxMessageBytes = 1024 * 1024;

// One simulated agent. The identity itself is dropped once everything is signed: each Identity
// holds its secrets in sodium_malloc'd guarded pages (three memory mappings each), and 10,000 of
// them would exceed vm.max_map_count. A simulated agent keeps only what its socket needs; the
// keys are throwaway.
struct BenchAgent {
  std::string id;  // provider id
  std::string name;
  std::vector<std::string> units;
  common::PublicKey signPublic{};
  common::PublicKey curvePublic{};
  std::array<uint8_t, 32> curveSecret{};
  common::EnrollRequest enrollRequest;  // signed by the agent's own key
  common::Bytes heartbeat;              // a signed heartbeat envelope (seq 0)
  std::vector<common::Bytes> chain;     // envelopes of seq 1, 2, ...
  // Issue 16: chain[batchStart + g * batchSize ...] signed as batch frames g = 0, 1, ...
  size_t batchStart = 0;
  size_t batchSize = 0;  // 0 or 1: no batches
  std::vector<common::Bytes> batches;
};

struct Fleet {
  tools::City city;  // providers[i] is agents[i]
  std::vector<BenchAgent> agents;
  size_t frames = 0;
  size_t envelopeBytes = 0;  // sum over all frames
  size_t bodyBytes = 0;
  double signSeconds = 0;
};

struct FleetOptions {
  int providers = 50;
  int units = 150;       // at least `providers`
  size_t reports = 100;  // per agent
  uint64_t seed = 1;
  size_t targetBodyBytes = 500;  // notes padded to about this; 0: as the model makes them
  size_t batchSize = 0;          // reports per signed batch from batchStart on; 0, 1: none
  size_t batchStart = 0;
  // A provider with more units is enrolled as several (the city's own schools: one enrolment
  // record names at most common::kMaxEnrolmentUnits); 0: never split.
  size_t maxUnitsPerAgent = 0;
};

// A Stockholm-like city (the city model's realistic names, codes and unit reports), one agent per
// provider, each with `reports` unit-status reports signed as its chain (each one about the next
// of its units in turn, the model drifting their state). Exits on a city it cannot generate.
Fleet makeFleet(const FleetOptions& options);
// The same with `providers * unitsPerProvider` units (ingest_bench's form).
Fleet makeFleet(int k, int unitsPerProvider, size_t reports, uint64_t seed,
                size_t targetBodyBytes = 500, size_t batchSize = 0, size_t batchStart = 0);

// A broker under test: a fresh directory made by `samband-broker init`, the fleet enrolled
// straight into its database (RosterStore::enroll with the agents' own signed requests: the real
// enrollment path minus the request file), and `samband-broker serve` as a child process.
struct BrokerUnderTest {
  std::string dir;
  std::string config;
  std::string database;
  int port = 0;
  int boardPort = 0;
  common::PublicIdentity city;
  ChildProcess process;
};

// Runs `argv` to completion (30 s at most); true when it exited 0.
bool runToCompletion(const std::vector<std::string>& argv, const std::string& log);
// Replaces the line of broker.toml that starts with `from` (up to its end) by `to`; exits when
// there is no such line.
void replaceLine(std::string& text, const std::string& from, const std::string& to);
// init + config + enrolment; nullptr (with the reason on stderr) on failure. `batchDelayMs` and
// `batchMax` ([ingest] batch_max, frames per transaction) -1: as init writes them.
std::unique_ptr<BrokerUnderTest> prepareBroker(const std::string& brokerBin, const std::string& dir,
                                               int verifyThreads, const Fleet& fleet,
                                               int batchDelayMs = -1, bool checkpoints = true,
                                               int batchMax = -1);
// `serve`; true once the ingest socket or the board answers (10 s at most).
bool startBroker(BrokerUnderTest& b, const std::string& brokerBin);

// The client side: one DEALER per agent, all driven from one thread with one zmq::poll, the way
// the simulator drives its fleet. Each agent keeps at most `window` reports unacknowledged. Not
// thread-safe: one thread constructs and drives it.
struct Link {
  std::unique_ptr<zmq::socket_t> socket;
  size_t next = 0;   // index into chain of the next frame to send
  size_t acked = 0;  // frames acknowledged (= highest acked seq)
  size_t limit = 0;  // frames this phase may send (exclusive index)
  std::vector<int64_t> sentNs;
  bool gotHead = false;
};

struct Counters {
  uint64_t acks = 0;
  uint64_t duplicates = 0;
  uint64_t rejects = 0;
  std::map<std::string, uint64_t> rejectReasons;
  int64_t lastAckNs = 0;
};

class Driver {
 public:
  Driver(zmq::context_t& context, Fleet& fleet, const BrokerUnderTest& broker, int window);

  // Sends one heartbeat per agent and waits for every `head` answer: all sessions are then
  // authenticated (CURVE + ZAP) and the broker knows every key.
  bool connectAll(int timeoutMs);

  // Light load: `rate` reports per second in total, round robin over the agents, `perAgent`
  // each; then waits for the last ack. Returns the send-to-ack latencies (ns). Ends early when
  // `stop` (if given) becomes true. Between sends it waits at least `minWaitMs` (then sends what
  // fell due meanwhile): 0 sends each report at its time, 5 keeps a 1,000/s sender from spinning.
  std::vector<int64_t> paced(double rate, size_t perAgent, int timeoutMs,
                             const std::atomic<bool>* stop = nullptr, int minWaitMs = 0);

  // Saturation: every agent sends the rest of its chain keeping `window` unacknowledged.
  std::vector<int64_t> saturate(int timeoutMs, int64_t* startNs);

  uint64_t acksTotal() const { return counters_.acks; }
  uint64_t batchesSent() const { return batchesSent_; }
  const Counters& counters() const { return counters_; }
  std::vector<size_t> sentPerAgent() const;
  size_t sentTotal() const;

 private:
  size_t groupAt(const Link& l) const;
  void sendNext(Link& l);
  void topUp(Link& l);
  template <typename OnReadable>
  void pollOnce(int timeoutMs, OnReadable&& onReadable);
  void handle(Link& l, const zmq::message_t& msg);

  Fleet& fleet_;
  size_t window_;
  std::vector<Link> links_;
  std::vector<zmq::pollitem_t> items_;
  std::vector<int64_t> samples_;
  Counters counters_;
  uint64_t batchesSent_ = 0;
};

}  // namespace samband::bench
