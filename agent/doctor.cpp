// See doctor.h. Each check is a function returning its line; runDoctor strings them together.
#include "agent/doctor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <ostream>
#include <sstream>
#include <zmq.hpp>

#include "agent/agent_config.h"
#include "agent/agent_status.h"
#include "agent/link.h"
#include "agent/selftest.h"
#include "agent/session_messages.h"
#include "common/clock.h"
#include "common/identity.h"

namespace samband::agent {

namespace {

DoctorLine ok(const char* check, std::string text) {
  return {check, DoctorOutcome::ok, std::move(text)};
}
DoctorLine warn(const char* check, std::string text) {
  return {check, DoctorOutcome::warn, std::move(text)};
}
DoctorLine failed(const char* check, std::string text) {
  return {check, DoctorOutcome::fail, std::move(text)};
}

std::string seconds(int64_t ms) {
  const int64_t s = (ms < 0 ? -ms : ms) / 1000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  if (s < 172800) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " days";
}

std::string asRunUser(const AgentConfig& config) {
  return "run doctor as the agent's user: sudo -u samband samband-agent doctor --config " +
         config.configPath;
}

DoctorLine checkIdentity(const AgentConfig& config, std::unique_ptr<common::Identity>* identity) {
  const std::string& path = config.identityPath;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return failed("identity", path + " is missing (" + std::strerror(errno) +
                                  "): restore it from your backup; without a backup, run "
                                  "samband-agent setup again and enrol the new key");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(st.st_mode & 0777));
    return failed("identity", path + " has mode " + mode +
                                  ": it holds the secret key and must be private: chmod 600 " +
                                  path);
  }
  const std::string dir = directoryOf(config.outboxPath);
  struct stat dirSt {};
  if (::stat(dir.c_str(), &dirSt) == 0 && dirSt.st_uid != st.st_uid) {
    return failed("identity", path + " belongs to uid " + std::to_string(st.st_uid) + " but " +
                                  dir + " to uid " + std::to_string(dirSt.st_uid) +
                                  ": the agent runs as the state directory's owner: chown "
                                  "--reference=" +
                                  dir + " " + path);
  }
  auto loaded = common::Identity::load(path);
  if (!loaded) {
    if (::access(path.c_str(), R_OK) != 0) {
      return failed("identity", "cannot read " + path + " as this user: " + asRunUser(config));
    }
    return failed("identity", loaded.error().message);
  }
  if ((*loaded)->id() != config.provider) {
    return failed("identity", path + " is the identity of " + (*loaded)->id() + ", but " +
                                  config.configPath + " says provider " + config.provider +
                                  ": point [agent] identity at this provider's file");
  }
  *identity = std::move(loaded).value();
  return ok("identity", path + " is private (0600), owned by the agent's user, key id " +
                            common::toHex((*identity)->keyId()));
}

DoctorLine checkClock(const common::Result<AgentStatus>& status) {
  if (!status) return warn("clock", "offset unknown: " + status.error().message);
  if (!status->clockOffsetMs) {
    return warn("clock",
                "offset not measured yet: the running agent measures it from the broker's "
                "reply to its first heartbeat (start it: systemctl start samband-agent)");
  }
  const int64_t off = *status->clockOffsetMs;
  const std::string how = seconds(off) + (off >= 0 ? " ahead of" : " behind") + " the broker's";
  if ((off < 0 ? -off : off) > status->clockOffsetLimitMs) {
    return failed("clock", "this server's clock is " + how + " (limit " +
                               seconds(status->clockOffsetLimitMs) +
                               "): turn on time synchronisation (timedatectl set-ntp true, or "
                               "chrony)");
  }
  return ok("clock", "this server's clock is " + how + " (limit " +
                         seconds(status->clockOffsetLimitMs) + ")");
}

struct Endpoint {
  std::string host;
  std::string port;
};

std::optional<Endpoint> parseTcpEndpoint(const std::string& endpoint) {
  if (endpoint.rfind("tcp://", 0) != 0) return std::nullopt;
  const std::string hostPort = endpoint.substr(6);
  const auto colon = hostPort.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  Endpoint e{hostPort.substr(0, colon), hostPort.substr(colon + 1)};
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  return e;
}

