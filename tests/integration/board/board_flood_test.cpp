// Floods against a real Board over loopback (issue 10, §2): clients that never finish their
// request head, too many connections from one address, one session or address holding the live
// streams. Each test asserts the refusal and that a well-behaved user on another address is
// still served. Floods are bounded: a fixed number of sockets, closed when the test ends.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/board/board_fixture.h"
#include "tests/support/wait.h"

namespace samband::broker::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using samband::testing::waitUntil;

// The legitimate user comes from here; floods come from 127.0.0.1 and 127.0.1.x.
constexpr const char* kUserAddress = "127.0.0.2";

// A well-behaved user logs in and reads the units and /healthz; returns the time it took.
std::chrono::milliseconds serveUser(const std::string& cookie, int port) {
  const auto start = std::chrono::steady_clock::now();
  RawAnswer units =
      rawRequest(kUserAddress, port, "GET", "/api/units", "Cookie: " + cookie + "\r\n");
  EXPECT_EQ(units.status, 200) << units.head << units.body;
  EXPECT_TRUE(json::parse(units.body, nullptr, false).contains("units"));
  RawAnswer health = rawRequest(kUserAddress, port, "GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health.head << health.body;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

TEST_F(BoardFixture, TwoHundredSlowClientsDoNotStopTheBoardForOthers) {
  options_.requestTimeoutMs = 3000;
  restartBoard();
  const int port = board_->port();
  // 200 clients on 10 addresses (20 each, under the per-address cap), each sending the start of
  // a request head and never the end: stock httplib gave each a worker and stopped answering.
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 200; ++i) {
    auto c = std::make_unique<RawConnection>("127.0.1." + std::to_string(1 + i % 10), port);
    ASSERT_TRUE(c->isOpen()) << i;
    ASSERT_TRUE(c->send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    slow.push_back(std::move(c));
  }
  ASSERT_TRUE(waitUntil([&] { return board_->counters().connectionsWaiting.load() >= 200; }, 5s))
      << board_->counters().connectionsWaiting.load();

  const auto start = std::chrono::steady_clock::now();
  auto [cookie, login] = loginFrom(kUserAddress, kViewer);
  ASSERT_EQ(login.status, 200) << login.head << login.body;
  serveUser(cookie, port);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << "served while 200 clients dawdle";
  EXPECT_EQ(board_->counters().connectionsRefusedPerAddress.load(), 0u);

  // Each slow client loses its connection at the deadline, with a 408 that says why.
  for (int i = 0; i < 200; i += 40) {
    ASSERT_TRUE(slow[i]->readToEnd(6s)) << "connection " << i << " still open";
    EXPECT_EQ(slow[i]->received().rfind("HTTP/1.1 408", 0), 0u) << slow[i]->received();
    EXPECT_NE(slow[i]->received().find("request_timeout_s"), std::string::npos);
  }
  EXPECT_TRUE(waitUntil([&] { return board_->counters().requestTimeouts.load() >= 200; }, 5s));
  EXPECT_LT(serveUser(cookie, port), 2s);
}

TEST_F(BoardFixture, AClientTricklingItsHeadLosesTheConnectionAtTheDeadline) {
  options_.requestTimeoutMs = 1500;
  restartBoard();
  RawConnection c("127.0.0.1", board_->port());
  ASSERT_TRUE(c.isOpen());
  const std::string head =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(200, 'a');
  // One byte every 50 ms: each read finishes quickly, so a per-read timeout never fires.
  const auto start = std::chrono::steady_clock::now();
  size_t sent = 0;
  while (sent < head.size() && c.send(head.substr(sent, 1))) {
    ++sent;
    if (c.readToEnd(50ms)) break;
  }
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(sent, head.size()) << "the board kept reading past its deadline";
  EXPECT_GE(took, 1400ms);
  EXPECT_LT(took, 4s);
  EXPECT_EQ(c.received().rfind("HTTP/1.1 408", 0), 0u) << c.received();
  EXPECT_EQ(rawRequest(kUserAddress, board_->port(), "GET", "/healthz").status, 200);
}

TEST_F(BoardFixture, ConnectionsBeyondTheCapPerAddressAreRefusedAtOnce) {
  options_.maxWaitingPerAddress = 8;
  restartBoard();
  const int port = board_->port();
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(std::make_unique<RawConnection>("127.0.0.1", port));
    ASSERT_TRUE(idle.back()->isOpen());
  }
  ASSERT_TRUE(waitUntil([&] { return board_->counters().connectionsWaiting.load() >= 8; }, 5s));
  RawConnection extra("127.0.0.1", port);
  ASSERT_TRUE(extra.isOpen());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(extra.readToEnd(2s)) << "the excess connection should be closed at once";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(extra.received().rfind("HTTP/1.1 429", 0), 0u) << extra.received();
  EXPECT_NE(extra.received().find("max_waiting_per_address"), std::string::npos);
  EXPECT_EQ(board_->counters().connectionsRefusedPerAddress.load(), 1u);
  // Another address is served meanwhile; /metrics counts the refusal.
  RawAnswer metrics = rawRequest(kUserAddress, port, "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("samband_board_connections_refused_total{reason=\"per_address\"} 1"),
            std::string::npos);
  // Once the idle connections are gone, the address is welcome again.
  idle.clear();
  EXPECT_TRUE(waitUntil([&] { return board_->counters().connectionsWaiting.load() == 0; }, 5s));
  EXPECT_EQ(rawRequest("127.0.0.1", port, "GET", "/healthz").status, 200);
}

TEST_F(BoardFixture, OneSessionOrAddressCannotHoldEveryLiveStream) {
  options_.threads = 16;  // 8 stream slots in all
  options_.streamsPerSession = 2;
  options_.streamsPerAddress = 3;
  restartBoard();
  board_->setStreamHeartbeatMs(100);  // a closed stream is noticed at its next write
  const int port = board_->port();
  auto [mine, loginA] = loginFrom("127.0.0.1", kViewer);
  ASSERT_EQ(loginA.status, 200);
  auto openStream = [&](const std::string& source, const std::string& cookie) {
    auto c = std::make_unique<RawConnection>(source, port);
    c->send("GET /api/events HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n");
    return c;
  };
  std::vector<std::unique_ptr<RawConnection>> streams;
  for (int i = 0; i < 2; ++i) {
    streams.push_back(openStream("127.0.0.1", mine));
    ASSERT_TRUE(streams.back()->readUntil("event: hello", 3s)) << streams.back()->received();
  }
  auto third = openStream("127.0.0.1", mine);
  EXPECT_TRUE(third->readUntil("streams_per_session", 3s)) << third->received();
  EXPECT_EQ(third->received().rfind("HTTP/1.1 429", 0), 0u) << third->received();

  // A second session from the same address gets the address's last slot, then no more.
  auto [other, loginB] = loginFrom("127.0.0.1", kOperator);
  ASSERT_EQ(loginB.status, 200);
  streams.push_back(openStream("127.0.0.1", other));
  ASSERT_TRUE(streams.back()->readUntil("event: hello", 3s));
  auto fourth = openStream("127.0.0.1", other);
  EXPECT_TRUE(fourth->readUntil("streams_per_address", 3s)) << fourth->received();
  EXPECT_EQ(fourth->received().rfind("HTTP/1.1 429", 0), 0u) << fourth->received();
  EXPECT_EQ(board_->counters().streamsRefusedPerSession.load(), 1u);
  EXPECT_EQ(board_->counters().streamsRefusedPerAddress.load(), 1u);

  // Others are still served: a user on another address gets a stream and the data.
  auto [theirs, loginC] = loginFrom(kUserAddress, kViewer);
  ASSERT_EQ(loginC.status, 200);
  auto fresh = openStream(kUserAddress, theirs);
  EXPECT_TRUE(fresh->readUntil("event: hello", 3s)) << fresh->received();
  EXPECT_LT(serveUser(theirs, port), 2s);
  // A closed stream frees its slot.
  streams.front().reset();
  EXPECT_TRUE(waitUntil(
      [&] {
        auto again = openStream("127.0.0.1", mine);
        return again->readUntil("event: hello", 1s);
      },
      5s));
}

}  // namespace
}  // namespace samband::broker::testing
