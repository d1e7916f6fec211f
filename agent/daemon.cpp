// The daemon loop around one AgentSession.
#include "agent/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>
#include <zmq.hpp>

#include "agent/city_actions.h"
#include "agent/form_process.h"
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

// Tells the loop when the outbox database changed (a row queued by `samband-agent report`, the
// spool or the reporting page: SQLite writes its -wal file), so the session need not look every
// 200 ms. Without inotify the session falls back to looking on its timer.
class OutboxWatch {
 public:
  OutboxWatch() = default;
  OutboxWatch(const OutboxWatch&) = delete;
  OutboxWatch& operator=(const OutboxWatch&) = delete;
  ~OutboxWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  // False when the directory cannot be watched (the caller keeps polling).
  bool start(const std::string& outboxPath) {
    const std::filesystem::path p(outboxPath);
    prefix_ = p.filename().string();
    std::string dir = p.parent_path().string();
    if (dir.empty()) dir = ".";
    fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) return false;
    if (::inotify_add_watch(fd_, dir.c_str(), IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
      ::close(fd_);
      fd_ = -1;
      return false;
    }
    return true;
  }
  int fd() const { return fd_; }
  // Reads every pending event; true when one was about the outbox's files.
  bool drain() {
    bool touched = false;
    alignas(inotify_event) char buf[4096];
    ssize_t n;
    while ((n = ::read(fd_, buf, sizeof buf)) > 0) {
      for (char* p = buf; p < buf + n;) {
        auto* e = reinterpret_cast<inotify_event*>(p);
        if (e->len > 0 && std::strncmp(e->name, prefix_.c_str(), prefix_.size()) == 0) {
          touched = true;
        }
        p += sizeof(inotify_event) + e->len;
      }
    }
    return touched;
  }

 private:
  int fd_ = -1;
  std::string prefix_;
};

// With the outbox watched, the session's own look at the outbox is only a safety net.
constexpr int64_t kWatchedOutboxPollMs = 60'000;
// Without a watchdog the loop sleeps until the session's next timer, at most this long.
constexpr int64_t kLongestSleepMs = 60'000;

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
  // The reporting page runs beside the session for the whole run (key rotations included), in
  // a process of its own (agent/form_process.h), started with SIGTERM/SIGINT blocked like us.
  std::unique_ptr<FormProcess> form;
  if (config.form) {
    form = std::make_unique<FormProcess>(config);
    if (common::Status s = form->start(); !s) {
      ::close(signalFd);
      return s;
    }
  }
  zmq::context_t context(1);
  OutboxWatch outboxWatch;
  const bool watched = outboxWatch.start(config.outboxPath);
  if (!watched) {
    common::logWarn("agent", "cannot watch " + config.outboxPath +
                                 " for changes (inotify); looking at it every 200 ms instead");
  }
  bool stop = false;
  bool first = true;
  // One session per key: after a key rotation the session asks to be replaced, and the new one
  // loads the new identity (and its transport key) from disk.
  while (!stop) {
    SessionOptions options;
    randombytes_buf(&options.seed, sizeof options.seed);
    if (watched) options.outboxPollMs = kWatchedOutboxPollMs;
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
      const size_t watchItem = items.size();
      if (watched) items.push_back({nullptr, outboxWatch.fd(), ZMQ_POLLIN, 0});
      const size_t formItem = items.size();
      if (form && form->exitFd() >= 0) items.push_back({nullptr, form->exitFd(), ZMQ_POLLIN, 0});
      // The loop sleeps until the session's next timer (heartbeat, ack deadline, reconnect,
      // status row) or an event; under a systemd watchdog it also comes round twice per
      // watchdog interval, and each round tells the watchdog it still does. An idle agent wakes
      // for its timers only: no polling.
      notifier.keepAlive(now);
      const int64_t longest = notifier.keepAliveEveryMs(kLongestSleepMs);
      int64_t wake = s.nextWakeMs();
      if (form) wake = std::min(wake, form->nextWakeMs());
      int64_t timeout = std::clamp<int64_t>(wake - now, 0, longest);
      try {
        zmq::poll(items.data(), items.size(), std::chrono::milliseconds(timeout));
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) common::logWarn("agent", std::string("poll failed: ") + e.what());
      }
      now = common::monotonicMs();
      if (form && ((formItem < items.size() && (items[formItem].revents & ZMQ_POLLIN)) ||
                   now >= form->nextWakeMs())) {
        form->onEvent(now);
      }
      if (watched && (items[watchItem].revents & ZMQ_POLLIN) && outboxWatch.drain()) {
        s.pollOutboxSoon();
      }
      if (items[watchItem - 1].revents & ZMQ_POLLIN) {
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
      // The session's own commits (the status row, acks) raise inotify events too. Read them now,
      // in this wake-up, rather than be woken again by our own echo; the look they ask for (PRAGMA
      // data_version, which ignores this connection's commits) happens on the next round, at
      // once, and still notices a row another process queued meanwhile.
      if (watched && outboxWatch.drain()) s.pollOutboxSoon();
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
