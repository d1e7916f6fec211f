// See fleet.h. The loop follows the contract comment of agent/session.h.
#include "tools/fleet.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace samband::tools {

namespace {

// The lock `samband-agent run` holds on an agent (agent/daemon.cpp): whoever has it drives the
// agent's link. Returns the open descriptor, or -1 with `error` set.
int lockAgent(const agent::AgentConfig& config, std::string* error) {
  const std::string path = config.outboxPath + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot open the lock file " + path + ": " + std::strerror(errno);
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    *error = "another samband-agent run or samband-sim run is already driving this agent (" + path +
             "); stop it first";
    return -1;
  }
  return fd;
}

uint64_t pendingOf(agent::AgentSession& s) {
  auto range = s.outbox().pendingRange();
  if (!range || range->first == 0) return 0;
  return range->second - range->first + 1;
}

// Seqs are consecutive per agent key, so the chain head counts what was signed into the outbox
// (reports, and the answers and acknowledgements CityActions queues) and the acknowledged seq
// counts what the broker stored.
uint64_t headSeqOf(agent::AgentSession& s) {
  auto head = s.outbox().head();
  return head ? head->seq : 0;
}

uint64_t ackedSeqOf(agent::AgentSession& s) {
  auto acked = s.outbox().acked();
  return acked ? acked->seq : 0;
}

}  // namespace

common::Result<std::unique_ptr<Fleet>> Fleet::open(zmq::context_t& context,
                                                   const std::vector<agent::AgentConfig>& configs,
                                                   const common::Clock& clock, uint64_t seed) {
  std::unique_ptr<Fleet> fleet(new Fleet());
  for (size_t i = 0; i < configs.size(); ++i) {
    std::string lockError;
    const int lockFd = lockAgent(configs[i], &lockError);
    if (lockFd < 0) return common::invalidInput("agent " + configs[i].provider + ": " + lockError);
    fleet->lockFds_.push_back(lockFd);
    agent::SessionOptions options;
    options.seed = seed * 1000003 + i;  // each agent its own jitter
    auto session = agent::AgentSession::open(context, configs[i], clock, options);
    if (!session) {
      return common::Error{session.error().kind,
                           "agent " + configs[i].provider + ": " + session.error().message};
    }
    // Answers readiness checks and applies directives as `samband-agent run` does; first it
    // finishes what an earlier run left half done.
    (*session)->setCityMessageHandler(&fleet->cityActions_);
    fleet->cityActions_.resume(**session, common::monotonicMs());
    fleet->headAtOpen_.push_back(headSeqOf(**session));
    fleet->ackedAtOpen_.push_back(ackedSeqOf(**session));
    fleet->sessions_.push_back(std::move(session).value());
  }
  return fleet;
}

Fleet::~Fleet() {
  shutdown();
  sessions_.clear();
  for (int fd : lockFds_) ::close(fd);
}

void Fleet::pollOnce(int64_t untilMs) {
  items_.clear();
  owners_.clear();
  int64_t wake = untilMs;
  for (size_t i = 0; i < sessions_.size(); ++i) {
    // Poll items change when a link reconnects: fetch them every round.
    for (const auto& item : sessions_[i]->pollItems()) {
      if (item.socket == nullptr) continue;
      items_.push_back(item);
      owners_.push_back(i);
    }
    wake = std::min(wake, sessions_[i]->nextWakeMs());
  }
  const int64_t timeout = std::max<int64_t>(0, wake - common::monotonicMs());
  try {
    zmq::poll(items_.data(), items_.size(), std::chrono::milliseconds(timeout));
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
    return;  // a signal: let the caller look at its stop flag
  }
  const int64_t now = common::monotonicMs();
  // A session's two items are adjacent: call onReadable once per session.
  size_t last = SIZE_MAX;
  for (size_t k = 0; k < items_.size(); ++k) {
    if ((items_[k].revents & ZMQ_POLLIN) == 0 || owners_[k] == last) continue;
    last = owners_[k];
    sessions_[last]->onReadable(now);
  }
  for (auto& s : sessions_) {
    if (s->nextWakeMs() <= now) s->onTimer(now);
  }
}

common::Status Fleet::queue(size_t index, const std::vector<agent::OutboxDraft>& drafts,
                            int64_t nowMs) {
  auto queued = sessions_[index]->queue(drafts, nowMs);
  if (!queued) return queued.error();
  return {};
}

FleetTotals Fleet::totals() {
  FleetTotals t;
  t.agents = sessions_.size();
  for (size_t i = 0; i < sessions_.size(); ++i) {
    agent::AgentSession& s = *sessions_[i];
    t.connected += s.isConnected() ? 1 : 0;
    t.pending += pendingOf(s);
    // A realign onto the broker's head (a restored outbox) can move both; never count below 0.
    const uint64_t head = headSeqOf(s);
    const uint64_t acked = ackedSeqOf(s);
    t.queued += head > headAtOpen_[i] ? head - headAtOpen_[i] : 0;
    t.acked += acked > ackedAtOpen_[i] ? acked - ackedAtOpen_[i] : 0;
    t.deadLetters += s.counters().deadLetters;
    t.rejects += s.counters().rejects;
  }
  return t;
}

void Fleet::shutdown() {
  for (auto& s : sessions_) s->shutdown();
}

}  // namespace samband::tools
