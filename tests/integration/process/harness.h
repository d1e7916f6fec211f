// Test harness for integration tests with real processes: spawn, kill -9, run a CLI and capture
// its output, free loopback ports, temporary directories, and waiting on a condition.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace samband::testing {

// A child process; killed with SIGKILL when the object is destroyed.
class Process {
 public:
  // Starts `argv[0]` with `argv`; stdout and stderr go to `logPath` (appended).
  Process(const std::vector<std::string>& argv, const std::string& logPath);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void kill9();
  // SIGTERM, then wait up to `timeout`; SIGKILL after that. Returns the exit status or -1.
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

struct CommandResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion (at most `timeout`), feeding `input` on stdin.
CommandResult runCommand(const std::vector<std::string>& argv, const std::string& input = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A TCP port on 127.0.0.1 that was free a moment ago (never 7700 or 8080).
int freePort();

// A fresh directory under $TMPDIR, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Polls `condition` every 50 ms until it is true or `timeout` passes. Returns its last value.
bool waitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace samband::testing
