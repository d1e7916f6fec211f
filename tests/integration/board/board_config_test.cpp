// The [board] table of broker.toml: defaults, addresses, and errors that name the key to fix.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "broker/board/board_config.h"
#include "broker/cli/broker_config.h"
#include "tests/support/temp_dir.h"

namespace samband::broker {
namespace {

class BoardConfig : public ::testing::Test {
 protected:
  // Loads a broker.toml whose [board] table is `board`.
  common::Result<BoardOptions> load(const std::string& board) {
    const std::string path = dir_ + "/broker.toml";
    std::ofstream(path) << "[broker]\nlisten = \"tcp://127.0.0.1:7700\"\n\n[board]\n"
                        << "listen = \"127.0.0.1:8080\"\n"
                        << board << "\n";
    auto cfg = loadBrokerConfig(path);
    if (!cfg) return cfg.error();
    return loadBoardOptions(*cfg);
  }
  samband::testing::TempDir tmp_;
  std::string dir_ = tmp_.path();
};

TEST(BoardListen, ParsesHostAndPort) {
  auto v4 = parseHostPort("127.0.0.1:8080");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->first, "127.0.0.1");
  EXPECT_EQ(v4->second, 8080);
  auto v6 = parseHostPort("[::1]:9000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 9000);
  EXPECT_TRUE(parseHostPort("0.0.0.0:0").ok());
  for (const char* bad : {"", "8080", "localhost", ":8080", "host:", "host:99999", "::1:80",
                          "[::1]", "[::1]80", "host:8o"}) {
    auto r = parseHostPort(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST_F(BoardConfig, DefaultsAreLoopbackAndTwelveHourSessions) {
  auto o = load("");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 8080);
  EXPECT_EQ(o->sessionTtlMs, 12 * 3600 * 1000LL);
  EXPECT_FALSE(o->secureCookies);
  EXPECT_TRUE(o->tlsCert.empty());
  EXPECT_TRUE(o->metricsToken.empty());
}

TEST_F(BoardConfig, TlsImpliesSecureCookiesAndNeedsBothFiles) {
  auto both = load("tls_cert = \"b.crt\"\ntls_key = \"b.key\"");
  ASSERT_TRUE(both.ok()) << both.error().message;
  EXPECT_TRUE(both->secureCookies);
  EXPECT_EQ(both->tlsCert, dir_ + "/b.crt") << "relative to the config file";
  auto one = load("tls_cert = \"b.crt\"");
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.error().message.find("tls_cert and tls_key go together"), std::string::npos);
}

TEST_F(BoardConfig, ErrorsNameTheKey) {
  auto ttl = load("session_ttl_s = 5");
  ASSERT_FALSE(ttl.ok());
  EXPECT_NE(ttl.error().message.find("[board] session_ttl_s"), std::string::npos)
      << ttl.error().message;
  auto secure = load("secure_cookies = \"yes\"");
  ASSERT_FALSE(secure.ok());
  EXPECT_NE(secure.error().message.find("[board] secure_cookies"), std::string::npos);
  auto token = load("metrics_token_file = \"missing.token\"");
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().message.find("[board] metrics_token_file"), std::string::npos);
  std::ofstream(dir_ + "/short.token") << "abc\n";
  auto shortToken = load("metrics_token_file = \"short.token\"");
  ASSERT_FALSE(shortToken.ok());
  EXPECT_NE(shortToken.error().message.find("at least 16"), std::string::npos);
  std::ofstream(dir_ + "/good.token") << "0123456789abcdef0123\n";
  auto good = load("metrics_token_file = \"good.token\"");
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->metricsToken, "0123456789abcdef0123");
}

TEST_F(BoardConfig, NewBrokerConfigVerifiesOnEveryCore) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  EXPECT_EQ(defaultVerifyThreads(), std::clamp(cores, 1, 8));
  const std::string path = dir_ + "/broker.toml";
  std::ofstream(path) << defaultBrokerConfigText("tcp://127.0.0.1:7700", "127.0.0.1:8080");
  auto cfg = loadBrokerConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->server.verifyThreads, defaultVerifyThreads());
}

TEST_F(BoardConfig, NewBrokerConfigShowsACommentedCalendarAndKeepsSkip) {
  const std::string text = defaultBrokerConfigText("tcp://127.0.0.1:7700", "127.0.0.1:8080");
  EXPECT_NE(text.find("[calendar]\n"), std::string::npos);
  EXPECT_NE(text.find("# holidays = [[\"2027-02-22\", \"2027-02-26\", \"sportlov\"]"),
            std::string::npos);
  const std::string path = dir_ + "/broker.toml";
  std::ofstream(path) << text;
  auto cfg = loadBrokerConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_TRUE(cfg->holidays.empty());
  EXPECT_TRUE(cfg->readiness.skip.empty());
}

TEST_F(BoardConfig, CalendarHolidaysAreReadBesideReadinessSkip) {
  const std::string path = dir_ + "/broker.toml";
  std::ofstream(path) << "[readiness]\nskip = [\"2027-04-02\"]\n\n[calendar]\n"
                      << "holidays = [[\"2027-02-22\", \"2027-02-26\", \"sportlov\"]]\n";
  auto cfg = loadBrokerConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_EQ(cfg->holidays.size(), 1u);
  EXPECT_EQ(cfg->holidays[0].name, "sportlov");
  ASSERT_EQ(cfg->readiness.skip.size(), 1u);

  std::ofstream(path) << "[calendar]\nholidays = [[\"2027-02-22\", \"sportlov\"]]\n";
  auto bad = loadBrokerConfig(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(path + ": [calendar] holidays"), std::string::npos);
}

}  // namespace
}  // namespace samband::broker
