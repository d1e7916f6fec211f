// Helpers the load benchmarks share: child processes (a broker or mosquitto under test) that
// always stop, free loopback ports, file-descriptor limits and CPU accounting. Benchmark code
// only; nothing here is used by the broker or the agent.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace samband::bench {

// A child process started with fork/exec, stdout and stderr appended to a log file. The
// destructor stops it (SIGTERM, then SIGKILL after a grace period), so an exception or an early
// return never leaves a broker behind.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts `argv[0]` with `argv`. Returns false (with `error` set) when fork or exec fails; exec
  // failures are seen as an immediate exit with status 127.
  bool start(const std::vector<std::string>& argv, const std::string& logPath, std::string* error);
  // True while the child has not exited.
  bool isRunning();
  // SIGTERM, wait up to `graceMs`, then SIGKILL. Returns the exit status (-1 if killed or
  // never started). Idempotent.
  int stop(int graceMs = 10000);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released). Never
// 7700 or 8080.
int freeLoopbackPort();

// Raises RLIMIT_NOFILE (soft and, as root, hard) to at least `wanted`. Returns the soft limit in
// effect afterwards.
uint64_t raiseFileLimit(uint64_t wanted);

// CPU seconds (user + system) used so far by process `pid`, from /proc/PID/stat; -1 if unknown.
double processCpuSeconds(pid_t pid);
// CPU seconds (user + system) used so far by this process, all threads.
double selfCpuSeconds();

// The 1-minute load average.
double loadAverage1();

// Monotonic nanoseconds.
int64_t nowNs();

// Percentile `p` (0..100) of `samples` (sorted in place); 0 when empty.
double percentile(std::vector<int64_t>& samples, double p);

// True when a TCP connection to 127.0.0.1:port succeeds (it is closed at once).
bool tcpAccepts(int port);

// GET http://127.0.0.1:port/path with HTTP/1.0; returns the body, or empty on any failure.
std::string httpGet(int port, const std::string& path, int timeoutMs);

}  // namespace samband::bench