std::string addressText(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

// Resolved addresses of the broker, for the TCP check.
struct Resolved {
  std::vector<sockaddr_storage> addresses;
  std::vector<socklen_t> lengths;
};

DoctorLine checkDns(const AgentConfig& config, const BrokerEndpoint& broker,
                    const std::optional<Endpoint>& e, Resolved* out) {
  if (!e) {
    return warn("dns", broker.endpoint + " is not a tcp:// endpoint: no DNS or TCP to check");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(e->host.c_str(), e->port.c_str(), &hints, &list);
  if (rc != 0) {
    return failed("dns", "cannot resolve " + e->host + " (" + ::gai_strerror(rc) +
                             "): check the name in [broker] " +
                             (config.brokers.empty() ? "endpoint" : "brokers") + " of " +
                             config.configPath +
                             " with the city, and this server's DNS (/etc/resolv.conf)");
  }
  std::string names;
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    sockaddr_storage ss{};
    std::memcpy(&ss, a->ai_addr, a->ai_addrlen);
    out->addresses.push_back(ss);
    out->lengths.push_back(a->ai_addrlen);
    const std::string text = addressText(a->ai_addr);
    if (names.find(text) == std::string::npos) names += (names.empty() ? "" : ", ") + text;
  }
  ::freeaddrinfo(list);
  unsigned char probe[sizeof(in6_addr)];
  if (::inet_pton(AF_INET, e->host.c_str(), probe) == 1 ||
      ::inet_pton(AF_INET6, e->host.c_str(), probe) == 1) {
    return ok("dns", e->host + " is an address: no name to resolve");
  }
  return ok("dns", e->host + " resolves to " + names);
}

// Connects with a deadline; returns "" on success, else why not.
std::string tryConnect(const sockaddr_storage& ss, socklen_t len, int64_t timeoutMs) {
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  std::string why;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    if (errno != EINPROGRESS) {
      why = std::strerror(errno);
    } else {
      pollfd p{fd, POLLOUT, 0};
      const int n = ::poll(&p, 1, static_cast<int>(timeoutMs));
      int err = 0;
      socklen_t errLen = sizeof err;
      if (n == 0) {
        why = "no answer within " + seconds(timeoutMs) + " (a firewall dropping it?)";
      } else if (n < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errLen) != 0) {
        why = std::strerror(errno);
      } else if (err != 0) {
        why = std::strerror(err);
      }
    }
  }
  ::close(fd);
  return why;
}

DoctorLine checkTcp(const std::optional<Endpoint>& e, const Resolved& resolved, int64_t timeoutMs,
                    bool* reached) {
  *reached = false;
  if (!e) return warn("tcp", "not a tcp:// endpoint: nothing to connect to");
  if (resolved.addresses.empty()) return failed("tcp", "skipped: the name did not resolve");
  std::string whyNot;
  for (size_t i = 0; i < resolved.addresses.size(); ++i) {
    const int64_t start = common::monotonicMs();
    const std::string why = tryConnect(resolved.addresses[i], resolved.lengths[i], timeoutMs);
    const std::string where =
        addressText(reinterpret_cast<const sockaddr*>(&resolved.addresses[i])) + " port " + e->port;
    if (why.empty()) {
      *reached = true;
      return ok("tcp", "connected to " + where + " in " +
                           std::to_string(common::monotonicMs() - start) + " ms");
    }
    whyNot += (whyNot.empty() ? "" : "; ") + where + ": " + why;
  }
  return failed("tcp", "cannot connect to the broker (" + whyNot +
                           "): ask the city whether the broker runs and listens there, and "
                           "check the firewalls between (outgoing TCP to port " +
                           e->port + ")");
}

// Records the first thing the Link says.
class HandshakeProbe : public LinkListener {
 public:
  void onLinkUp(int64_t) override { done = up = true; }
  void onLinkDown(int64_t, LinkFailure f, const std::string& d) override {
    if (done) return;
    done = true;
    failure = f;
    detail = d;
  }
  void onLinkFrame(const uint8_t*, size_t, int64_t) override {}
  bool done = false;
  bool up = false;
  LinkFailure failure = LinkFailure::unreachable;
  std::string detail;
};

