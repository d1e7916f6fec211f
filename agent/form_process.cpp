// The reporting page's process, seen from `samband-agent run` (see form_process.h).
#include "agent/form_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/form_ready.h"
#include "common/clock.h"
#include "common/log.h"

extern char** environ;

namespace samband::agent {

namespace {

constexpr int64_t kStartTimeoutMs = 30'000;
constexpr int64_t kStopTimeoutMs = 10'000;

// Waits until `fd` is readable or `timeoutMs` passes; false on timeout.
bool waitReadable(int fd, int64_t timeoutMs) {
  const int64_t deadline = common::monotonicMs() + timeoutMs;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int64_t left = deadline - common::monotonicMs();
    if (left <= 0) return false;
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

std::string describeExit(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

std::string FormProcess::helperPath() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string dir = ec ? std::string(".") : self.parent_path().string();
  return dir + "/" + kFormHelperName;
}

common::Status FormProcess::start() {
  if (config_.configPath.empty()) {
    return common::internalError(
        "the reporting page runs from the agent's config file, and this config has none");
  }
  return spawn();
}

common::Status FormProcess::spawn() {
  const std::string path = helperPath();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return common::internalError(std::string("cannot start the reporting page: pipe: ") +
                                 std::strerror(errno));
  }
  // The helper tells how its start went on descriptor 3 (the pipe's write end, dup2'd there
  // without O_CLOEXEC).
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], kFormReadyFd);
  const std::string parent = std::to_string(::getpid());
  const std::string readyFd = std::to_string(kFormReadyFd);
  std::vector<std::string> args = {
      path, "--config", config_.configPath, "--ready-fd", readyFd, "--parent", parent};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return common::internalError("cannot start the reporting page: " + path + ": " +
                                 std::strerror(rc) + " (install " + kFormHelperName +
                                 " next to samband-agent, or remove [form] listen)");
  }
  pid_ = pid;
  pidFd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  // Everything the helper says about its start, up to the end of the pipe (it closes it).
  std::string said;
  char buf[1024];
  while (said.size() < 16 * 1024 && waitReadable(fds[0], kStartTimeoutMs)) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    said.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  common::Status outcome = parseFormReady(said);
  if (!outcome) {
    stop();
    return outcome;
  }
  return {};
}

void FormProcess::reap() {
  int status = 0;
  if (pid_ <= 0 || ::waitpid(pid_, &status, WNOHANG) != pid_) return;
  common::logWarn("agent", "the reporting page's process (" + std::string(kFormHelperName) +
                               ") stopped with " + describeExit(status) +
                               "; starting it again in " + std::to_string(kRestartPauseMs / 1000) +
                               " s");
  pid_ = -1;
  if (pidFd_ >= 0) ::close(pidFd_);
  pidFd_ = -1;
  restartAtMs_ = common::monotonicMs() + kRestartPauseMs;
}

void FormProcess::onEvent(int64_t monotonicNowMs) {
  reap();
  if (pid_ > 0 || monotonicNowMs < restartAtMs_) return;
  restartAtMs_ = INT64_MAX;
  if (common::Status s = spawn(); !s) {
    common::logWarn("agent", s.error().message + "; trying again in " +
                                 std::to_string(kRestartPauseMs / 1000) + " s");
    restartAtMs_ = monotonicNowMs + kRestartPauseMs;
  }
}

void FormProcess::stop() {
  restartAtMs_ = INT64_MAX;
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    const bool ended = pidFd_ < 0 || waitReadable(pidFd_, kStopTimeoutMs);
    if (!ended) ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  if (pidFd_ >= 0) ::close(pidFd_);
  pidFd_ = -1;
}

}  // namespace samband::agent
