// See tcp_proxy.h.
#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace samband::testing {

namespace {

// A forwarded connection stops reading a side while this much waits to be written to the other.
constexpr size_t kMaxBuffered = 4 * 1024 * 1024;

void setNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

struct Link {
  int fd[2] = {-1, -1};    // 0: the client that connected to the proxy, 1: the target
  std::string pending[2];  // bytes waiting to be written to fd[i]
  bool open = true;

  void close() {
    for (int& f : fd) {
      if (f >= 0) ::close(f);
      f = -1;
    }
    open = false;
  }
};

// Reads what fd[from] has into pending[1 - from]; false when that side closed or failed.
bool pump(Link& l, int from) {
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(l.fd[from], buf, sizeof buf, 0);
    if (n > 0) {
      l.pending[1 - from].append(buf, static_cast<size_t>(n));
      if (l.pending[1 - from].size() >= kMaxBuffered) return true;
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
}

// Writes what it can of pending[to] to fd[to]; false when that side failed.
bool flush(Link& l, int to) {
  while (!l.pending[to].empty()) {
    // MSG_NOSIGNAL: a peer that closed must not raise SIGPIPE in the test process.
    ssize_t n = ::send(l.fd[to], l.pending[to].data(), l.pending[to].size(), MSG_NOSIGNAL);
    if (n > 0) {
      l.pending[to].erase(0, static_cast<size_t>(n));
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(int targetPort) : targetPort_(targetPort) {
  listenFd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listenFd_ < 0) throw std::runtime_error("TcpProxy: socket failed");
  int one = 1;
  ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = loopback(0);
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listenFd_, 64) != 0) {
    ::close(listenFd_);
    throw std::runtime_error("TcpProxy: cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  setNonBlocking(listenFd_);
  int p[2];
  if (::pipe(p) != 0) {
    ::close(listenFd_);
    throw std::runtime_error("TcpProxy: pipe failed");
  }
  wakeRead_ = p[0];
  wakeWrite_ = p[1];
  setNonBlocking(wakeRead_);
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  wake();
  thread_.join();
  ::close(listenFd_);
  ::close(wakeRead_);
  ::close(wakeWrite_);
}

void TcpProxy::wake() {
  char c = 1;
  [[maybe_unused]] ssize_t n = ::write(wakeWrite_, &c, 1);
}

void TcpProxy::cut() {
  std::unique_lock<std::mutex> lock(mutex_);
  isCut_ = true;
  const uint64_t request = ++cutRequests_;
  wake();
  cutDone_.wait(lock, [&] { return cutsDone_ >= request; });
}

void TcpProxy::heal() { isCut_ = false; }

void TcpProxy::run() {
  std::vector<std::unique_ptr<Link>> links;
  while (!stopping_) {
    std::vector<pollfd> fds;
    fds.push_back({wakeRead_, POLLIN, 0});
    fds.push_back({listenFd_, POLLIN, 0});
    for (const auto& l : links) {
      for (int i = 0; i < 2; ++i) {
        short events = 0;
        if (l->pending[1 - i].size() < kMaxBuffered) events |= POLLIN;
        if (!l->pending[i].empty()) events |= POLLOUT;
        fds.push_back({l->fd[i], events, 0});
      }
    }
    if (::poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR) break;

    if (fds[0].revents & POLLIN) {
      char buf[64];
      while (::read(wakeRead_, buf, sizeof buf) > 0) {
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cutsDone_ < cutRequests_) {
        for (auto& l : links) l->close();
        links.clear();
        cutsDone_ = cutRequests_;
        cutDone_.notify_all();
        continue;
      }
    }
    for (size_t k = 0; k < links.size(); ++k) {
      Link& l = *links[k];
      for (int i = 0; i < 2 && l.open; ++i) {
        const short rev = fds[2 + 2 * k + static_cast<size_t>(i)].revents;
        if (rev & (POLLIN | POLLHUP | POLLERR)) {
          if (!pump(l, i)) l.close();
        }
      }
      for (int i = 0; i < 2 && l.open; ++i) {
        if (!flush(l, i)) l.close();
      }
    }
    links.erase(std::remove_if(links.begin(), links.end(), [](const auto& l) { return !l->open; }),
                links.end());

    if (fds[1].revents & POLLIN) {
      for (;;) {
        int client = ::accept(listenFd_, nullptr, nullptr);
        if (client < 0) break;
        if (isCut_) {
          // Refused: closed before a byte passes.
          ::close(client);
          continue;
        }
        int target = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr = loopback(targetPort_);
        if (target < 0 || ::connect(target, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
          if (target >= 0) ::close(target);
          ::close(client);
          continue;
        }
        int one = 1;
        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(target, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setNonBlocking(client);
        setNonBlocking(target);
        auto l = std::make_unique<Link>();
        l->fd[0] = client;
        l->fd[1] = target;
        links.push_back(std::move(l));
        ++forwarded_;
      }
    }
  }
  for (auto& l : links) l->close();
  std::lock_guard<std::mutex> lock(mutex_);
  cutsDone_ = cutRequests_;
  cutDone_.notify_all();
}

}  // namespace samband::testing