DoctorLine checkCurve(const AgentConfig& config, const BrokerEndpoint& broker,
                      const common::Identity* identity, int64_t timeoutMs) {
  if (identity == nullptr) return failed("curve", "skipped: needs a readable identity (above)");
  zmq::context_t context(1);
  HandshakeProbe probe;
  LinkSettings s;
  s.endpoint = broker.endpoint;
  s.serverKey = broker.curvePublic;
  s.clientPublic = identity->curvePublic();
  s.clientSecret = identity->curveSecret();
  s.handshakeTimeoutMs = timeoutMs;
  s.reconnectMinMs = 1;
  s.reconnectMaxMs = 1;
  uint64_t seed = 0;
  randombytes_buf(&seed, sizeof seed);
  {
    Link link(context, s, probe, seed);
    const int64_t deadline = common::monotonicMs() + timeoutMs + 1000;
    while (!probe.done && common::monotonicMs() < deadline) {
      const int64_t now = common::monotonicMs();
      link.onTimer(now);
      auto items = link.pollItems();
      const int64_t wait = std::clamp<int64_t>(link.nextWakeMs() - now, 0, 100);
      try {
        zmq::poll(items.data(), items.size(), std::chrono::milliseconds(wait));
      } catch (const zmq::error_t&) {
      }
      link.onReadable(common::monotonicMs());
    }
    link.stop();
  }
  if (probe.up) {
    return ok("curve", "CURVE handshake with the broker at " + broker.endpoint +
                           " succeeded: it holds the " +
                           (broker.ownKey ? "transport key" : "city key") +
                           " pinned in agent.toml and knows this agent's key");
  }
  if (!probe.done) {
    return failed("curve",
                  "no handshake within " + seconds(timeoutMs) + ": " +
                      linkFailureMessage(config, broker.endpoint, LinkFailure::handshakeFailed));
  }
  return failed("curve", linkFailureMessage(config, broker.endpoint, probe.failure));
}

DoctorLine checkLastAck(const AgentConfig& config, const common::Result<AgentStatus>& status,
                        int64_t nowMs) {
  if (!status) return failed("last_ack", status.error().message);
  const AgentStatus& st = status.value();
  const std::string running =
      st.running ? (st.connected ? "the agent runs and is connected"
                                 : "the agent runs but is not connected (samband-agent status "
                                   "says why)")
                 : "the agent is not running (systemctl enable --now samband-agent)";
  std::string waiting = std::to_string(st.outboxPending) + " message(s) waiting";
  const bool stuck = st.outboxPending > 0 && st.oldestPendingAt &&
                     nowMs - *st.oldestPendingAt > config.selfTest.outboxMaxAgeMs;
  if (st.oldestPendingAt) waiting += ", the oldest for " + seconds(nowMs - *st.oldestPendingAt);
  if (!st.lastAckAt) {
    if (st.outboxPending == 0) {
      return warn("last_ack", "no acknowledgement yet and nothing sent; " + running +
                                  ". The first report gets one: samband-agent report --config " +
                                  config.configPath + " ...");
    }
    return (stuck ? failed : warn)(
        "last_ack", "no acknowledgement from the broker yet, " + waiting + "; " + running +
                        (st.lastError ? "; last error: " + *st.lastError : std::string()));
  }
  std::string text = "last acknowledgement " + seconds(nowMs - *st.lastAckAt) + " ago (seq " +
                     std::to_string(st.lastAckedSeq) + "), " + waiting + "; " + running;
  if (stuck) {
    return failed("last_ack", text + (st.lastError ? "; last error: " + *st.lastError
                                                   : std::string("; see samband-agent status")));
  }
  return (st.running ? ok : warn)("last_ack", text);
}

DoctorLine checkDisk(const AgentConfig& config) {
  const std::string dir = directoryOf(config.outboxPath);
  auto free = freeDiskBytes(dir);
  if (!free) return failed("disk", "cannot read the free space of " + dir + ": does it exist?");
  const uint64_t mb = *free >> 20;
  const uint64_t minMb = static_cast<uint64_t>(config.selfTest.diskFreeMinBytes) >> 20;
  if (*free < static_cast<uint64_t>(config.selfTest.diskFreeMinBytes)) {
    return failed("disk", std::to_string(mb) + " MB free in " + dir + ", below the " +
                              std::to_string(minMb) +
                              " MB of [selftest] disk_free_min_mb: free space there");
  }
  return ok("disk", std::to_string(mb) + " MB free in " + dir + " (at least " +
                        std::to_string(minMb) + " MB wanted)");
}

}  // namespace

