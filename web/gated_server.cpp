// See gated_server.h. Threads: httplib's accepting thread runs process_and_close_socket() (admit
// or refuse, never blocking); the poller thread owns every waiting connection and reads request
// heads without blocking; worker threads run one request each and hand a kept-alive connection
// back to the poller, so a worker never waits for a client to start or finish a request.
#include "web/gated_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace samband::web {

namespace {

constexpr const char* kHeadEnd = "\r\n\r\n";

// True when `sock` is ready for `events` (or has failed: the next call reports how) within `ms`.
bool waitFor(int sock, short events, int64_t ms) {
  pollfd p{sock, events, 0};
  const int wait = static_cast<int>(std::clamp<int64_t>(ms, 0, INT_MAX));
  int r = 0;
  do {
    r = ::poll(&p, 1, wait);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

bool numericName(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof host, serv,
                    sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return false;
  }
  ip = host;
  port = std::atoi(serv);
  return true;
}

void closeSocket(int sock) {
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

// A complete HTTP answer for a connection the server will not serve; the socket is closed after.
std::string plainAnswer(int status, const char* reason, const std::string& code,
                        const std::string& message) {
  const std::string body = nlohmann::json{{"error", code}, {"message", message}}.dump();
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) +
         "\r\nCache-Control: no-store\r\nRetry-After: 5\r\nConnection: close\r\n\r\n" + body;
}

// Best effort and never blocking: what was already sent is read first, so that closing does
// not reset the connection before the client has read the answer.
void answerAndClose(int sock, const std::string& answer) {
  char sink[4096];
  for (int i = 0; i < 16 && ::recv(sock, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
  [[maybe_unused]] ssize_t sent =
      ::send(sock, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(sock, SHUT_WR);
  ::close(sock);
}

// The request stream of one connection in a worker: first the bytes the poller already read,
// then the socket, until the request's deadline. Writes wait at most the write timeout.
class GateStream final : public httplib::Stream {
 public:
  GateStream(int sock, std::string ip, int port, std::string buffered, int64_t deadlineMs,
             int64_t writeTimeoutMs)
      : sock_(sock),
        ip_(std::move(ip)),
        port_(port),
        buf_(std::move(buffered)),
        deadlineMs_(deadlineMs),
        writeTimeoutMs_(writeTimeoutMs) {}

  bool is_readable() const override {
    return pos_ < buf_.size() || waitFor(sock_, POLLIN, deadlineMs_ - common::monotonicMs());
  }
  bool is_writable() const override { return waitFor(sock_, POLLOUT, writeTimeoutMs_); }

  ssize_t read(char* ptr, size_t size) override {
    if (pos_ < buf_.size()) {
      const size_t n = std::min(size, buf_.size() - pos_);
      std::memcpy(ptr, buf_.data() + pos_, n);
      pos_ += n;
      return static_cast<ssize_t>(n);
    }
    for (;;) {
      const int64_t left = deadlineMs_ - common::monotonicMs();
      if (left <= 0 || !waitFor(sock_, POLLIN, left)) return -1;  // past the request's deadline
      ssize_t n = ::recv(sock_, ptr, size, MSG_DONTWAIT);
      if (n >= 0) return n;
      if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    }
  }

  ssize_t write(const char* ptr, size_t size) override {
    const int64_t until = common::monotonicMs() + writeTimeoutMs_;
    for (;;) {
      ssize_t n = ::send(sock_, ptr, size, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0) return n;
      if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      const int64_t left = until - common::monotonicMs();
      if (left <= 0 || !waitFor(sock_, POLLOUT, left)) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = ip_;
    port = port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      numericName(addr, len, ip, port);
    }
  }
  socket_t socket() const override { return sock_; }

  // Bytes read from the socket but not by the request: the start of a pipelined next one.
  std::string unread() const { return buf_.substr(pos_); }

 private:
  int sock_;
  std::string ip_;
  int port_;
  std::string buf_;
  size_t pos_ = 0;
  int64_t deadlineMs_;
  int64_t writeTimeoutMs_;
};

}  // namespace

struct GatedServer::Waiting {
  int sock = -1;
  std::string ip;
  int port = 0;
  std::string buf;          // the request head so far (and whatever followed it)
  int64_t deadlineMs = 0;   // monotonic: the request must have arrived by then
  int64_t idleUntilMs = 0;  // kept alive: closed then if no byte of a next request came
  int served = 0;           // requests answered on this connection
  bool hasHead() const { return buf.find(kHeadEnd) != std::string::npos; }
};

// httplib's task queue, run inline on its accepting thread: admission never blocks, so the
// accepting thread is never held by a slow client.
class GatedServer::Admission final : public httplib::TaskQueue {
 public:
  explicit Admission(GatedServer& server) : server_(server) { server_.startServing(); }
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override { server_.stopServing(); }

 private:
  GatedServer& server_;
};

GatedServer::GatedServer(GateLimits limits, GateCounters& counters)
    : limits_(limits), counters_(counters) {
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  new_task_queue = [this] { return new Admission(*this); };
}

GatedServer::~GatedServer() {
  stopServing();
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

void GatedServer::widenBacklog() {
  // Linux takes a new backlog from a second listen() on a listening socket.
  if (svr_sock_ != INVALID_SOCKET) ::listen(svr_sock_, SOMAXCONN);
}

void GatedServer::startServing() {
  workers_ = std::make_unique<httplib::ThreadPool>(limits_.workers);
  poller_ = std::thread([this] { pollLoop(); });
}

void GatedServer::stopServing() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    // Requests in progress end at once instead of at their deadline.
    for (int sock : serving_) ::shutdown(sock, SHUT_RDWR);
  }
  wake();
  if (poller_.joinable()) poller_.join();
  if (workers_) {
    workers_->shutdown();
    workers_.reset();
  }
}

void GatedServer::logRefusal(const std::string& ip, const std::string& why) {
  uint64_t suppressed = 0;
  if (!refusalLog_.allow(common::monotonicMs(), &suppressed)) return;
  common::logWarn(limits_.serverName,
                  why + " from " + ip +
                      (suppressed ? " (" + std::to_string(suppressed) + " earlier lines suppressed)"
                                  : std::string()));
}

void GatedServer::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
}

bool GatedServer::process_and_close_socket(socket_t sock) {
  auto conn = std::make_shared<Waiting>();
  conn->sock = sock;
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      !numericName(addr, len, conn->ip, conn->port)) {
    closeSocket(sock);
    return false;
  }
  ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
  conn->deadlineMs = common::monotonicMs() + limits_.requestTimeoutMs;
  admit(std::move(conn), true);
  return true;
}

void GatedServer::admit(std::shared_ptr<Waiting> conn, bool fresh) {
  enum class Refusal { none, total, perAddress } refusal = Refusal::none;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      closeSocket(conn->sock);
      return;
    }
    if (fresh && waiting_ >= limits_.maxWaiting) {
      refusal = Refusal::total;
    } else if (fresh && waitingByAddress_[conn->ip] >= limits_.maxWaitingPerAddress) {
      refusal = Refusal::perAddress;
    } else {
      waitingByAddress_[conn->ip]++;
      waiting_++;
      counters_.connectionsWaiting++;
      incoming_.push_back(conn);
    }
    if (waitingByAddress_[conn->ip] == 0) waitingByAddress_.erase(conn->ip);
  }
  if (refusal == Refusal::total) {
    counters_.connectionsRefusedTotal++;
    logRefusal(conn->ip, "refused a connection (too many waiting in all)");
    return answerAndClose(
        conn->sock,
        plainAnswer(503, "Service Unavailable", "too_many_connections",
                    "The " + limits_.serverName +
                        " has too many connections waiting to send a request; retry in a few "
                        "seconds"));
  }
  if (refusal == Refusal::perAddress) {
    counters_.connectionsRefusedPerAddress++;
    logRefusal(conn->ip, "refused a connection ([" + limits_.configTable +
                             "] max_waiting_per_address reached)");
    return answerAndClose(
        conn->sock,
        plainAnswer(429, "Too Many Requests", "too_many_connections",
                    "Too many connections from your address are waiting to send a request "
                    "(limit " +
                        std::to_string(limits_.maxWaitingPerAddress) + ", [" + limits_.configTable +
                        "] max_waiting_per_address); close idle connections and retry in a few "
                        "seconds"));
  }
  wake();
}

