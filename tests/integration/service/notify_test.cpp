// Type=notify without systemd: the test binds its own notify socket, starts the real broker and
// agent with $NOTIFY_SOCKET and $WATCHDOG_USEC pointing at it (as systemd would), and reads
// what they send: READY=1 once serving, WATCHDOG=1 at half the interval, STOPPING=1 on SIGTERM.
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>

#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

class NotifySocket {
 public:
  NotifySocket() {
    char dir[] = "/tmp/samband-notify-XXXXXX";  // short: sun_path holds 108 bytes
    dir_ = ::mkdtemp(dir);
    path_ = dir_ + "/notify";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  bool bound() const { return bound_; }
  const std::string& path() const { return path_; }
  // Collects datagrams until `until` holds for what was read so far or `timeout` passes.
  std::vector<std::string> read(const std::function<bool(const std::vector<std::string>&)>& until,
                                std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!until(messages_) && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) == 1) {
        char buf[4096];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n > 0) messages_.emplace_back(buf, static_cast<size_t>(n));
      }
    }
    return messages_;
  }

 private:
  std::string dir_, path_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<std::string> messages_;
};

size_t count(const std::vector<std::string>& messages, const std::string& what) {
  size_t n = 0;
  for (const auto& m : messages) {
    if (m.find(what) != std::string::npos) ++n;
  }
  return n;
}

// Sets the variables systemd sets for a Type=notify unit with WatchdogSec=1s, for the processes
// this test starts; unset again at the end.
class SupervisedEnv {
 public:
  explicit SupervisedEnv(const std::string& socketPath) {
    ::setenv("NOTIFY_SOCKET", socketPath.c_str(), 1);
    ::setenv("WATCHDOG_USEC", "1000000", 1);
  }
  ~SupervisedEnv() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
  }
};

class NotifyTest : public CityFixture {};

TEST_F(NotifyTest, BrokerSaysReadyFeedsTheWatchdogAndSaysStopping) {
  NotifySocket socket;
  ASSERT_TRUE(socket.bound());
  {
    SupervisedEnv env(socket.path());
    startBroker();
  }
  auto got = socket.read(
      [](const auto& m) { return count(m, "READY=1") >= 1 && count(m, "WATCHDOG=1") >= 3; },
      std::chrono::seconds(10));
  ASSERT_EQ(count(got, "READY=1"), 1u);
  EXPECT_NE(got.front().find("STATUS=listening on " + endpoint()), std::string::npos)
      << got.front();
  EXPECT_GE(count(got, "WATCHDOG=1"), 3u) << "every 500 ms for WatchdogSec=1s";
  ASSERT_EQ(broker_->terminate(), 0);
  got = socket.read([](const auto& m) { return count(m, "STOPPING=1") >= 1; },
                    std::chrono::seconds(5));
  EXPECT_EQ(count(got, "STOPPING=1"), 1u);
}

TEST_F(NotifyTest, AgentSaysReadyAndFeedsTheWatchdogFromItsLoopEvenWithoutABroker) {
  const std::string config = makeAgent("A", "556677-8899", {"12345678"});
  NotifySocket socket;
  ASSERT_TRUE(socket.bound());
  std::unique_ptr<Process> agent;
  {
    SupervisedEnv env(socket.path());
    agent = runAgent(config);  // the broker is not running: the agent still serves its outbox
  }
  auto got = socket.read(
      [](const auto& m) { return count(m, "READY=1") >= 1 && count(m, "WATCHDOG=1") >= 3; },
      std::chrono::seconds(10));
  ASSERT_EQ(count(got, "READY=1"), 1u);
  EXPECT_NE(got.front().find("STATUS=reporting for 556677-8899"), std::string::npos) << got.front();
  EXPECT_GE(count(got, "WATCHDOG=1"), 3u);
  EXPECT_EQ(agent->terminate(), 0);
  got = socket.read([](const auto& m) { return count(m, "STOPPING=1") >= 1; },
                    std::chrono::seconds(5));
  EXPECT_EQ(count(got, "STOPPING=1"), 1u);
}

TEST_F(NotifyTest, WithoutANotifySocketNothingIsSentAndTheLogStaysOnStderr) {
  // JOURNAL_STREAM naming a file that is not stderr (as after a redirect): stderr lines.
  ::setenv("INVOCATION_ID", "0123456789abcdef0123456789abcdef", 1);
  ::setenv("JOURNAL_STREAM", "1:1", 1);
  startBroker();
  ::unsetenv("INVOCATION_ID");
  ::unsetenv("JOURNAL_STREAM");
  // startBroker waited for the "listening on" line on stderr: the lines went there.
  EXPECT_EQ(broker_->terminate(), 0);
}

}  // namespace
}  // namespace samband::testing
