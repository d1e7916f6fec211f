// The test-support TcpProxy (tests/support/tcp_proxy.h) that the live partition test puts on each
// replication link: it forwards both ways, cut() closes open connections and closes new ones
// before a byte passes, heal() forwards again. Plain sockets on 127.0.0.1.
#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace samband::testing {
namespace {

int connectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads up to `want` bytes within 5 s; "" when the peer closed first.
std::string readSome(int fd, size_t want) {
  std::string out;
  while (out.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    char buf[256];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// A one-connection-at-a-time echo server on a free port.
class Echo {
 public:
  Echo() {
    listen_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_, 8);
    socklen_t len = sizeof addr;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(listen_, nullptr, nullptr);
        if (c < 0) return;
        char buf[256];
        ssize_t n;
        while ((n = ::recv(c, buf, sizeof buf, 0)) > 0) ::send(c, buf, n, MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~Echo() {
    ::shutdown(listen_, SHUT_RDWR);
    ::close(listen_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  int listen_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(TcpProxy, ForwardsThenCutClosesAndRefusesThenHealForwardsAgain) {
  Echo echo;
  TcpProxy proxy(echo.port());
  int a = connectTo(proxy.port());
  ASSERT_GE(a, 0);
  ASSERT_EQ(::send(a, "hej", 3, MSG_NOSIGNAL), 3);
  EXPECT_EQ(readSome(a, 3), "hej");

  proxy.cut();
  // The open connection is closed.
  EXPECT_EQ(readSome(a, 1), "");
  ::close(a);
  // A new one is accepted by the kernel but closed before a byte passes.
  int b = connectTo(proxy.port());
  ASSERT_GE(b, 0);
  ::send(b, "x", 1, MSG_NOSIGNAL);
  EXPECT_EQ(readSome(b, 1), "");
  ::close(b);

  proxy.heal();
  int c = connectTo(proxy.port());
  ASSERT_GE(c, 0);
  ASSERT_EQ(::send(c, "igen", 4, MSG_NOSIGNAL), 4);
  EXPECT_EQ(readSome(c, 4), "igen");
  ::close(c);
  EXPECT_EQ(proxy.forwardedConnections(), 2);
}

}  // namespace
}  // namespace samband::testing