std::vector<DoctorLine> runDoctor(const DoctorOptions& options, int64_t wallNowMs) {
  std::vector<DoctorLine> lines;
  auto config = loadAgentConfig(options.configPath);
  if (!config) {
    lines.push_back(failed("config", config.error().message));
    return lines;
  }
  lines.push_back(ok(
      "config", options.configPath + " is readable: provider " + config->provider + ", " +
                    std::to_string(config->units.size()) + " unit(s), " +
                    (config->brokerList().size() > 1 ? std::to_string(config->brokerList().size()) +
                                                           " brokers, preferred " + config->endpoint
                                                     : "broker " + config->endpoint)));
  std::unique_ptr<common::Identity> identity;
  lines.push_back(checkIdentity(*config, &identity));
  auto status = readAgentStatus(*config, wallNowMs);
  lines.push_back(checkClock(status));
  // Every broker of the city: with a standby, one that answers is enough to report, so the
  // others' failures are warnings (and the lines name each endpoint).
  const auto brokers = config->brokerList();
  std::vector<DoctorLine> network;
  bool anyHandshake = false;
  for (const auto& broker : brokers) {
    const auto endpoint = parseTcpEndpoint(broker.endpoint);
    Resolved resolved;
    network.push_back(checkDns(*config, broker, endpoint, &resolved));
    bool reached = false;
    network.push_back(checkTcp(endpoint, resolved, options.networkTimeoutMs, &reached));
    if (endpoint && !reached) {
      network.push_back(failed(
          "curve", "skipped: the broker at " + broker.endpoint + " cannot be reached (above)"));
    } else {
      network.push_back(checkCurve(*config, broker, identity.get(), options.networkTimeoutMs));
      if (network.back().outcome == DoctorOutcome::ok) anyHandshake = true;
    }
  }
  for (auto& line : network) {
    if (brokers.size() > 1 && anyHandshake && line.outcome == DoctorOutcome::fail) {
      line.outcome = DoctorOutcome::warn;
      line.text += " (another broker of the city answers, so reports still go out)";
    }
    lines.push_back(std::move(line));
  }
  lines.push_back(checkLastAck(*config, status, wallNowMs));
  lines.push_back(checkDisk(*config));
  return lines;
}

std::string doctorText(const std::vector<DoctorLine>& lines) {
  std::ostringstream out;
  size_t failures = 0, warnings = 0;
  for (const auto& l : lines) {
    const char* word = l.outcome == DoctorOutcome::ok     ? "ok  "
                       : l.outcome == DoctorOutcome::warn ? "warn"
                                                          : "FAIL";
    if (l.outcome == DoctorOutcome::fail) ++failures;
    if (l.outcome == DoctorOutcome::warn) ++warnings;
    std::string check = l.check;
    check.resize(std::max<size_t>(check.size(), 9), ' ');
    out << word << "  " << check << l.text << "\n";
  }
  if (failures > 0) {
    out << failures << " check(s) failed: fix them in the order shown (each line says how), "
        << "then run doctor again.\n";
  } else if (warnings > 0) {
    out << "Nothing failed; " << warnings << " warning(s) above.\n";
  } else {
    out << "Everything checked is in order.\n";
  }
  return out.str();
}

int doctorExitCode(const std::vector<DoctorLine>& lines) {
  for (const auto& l : lines) {
    if (l.outcome == DoctorOutcome::fail) return 1;
  }
  return 0;
}

CLI::App* addDoctorCommand(CLI::App& app, DoctorOptions& options) {
  auto* cmd = app.add_subcommand(
      "doctor",
      "Check the config, the key file, the clock, the way to the broker (DNS, TCP, CURVE), the "
      "last acknowledgement and disk space; one line each with what to do; exit 1 if any fails");
  cmd->add_option("--config", options.configPath, "Path to agent.toml")
      ->default_str("/etc/samband/agent.toml");
  cmd->add_option("--timeout-ms", options.networkTimeoutMs,
                  "Limit for each DNS, TCP and handshake attempt (default 5000)")
      ->check(CLI::Range(100, 120000));
  return cmd;
}

int runDoctorCommand(const DoctorOptions& options, std::ostream& out) {
  common::SystemClock clock;
  const auto lines = runDoctor(options, clock.nowMs());
  out << doctorText(lines);
  return doctorExitCode(lines);
}

}  // namespace samband::agent
