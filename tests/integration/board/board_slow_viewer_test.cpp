// A viewer that stops reading its live stream (a frozen tab, a stalled proxy) over real loopback
// sockets: every other viewer still gets each change within a second. (Each stream has its own
// worker thread and writes the newest version only, so a stuck one queues nothing in the board;
// it blocks in its own write until the kernel's send buffer drains or [board]'s 10 s write
// timeout ends it.)
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/integration/board/board_fixture.h"
#include "tests/support/wait.h"

namespace samband::broker::testing {
namespace {

using namespace std::chrono_literals;

// Opens /api/events with a tiny receive buffer and never reads from it.
class StuckViewer {
 public:
  StuckViewer(int port, const std::string& cookie) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 1024;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    const std::string req =
        "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + cookie + "\r\n\r\n";
    connected_ =
        ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  }
  ~StuckViewer() { ::close(fd_); }
  StuckViewer(const StuckViewer&) = delete;
  StuckViewer& operator=(const StuckViewer&) = delete;
  bool connected() const { return connected_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

TEST_F(BoardFixture, AViewerThatStopsReadingDoesNotHoldUpTheOthers) {
  // Keepalives every 2 ms fill the stuck viewer's socket buffers within a second or two.
  board_->setStreamHeartbeatMs(2);
  auto stuckLogin = login(kViewer);
  auto who = login(kViewer);
  StuckViewer stuck(board_->port(), stuckLogin.cookie);
  ASSERT_TRUE(stuck.connected());
  ASSERT_TRUE(samband::testing::waitUntil([&] { return metrics_.sseClients.load() == 1; }, 5s));
  EventStream events(client(), as(who));
  ASSERT_TRUE(events.waitFor("event: hello", 5s));
  ASSERT_EQ(metrics_.sseClients.load(), 2);
  std::this_thread::sleep_for(2s);  // the stuck stream's buffers are full by now: its write blocks
  EXPECT_EQ(metrics_.sseClients.load(), 2) << "the stuck stream was dropped before it blocked";
  for (const char* state : {"closed", "normal"}) {
    const auto before = std::chrono::steady_clock::now();
    report("12345678", state, "");
    const int64_t frame = db().db().execAndGet("SELECT max(id) FROM frames").getInt64();
    EXPECT_TRUE(events.waitFor("\"frame_id\":" + std::to_string(frame) + ",", 1s))
        << "no change event for frame " << frame << " within a second";
    EXPECT_LT(std::chrono::steady_clock::now() - before, 1500ms);
  }
}

}  // namespace
}  // namespace samband::broker::testing
