// Connection floods against a real broker process: raw TCP connections that never start a CURVE
// handshake (no key is needed to open one) must neither exhaust the broker's descriptors nor
// lock out agents, whether they are connected already or connect during the flood.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <atomic>
#include <thread>
#include <vector>

#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

constexpr int kFloodConnections = 2000;

// Opens a TCP connection to 127.0.0.1:port and sends nothing. -1 when it fails.
int openIdle(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True when the broker closed `fd` (EOF or reset); reads whatever greeting it sent.
bool closedByPeer(int fd) {
  char buf[256];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

class Flood : public CityFixture {
 protected:
  void SetUp() override {
    CityFixture::SetUp();
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved_), 0);
    ASSERT_GE(saved_.rlim_max, static_cast<rlim_t>(kFloodConnections + 1024))
        << "the hard open-file limit is too low for this test; raise it (ulimit -Hn)";
  }
  void TearDown() override {
    stop_ = true;
    if (attacker_.joinable()) attacker_.join();
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
    setrlimit(RLIMIT_NOFILE, &saved_);
    CityFixture::TearDown();
  }

  // Starts the broker with the 1,024-descriptor soft limit most systems give a service by default
  // (the hard limit stays), so the test sees whether the broker raises it itself.
  void startBrokerWithDefaultLimit() {
    rlimit low = saved_;
    low.rlim_cur = 1024;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    startBroker();
    rlimit mine = saved_;
    mine.rlim_cur = saved_.rlim_max;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &mine), 0);
  }

  // Holds kFloodConnections idle connections open, reopening each one the broker closes, as an
  // attacker would, until TearDown.
  void startAttacker() {
    fds_.assign(kFloodConnections, -1);
    for (int& fd : fds_) fd = openIdle(port_);
    attacker_ = std::thread([this] {
      while (!stop_) {
        for (int& fd : fds_) {
          if (stop_) break;
          if (fd < 0 || closedByPeer(fd)) {
            if (fd >= 0) ::close(fd);
            fd = openIdle(port_);
            if (fd >= 0) reopened_++;
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // pacing, not a wait
      }
    });
  }

  int openNow() const {
    int n = 0;
    for (int fd : fds_) n += fd >= 0 ? 1 : 0;
    return n;
  }

  rlimit saved_{};
  std::vector<int> fds_;
  std::thread attacker_;
  std::atomic<bool> stop_{false};
  std::atomic<int> reopened_{0};
};

TEST_F(Flood, IdleConnectionsNeitherLockOutConnectedNorNewAgents) {
  std::string early = makeAgent("early", "556677-8899", {"12345678"});
  std::string late = makeAgent("late", "212000-0142", {"55555555"});
  startBrokerWithDefaultLimit();
  auto earlyRun = runAgent(early);
  report(early, "12345678", {"--operational", "reduced"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus("12345678")["operational"] == "reduced"; }));

  startAttacker();
  EXPECT_GE(openNow(), kFloodConnections * 9 / 10) << "the flood could not be opened";

  // The connected agent is still served during the flood.
  report(early, "12345678", {"--operational", "closed"});
  EXPECT_TRUE(waitUntil([&] { return unitStatus("12345678")["operational"] == "closed"; },
                        std::chrono::seconds(30)));
  // A new agent connects and is served during the flood.
  auto lateRun = runAgent(late);
  report(late, "55555555", {"--operational", "reduced"});
  EXPECT_TRUE(waitUntil([&] { return unitStatus("55555555")["operational"] == "reduced"; },
                        std::chrono::seconds(30)));
  // Idle connections are closed by the handshake timeout, and the attacker has to reopen them.
  EXPECT_TRUE(
      waitUntil([&] { return reopened_ >= kFloodConnections / 2; }, std::chrono::seconds(30)))
      << "idle connections were not closed by the broker (reopened " << reopened_ << ")";
  EXPECT_TRUE(brokerRunning());
}

}  // namespace
}  // namespace samband::testing
