// Helpers for the agent tests: temporary directories, an initialised agent directory with its
// city, driving an AgentSession until a condition holds, and running the real binary.
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

namespace samband::agent::test {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

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

// Waits (without a session) until `done` or the timeout, checking every few milliseconds.
bool waitUntil(const std::function<bool()>& done, int64_t timeoutMs);

struct ProcessResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};
// Runs a program to completion (stdin closed), capturing stdout and stderr.
ProcessResult runProcess(const std::vector<std::string>& args);

// A child process running in the background, with stdout/stderr captured into files.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& args, const std::string& logDir);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  void signal(int sig);
  // The exit code once it exited (-2 when killed by a signal), or -1 on timeout.
  int waitExit(int64_t timeoutMs);
  std::string stderrText() const;

 private:
  int pid_ = -1;
  bool reaped_ = false;
  std::string errPath_;
};

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
// A TCP port on 127.0.0.1 nobody listens on (bound, then released).
int unusedPort();

}  // namespace samband::agent::test
