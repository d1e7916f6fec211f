// samband-agent-form: the reporting page ([form] listen of agent.toml) in a process of its own,
// started and stopped by `samband-agent run` (agent/form_process.h), so the daemon never maps
// cpp-httplib and OpenSSL. Serves until SIGTERM/SIGINT, or until `run` (--parent) goes away.
// Exit status as samband-agent's: 0 stopped cleanly, 1 the environment failed, 2 fix the config.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "agent/agent_config.h"
#include "agent/form_ready.h"
#include "agent/form_server.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/process.h"
#include "common/version.h"

namespace {

using samband::common::ErrorKind;
using samband::common::Status;

int exitCodeFor(const Status& s) {
  if (s) return 0;
  switch (s.error().kind) {
    case ErrorKind::invalidInput:
    case ErrorKind::unauthorised:
    case ErrorKind::notFound:
    case ErrorKind::conflict:
      return 2;
    default:
      return 1;
  }
}

// Tells `run` how the start went (when it started us), else prints a failure on stderr.
int reportStart(int readyFd, const Status& started) {
  if (readyFd >= 0) {
    const std::string m = samband::agent::formReadyMessage(started);
    size_t done = 0;
    while (done < m.size()) {
      const ssize_t n = ::write(readyFd, m.data() + done, m.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(readyFd);
  } else if (!started) {
    std::fprintf(stderr, "%s: %s\n", samband::agent::kFormHelperName,
                 started.error().message.c_str());
  }
  return exitCodeFor(started);
}

Status serve(const std::string& configPath, int readyFd) {
  // SIGTERM/SIGINT (blocked already when `run` started us) come through a signalfd.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  const int signalFd = ::signalfd(-1, &set, SFD_CLOEXEC);
  if (signalFd < 0) {
    const Status s = samband::common::internalError(std::string("cannot set up signal handling: ") +
                                                    std::strerror(errno));
    reportStart(readyFd, s);
    return s;
  }
  auto config = samband::agent::loadAgentConfig(configPath);
  Status started;
  if (!config) {
    started = config.error();
  } else if (!config->form) {
    started = samband::common::invalidInput(
        configPath +
        " has no [form] listen: set it to the address the reporting page should "
        "serve on (docs/agent.md, \"The reporting page\")");
  }
  if (!started) {
    reportStart(readyFd, started);
    ::close(signalFd);
    return started;
  }
  samband::common::setLogProvider(config->provider);
  samband::common::SystemClock clock;
  samband::agent::FormServer form(*config, clock);
  started = form.start();
  reportStart(readyFd, started);
  if (!started) {
    ::close(signalFd);
    return started;
  }
  signalfd_siginfo info{};
  while (::read(signalFd, &info, sizeof info) < 0 && errno == EINTR) {
  }
  form.stop();
  ::close(signalFd);
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  samband::common::hardenProcess();
  CLI::App app{
      "The reporting page of samband-agent ([form] listen), started by 'samband-agent "
      "run'; runs on its own until SIGTERM"};
  app.set_version_flag("--version", std::string(samband::agent::kFormHelperName) + " " +
                                        samband::common::versionText());
  std::string configPath;
  int readyFd = -1;
  long parent = 0;
  app.add_option("--config", configPath, "Path to agent.toml")->required();
  app.add_option("--ready-fd", readyFd, "Descriptor to tell 'run' how the start went");
  app.add_option("--parent", parent, "Stop when this process (samband-agent run) ends");
  CLI11_PARSE(app, argc, argv);
  if (parent > 0) {
    // `run` may die without stopping us (SIGKILL): then we get SIGTERM. If it is gone already,
    // stop now.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != static_cast<pid_t>(parent)) return 1;
  }
  return exitCodeFor(serve(configPath, readyFd));
}