void GatedServer::release(const Waiting& conn) {
  std::lock_guard<std::mutex> lock(mutex_);
  waiting_--;
  counters_.connectionsWaiting--;
  auto it = waitingByAddress_.find(conn.ip);
  if (it != waitingByAddress_.end() && --it->second <= 0) waitingByAddress_.erase(it);
}

void GatedServer::pollLoop() {
  std::vector<std::shared_ptr<Waiting>> conns;
  std::vector<pollfd> fds;
  auto dispatch = [this](const std::shared_ptr<Waiting>& conn) {
    release(*conn);
    workers_->enqueue([this, conn] { serve(conn); });
  };
  for (;;) {
    bool stop = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop = stopping_;
      for (auto& conn : incoming_) conns.push_back(std::move(conn));
      incoming_.clear();
    }
    if (stop) break;
    // A kept-alive connection may bring its next (pipelined) request head with it.
    for (size_t i = 0; i < conns.size();) {
      if (conns[i]->hasHead()) {
        dispatch(conns[i]);
        conns[i] = std::move(conns.back());
        conns.pop_back();
      } else {
        ++i;
      }
    }
    int64_t now = common::monotonicMs();
    int64_t timeout = 1000;
    fds.assign(1, pollfd{wakeFd_, POLLIN, 0});
    for (const auto& conn : conns) {
      int64_t until = conn->deadlineMs;
      if (conn->buf.empty() && conn->idleUntilMs > 0) until = std::min(until, conn->idleUntilMs);
      timeout = std::min(timeout, std::max<int64_t>(0, until - now));
      fds.push_back(pollfd{conn->sock, POLLIN, 0});
    }
    int r = ::poll(fds.data(), fds.size(), static_cast<int>(timeout));
    if (r < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      uint64_t value = 0;
      [[maybe_unused]] ssize_t n = ::read(wakeFd_, &value, sizeof value);
    }
    now = common::monotonicMs();
    std::vector<std::shared_ptr<Waiting>> keep;
    keep.reserve(conns.size());
    for (size_t i = 0; i < conns.size(); ++i) {
      const auto& conn = conns[i];
      bool gone = false;
      if (r > 0 && (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) {
        if (conn->buf.empty() && conn->idleUntilMs > 0) {
          conn->deadlineMs = now + limits_.requestTimeoutMs;  // the next request starts now
        }
        char chunk[4096];
        for (;;) {
          ssize_t n = ::recv(conn->sock, chunk, sizeof chunk, MSG_DONTWAIT);
          if (n > 0) {
            conn->buf.append(chunk, static_cast<size_t>(n));
            if (conn->buf.size() > limits_.maxHeadBytes) break;
            continue;
          }
          if (n < 0 && errno == EINTR) continue;
          gone = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
          break;
        }
      }
      if (conn->hasHead()) {
        dispatch(conn);
        continue;
      }
      if (gone) {
        release(*conn);
        closeSocket(conn->sock);
        continue;
      }
      if (conn->buf.size() > limits_.maxHeadBytes) {
        counters_.headsTooLarge++;
        logRefusal(conn->ip, "closed a connection (request head too large)");
        release(*conn);
        answerAndClose(conn->sock,
                       plainAnswer(431, "Request Header Fields Too Large", "head_too_large",
                                   "The request head is too large; send fewer or "
                                   "shorter headers (cookies of other sites?)"));
        continue;
      }
      const bool idleOver = conn->buf.empty() && conn->idleUntilMs > 0 && now >= conn->idleUntilMs;
      if (idleOver || now >= conn->deadlineMs) {
        release(*conn);
        if (idleOver) {
          closeSocket(conn->sock);  // an ordinary end of keep-alive
          continue;
        }
        counters_.requestTimeouts++;
        logRefusal(conn->ip, "closed a connection (request not sent within request_timeout_s)");
        answerAndClose(conn->sock,
                       plainAnswer(408, "Request Timeout", "request_timeout",
                                   "The request did not arrive in time ([" + limits_.configTable +
                                       "] request_timeout_s); send it again in one piece"));
        continue;
      }
      keep.push_back(conn);
    }
    conns.swap(keep);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& conn : incoming_) conns.push_back(std::move(conn));
  incoming_.clear();
  for (const auto& conn : conns) {
    closeSocket(conn->sock);
    waiting_--;
    counters_.connectionsWaiting--;
  }
  waitingByAddress_.clear();
}

void GatedServer::serve(const std::shared_ptr<Waiting>& conn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      closeSocket(conn->sock);
      return;
    }
    serving_.insert(conn->sock);
  }
  GateStream stream(conn->sock, conn->ip, conn->port, std::move(conn->buf), conn->deadlineMs,
                    limits_.writeTimeoutMs);
  conn->buf.clear();
  const bool last = conn->served + 1 >= limits_.maxRequestsPerConnection;
  bool closed = false;
  bool ok = false;
  try {
    ok = process_request(stream, last, closed, [](httplib::Request&) {});
  } catch (const std::exception&) {
    ok = false;  // httplib answers handler exceptions itself; this is a failed write or read
  }
  conn->served++;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    serving_.erase(conn->sock);
  }
  if (!ok || closed || last) {
    closeSocket(conn->sock);
    return;
  }
  conn->buf = stream.unread();
  const int64_t now = common::monotonicMs();
  conn->idleUntilMs = now + limits_.keepAliveIdleMs;
  conn->deadlineMs = conn->idleUntilMs + limits_.requestTimeoutMs;
  admit(conn, false);
}

}  // namespace samband::web
