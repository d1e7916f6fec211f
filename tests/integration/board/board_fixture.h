// BoardFixture: a real Board on a free loopback port over a real temporary database, seeded
// with providers, units, reports (as signed frames in the archive) and two accounts, a city
// identity for the directives the board signs, and a FakeClock so session expiry and login
// slow-down are tested without sleeping.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "broker/board/board.h"
#include "broker/metrics/metrics.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/identity.h"
#include "tests/support/temp_dir.h"

namespace samband::broker::testing {

inline constexpr const char* kViewer = "olle.viewer";
inline constexpr const char* kOperator = "anna.operator";
inline constexpr const char* kPassword = "korrekt häst batteri";
inline constexpr const char* kProvider = "556677-8899";
inline constexpr const char* kOtherProvider = "112233-4455";
inline constexpr int64_t kStartMs = 1'795'000'000'000;  // 2026-11-18

struct LoggedIn {
  std::string cookie;  // "samband_session=..."
  std::string csrf;
  nlohmann::json body;
};

// Reads /api/events on its own thread and keeps what arrived, so a test can wait for a line.
// The stream is closed when the object goes away.
class EventStream {
 public:
  EventStream(httplib::Client client, httplib::Headers headers);
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // True as soon as `what` has arrived, false if it has not within `limit`.
  bool waitFor(const std::string& what, std::chrono::milliseconds limit);

 private:
  bool has(const std::string& what);

  std::mutex mutex_;
  std::string received_;
  std::atomic<bool> done_{false};
  std::thread reader_;
};

// A raw TCP connection to the board from `source` (any 127/8 address works on Linux loopback),
// for tests that must choose the client's address or send a request a byte at a time, as an
// attacker would. Closed when the object goes away.
class RawConnection {
 public:
  RawConnection(const std::string& source, int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool isOpen() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  // Reads until `what` has arrived (true), or the board closed the connection or `limit` passed.
  bool readUntil(const std::string& what, std::chrono::milliseconds limit);
  // Reads until the board closes the connection (true) or `limit` passes (false).
  bool readToEnd(std::chrono::milliseconds limit);
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
  bool readSome(std::chrono::steady_clock::time_point until);
};

// One HTTP answer, as read from a RawConnection.
struct RawAnswer {
  int status = -1;  // -1: no answer
  std::string head;
  std::string body;
  std::string header(const std::string& name) const;  // first header of that name, or ""
};

// Sends one request with "Connection: close" from `source` and reads the whole answer.
RawAnswer rawRequest(const std::string& source, int port, const std::string& method,
                     const std::string& path, const std::string& extraHeaders = "",
                     const std::string& body = "",
                     std::chrono::milliseconds limit = std::chrono::seconds(10));

class BoardFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A fresh client for the board (no cookies are kept between calls).
  httplib::Client client();
  LoggedIn login(const std::string& name, const std::string& password = kPassword);
  httplib::Headers as(const LoggedIn& who, bool withCsrf = false);
  // Checks that `r` is an answer with `status` and returns its JSON "error" code ("" and a
  // test failure when there is no answer or no such code).
  static std::string errorOf(const httplib::Result& r, int status);
  // Stops the board and starts a new one with options_ (same database, clock and metrics).
  void restartBoard();
  // Logs in over a raw connection from `source`; the cookie ("" when refused) and the answer.
  std::pair<std::string, RawAnswer> loginFrom(const std::string& source, const std::string& name,
                                              const std::string& password = kPassword);
  // A read-write connection for the test to play the committer or the CLI.
  Store& db() { return *store_; }

  // Archives a signed unit report from kProvider (real envelope) and updates the picture as
  // the committer would.
  void report(const std::string& unit, const std::string& operational, const std::string& note,
              const std::string& mode = "actual", const std::string& closedUntil = "");
  // A capacity row (the picture table only).
  void capacity(const std::string& unit, const std::string& form, int year, int enrolled,
                int seatsNow, int seats72h);

  samband::testing::TempDir tmp_;
  std::string dir_;  // tmp_.path()
  std::unique_ptr<Store> store_;
  std::unique_ptr<common::Identity> identity_;
  std::unique_ptr<common::Identity> city_;  // signs directives and readiness checks
  common::FakeClock clock_{kStartMs};
  Metrics metrics_;
  std::unique_ptr<Board> board_;
  BoardOptions options_;
  uint64_t seq_ = 0;
  common::Bytes prevHash_;
};

}  // namespace samband::broker::testing
