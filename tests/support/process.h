// The process harness for tests of real samband-broker and samband-agent processes: spawn and
// kill, run a CLI to completion capturing its output, and free loopback ports. Part of the shared
// test-support library.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace samband::testing {

// A child process; killed with SIGKILL when the object is destroyed.
class Process {
 public:
  // Starts `argv[0]` with `argv`; stdout and stderr go to `logPath` (appended), stdin is
  // /dev/null. Throws std::runtime_error if fork fails.
  Process(const std::vector<std::string>& argv, const std::string& logPath);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void kill9();
  // SIGTERM, then wait up to `timeout`; SIGKILL after that. Returns the exit status, or -1 when
  // it was killed by a signal or had to be killed.
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // What the process wrote to stdout and stderr so far.
  std::string output() const;

 private:
  std::string logPath_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

struct CommandResult {
  int exitCode = -1;  // -1 when killed by a signal or the timeout
  std::string out;
  std::string err;
};

// Runs a command to completion (at most `timeout`), feeding `input` on stdin and then closing it.
CommandResult runCommand(const std::vector<std::string>& argv, const std::string& input = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A TCP port on 127.0.0.1 that was free a moment ago (never 7700 or 8080).
int freePort();

}  // namespace samband::testing
