// The daemon loop around one AgentSession.
#include "agent/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <memory>
#include <vector>
#include <zmq.hpp>

#include "agent/city_actions.h"
#include "agent/form_server.h"
#include "agent/session.h"
#include "agent/spool.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/service_notify.h"

namespace samband::agent {

namespace {

// Holds an exclusive flock on `path` for the lifetime of the object.
class RunLock {
 public:
  RunLock() = default;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  common::Status acquire(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      return common::unavailable("cannot open the lock file " + path + ": " + std::strerror(errno));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      return common::invalidInput("another 'samband-agent run' is already using " + path +
                                  "; stop it first (systemctl stop samband-agent)");
    }
    return {};
  }

 private:
  int fd_ = -1;
};

// Blocks SIGTERM/SIGINT in this thread (and so in the threads zmq starts later) and returns a
// signalfd that becomes readable when one arrives.
int openSignalFd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

}  // namespace

common::Status runDaemon(const AgentConfig& config) {
  RunLock lock;
  if (common::Status s = lock.acquire(config.outboxPath + ".lock"); !s) return s;
  int signalFd = openSignalFd();
  if (signalFd < 0) {
    return common::internalError(std::string("cannot set up signal handling: ") +
                                 std::strerror(errno));
  }
  // The spool thread starts after the signal mask is set, so it never takes SIGTERM itself.
  SpoolWatcher spool;
  if (common::Status s = spool.start(config); !s) {
    ::close(signalFd);
    return s;
  }
  common::SystemClock clock;
  common::ServiceNotifier notifier;
  common::setLogProvider(config.provider);
  // The reporting page runs beside the session for the whole run (key rotations included), on
  // threads started after SIGTERM/SIGINT were blocked, so the signals still come to the loop.
  std::unique_ptr<FormServer> form;
  if (config.form) {
    form = std::make_unique<FormServer>(config, clock);
    if (common::Status s = form->start(); !s) {
      ::close(signalFd);
      return s;
    }
  }
  zmq::context_t context(1);
  bool stop = false;
  bool first = true;
  // One session per key: after a key rotation the session asks to be replaced, and the new one
  // loads the new identity (and its transport key) from disk.
  while (!stop) {
    SessionOptions options;
    randombytes_buf(&options.seed, sizeof options.seed);
    auto session = AgentSession::open(context, config, clock, options);
    if (!session) {
      ::close(signalFd);
      return session.error();
    }
    AgentSession& s = **session;
    CityActions cityActions;
    s.setCityMessageHandler(&cityActions);
    cityActions.resume(s, common::monotonicMs());
    if (first) {
      common::logInfo("agent", "samband-agent running for " + config.provider + " (" +
                                   std::to_string(config.units.size()) + " unit(s)), broker " +
                                   config.endpoint);
      // Ready once the outbox, identity and lock are ours: connecting may take days offline.
      notifier.ready("reporting for " + config.provider + " to " + config.endpoint);
      first = false;
    }
    while (!stop && !s.wantsRestart()) {
      int64_t now = common::monotonicMs();
      auto linkItems = s.pollItems();
      std::vector<zmq::pollitem_t> items(linkItems.begin(), linkItems.end());
      items.push_back({nullptr, signalFd, ZMQ_POLLIN, 0});
      // The loop comes round at least every second (and twice per watchdog interval), and each
      // round tells the watchdog it still does.
      notifier.keepAlive(now);
      const int64_t longest = std::min<int64_t>(1000, notifier.keepAliveEveryMs(1000));
      int64_t timeout = std::clamp<int64_t>(s.nextWakeMs() - now, 0, longest);
      try {
        zmq::poll(items.data(), items.size(), std::chrono::milliseconds(timeout));
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) common::logWarn("agent", std::string("poll failed: ") + e.what());
      }
      now = common::monotonicMs();
      if (items.back().revents & ZMQ_POLLIN) {
        signalfd_siginfo info{};
        if (::read(signalFd, &info, sizeof info) == sizeof info) {
          common::logInfo("agent", std::string("stopping on ") + strsignal(info.ssi_signo));
        }
        stop = true;
        notifier.stopping();
      }
      bool readable = false;
      for (size_t i = 0; i < AgentSession::kPollItems; ++i) {
        if (items[i].revents & ZMQ_POLLIN) readable = true;
      }
      if (readable) s.onReadable(now);
      s.onTimer(now);
    }
    s.shutdown();
  }
  spool.stop();
  if (form) form->stop();
  ::close(signalFd);
  common::logInfo("agent", "stopped");
  return {};
}

}  // namespace samband::agent
