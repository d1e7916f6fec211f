// Helpers for the agent tests: an initialised agent directory with its city, driving an
// AgentSession until a condition holds, and the real binary. Temporary directories, waiting and
// processes come from the shared test-support library (tests/support).
#pragma once

#include <zmq.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/session.h"
#include "common/identity.h"
#include "common/messages.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace samband::agent::test {

// The shared test-support library's TempDir and waitUntil (tests/support), under the names the
// agent tests have always used.
using samband::testing::TempDir;
using samband::testing::waitUntil;

// A city identity (with city.pub written into `dir`) and an agent directory `dir`/agent made by
// initAgentDirectory for provider 556677-8899 with units 12345678 and 87654321.
struct AgentFixture {
  std::unique_ptr<common::Identity> city;
  std::string cityPubPath;
  std::string agentDir;
  AgentConfig config;                // loaded from agent.toml, then given test timings
  common::PublicIdentity agentKeys;  // from the enrollment request
};
AgentFixture makeAgent(const std::string& dir, const std::string& endpoint);

// Small timings so tests finish fast: 200 ms heartbeats, 400 ms ack timeout, 50–400 ms backoff.
void useFastTimings(AgentConfig* config);

// Drives `session` (zmq poll + onReadable + onTimer) until `done` returns true or `timeoutMs`
// passes. Returns done().
bool driveUntil(AgentSession& session, const std::function<bool()>& done, int64_t timeoutMs);

// Signs city messages as the broker's city chain does: seq counts up from 1 and each body
// names the hash of the one before. A message signed by another key (a forgery) takes the next
// seq too, so a test can interleave genuine and forged ones.
class CityChainWriter {
 public:
  common::Bytes next(const common::Identity& signer, common::Payload payload, common::Mode mode,
                     int64_t sentAtMs);

 private:
  uint64_t seq_ = 0;
  common::Bytes prevHash_;
};

// The samband-agent binary under test.
std::string agentBinary();

}  // namespace samband::agent::test
