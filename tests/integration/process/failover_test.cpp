// A standby broker, at the link level, with real processes on loopback: an agent initialised
// with two brokers (`--broker` twice, the second with its own transport key) and enrolled on
// both moves to the second within 10 s when the first is killed with SIGKILL, shows it in
// `status --json` and `doctor`, and returns to the first when it is back. The two brokers are
// independent here (no replication): the second one holds none of the agent's chain, so the
// agent keeps its reports for the first instead of forking its chain (docs/agent.md).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "tests/integration/process/city_fixture.h"
#include "tests/support/temp_dir.h"

namespace samband::testing {
namespace {

// The value of `key = HEX` in a public key file.
class Failover : public CityFixture {
 protected:
  void SetUp() override {
    CityFixture::SetUp();
    standbyPort_ = freePort();
    const int board = freePort();
    auto r = runCommand({brokerBin(), "init", "--dir", standbyDir(), "--listen", standbyEndpoint(),
                         "--board-listen", "127.0.0.1:" + std::to_string(board)});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    setTomlKey(standbyConfig(), "liveness", "stale_after_s", "5");
    setTomlKey(standbyConfig(), "readiness", "enabled", "false");
  }
  void TearDown() override {
    if (standby_) standby_->terminate();
    CityFixture::TearDown();
  }

  std::string standbyDir() const { return tmp_.path() + "/S"; }
  std::string standbyConfig() const { return standbyDir() + "/broker.toml"; }
  std::string standbyEndpoint() const { return "tcp://127.0.0.1:" + std::to_string(standbyPort_); }

  void startStandby() {
    standby_ = std::make_unique<Process>(
        std::vector<std::string>{brokerBin(), "serve", "--config", standbyConfig()},
        tmp_.path() + "/standby.log");
    ASSERT_TRUE(waitUntil([&] {
      return readWhole(tmp_.path() + "/standby.log").find("listening on") != std::string::npos;
    })) << "standby broker did not start";
  }

  nlohmann::json standbyProvider() {
    auto r = runCommand({brokerBin(), "status", "--config", standbyConfig(), "--json"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return nullptr;
    for (const auto& p : j["providers"]) {
      if (p["id"] == kProvider) return p;
    }
    return nullptr;
  }

  // `samband-agent init` with both brokers, enrolled at both; fast timings.
  std::string makeFailoverAgent() {
    const std::string dir = tmp_.path() + "/agent";
    const std::string standbyKey = keyLine(standbyDir() + "/city.pub", "curve_public");
    EXPECT_EQ(standbyKey.size(), 64u);
    auto r = runCommand({agentBin(), "init", "--dir", dir, "--provider", kProvider, "--name",
                         "Skolbolaget", "--broker", endpoint(), "--broker",
                         standbyEndpoint() + "=" + standbyKey, "--city-keys",
                         brokerDir() + "/city.pub", "--unit", kUnit});
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    const std::string config = dir + "/agent.toml";
    setTomlKey(config, "timing", "heartbeat_interval_s", "1");
    setTomlKey(config, "link", "ack_timeout_ms", "1000");
    setTomlKey(config, "link", "reconnect_min_ms", "50");
    setTomlKey(config, "link", "reconnect_max_ms", "500");
    setTomlKey(config, "link", "failover_after_ms", "1000");
    setTomlKey(config, "link", "failback_jitter_s", "2");
    for (const auto& brokerConfig : {this->brokerConfig(), standbyConfig()}) {
      auto e = runCommand({brokerBin(), "enroll", "--config", brokerConfig, "--request",
                           dir + "/enroll-request.json"});
      EXPECT_EQ(e.exitCode, 0) << e.out << e.err;
    }
    return config;
  }

  int standbyPort_ = 0;
  std::unique_ptr<Process> standby_;
};

TEST_F(Failover, AgentMovesToTheStandbyWithinTenSecondsOfAKillAndComesBack) {
  const std::string agent = makeFailoverAgent();
  const std::string toml = readWhole(agent);
  EXPECT_NE(toml.find("brokers = [\"" + endpoint() + "\", \"" + standbyEndpoint() + "="),
            std::string::npos)
      << toml;
  startBroker();
  startStandby();
  auto run = runAgent(agent);

  ASSERT_TRUE(waitUntil([&] {
    auto st = agentStatus(agent);
    return st["connected"] == true && st["broker"] == endpoint();
  }));
  report(agent, kUnit, {"--operational", "reduced", "--pupils-present", "100"});
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["last_acked_seq"] == 1; }));

  killBroker();
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(waitUntil(
      [&] {
        auto st = agentStatus(agent);
        return st["connected"] == true && st["broker"] == standbyEndpoint();
      },
      std::chrono::seconds(10)))
      << agentStatus(agent).dump(2);
  EXPECT_LT(std::chrono::steady_clock::now() - killed, std::chrono::seconds(10));
  // The standby sees the agent alive (its heartbeats are signed and enrolled there too).
  ASSERT_TRUE(waitUntil([&] {
    auto p = standbyProvider();
    return !p.is_null() && p["liveness"] == "online";
  }));
  auto st = agentStatus(agent);
  EXPECT_EQ(st["failovers"], 1);
  ASSERT_EQ(st["brokers"].size(), 2u);
  EXPECT_EQ(st["brokers"][0]["endpoint"], endpoint());
  EXPECT_EQ(st["brokers"][0]["preferred"], true);
  EXPECT_EQ(st["brokers"][0]["current"], false);
  EXPECT_EQ(st["brokers"][0]["reachable"], false);
  EXPECT_EQ(st["brokers"][1]["current"], true);
  EXPECT_EQ(st["brokers"][1]["reachable"], true);

  // doctor names both; the dead one is only a warning while the standby answers.
  auto doctor = runCommand({agentBin(), "doctor", "--config", agent});
  EXPECT_NE(doctor.out.find(standbyEndpoint() + " succeeded"), std::string::npos) << doctor.out;
  EXPECT_NE(doctor.out.find("another broker of the city answers"), std::string::npos) << doctor.out;

  // A report made while on the independent standby waits: that broker holds nothing of this
  // agent's chain, and following it would fork the chain the first broker holds.
  report(agent, kUnit, {"--pupils-present", "90"});
  ASSERT_TRUE(waitUntil([&] {
    auto s = agentStatus(agent);
    return s["last_error"].is_string() &&
           s["last_error"].get<std::string>().find("catch up") != std::string::npos;
  })) << agentStatus(agent).dump(2);
  EXPECT_EQ(agentStatus(agent)["head_seq"], 2);

  startBroker();  // the first broker is back, with everything it had acknowledged
  ASSERT_TRUE(waitUntil(
      [&] {
        auto s = agentStatus(agent);
        return s["connected"] == true && s["broker"] == endpoint();
      },
      std::chrono::seconds(15)))
      << agentStatus(agent).dump(2);
  EXPECT_EQ(agentStatus(agent)["failbacks"], 1);
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["last_acked_seq"] == 2; }))
      << agentStatus(agent).dump(2);
  ASSERT_TRUE(waitUntil([&] {
    auto u = unitStatus(kUnit);
    return !u.is_null() && u["pupils_present"] == 90;
  })) << unitStatus(kUnit).dump(2);

  // Nothing stored twice, no gap, nothing the first broker acknowledged lost.
  int code = -1;
  auto a = audit(&code);
  EXPECT_EQ(code, 0) << a.dump(2);
  EXPECT_EQ(a["duplicates"], 0) << a.dump(2);
  EXPECT_EQ(a["chain_breaks"], 0) << a.dump(2);
  run->terminate();
}

TEST_F(Failover, AnAgentWithOneBrokerKeepsTheClassicConfig) {
  auto r = runCommand({agentBin(), "init", "--dir", tmp_.path() + "/one", "--provider", kProvider,
                       "--name", "Skolbolaget", "--broker", endpoint(), "--city-keys",
                       brokerDir() + "/city.pub", "--unit", kUnit});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::string toml = readWhole(tmp_.path() + "/one/agent.toml");
  EXPECT_NE(toml.find("\nendpoint = \"" + endpoint() + "\""), std::string::npos) << toml;
  EXPECT_EQ(toml.find("\nbrokers = "), std::string::npos) << toml;
  auto st = agentStatus(tmp_.path() + "/one/agent.toml");
  EXPECT_EQ(st["broker"], endpoint());
  ASSERT_EQ(st["brokers"].size(), 1u);
  EXPECT_EQ(st["brokers"][0]["reachable"], nullptr);
}

TEST_F(Failover, SetupTakesAStandbyBrokerWithItsOwnKey) {
  const std::string standbyKey = keyLine(standbyDir() + "/city.pub", "curve_public");
  auto setup = [&](const std::string& second) {
    return runCommand({agentBin(), "setup", "--config", tmp_.path() + "/etc/agent.toml",
                       "--state-dir", tmp_.path() + "/state", "--provider", kProvider, "--name",
                       "Skolbolaget", "--broker", "127.0.0.1:17000", "--broker", second,
                       "--city-keys", brokerDir() + "/city.pub", "--unit", kUnit, "--no-input"});
  };
  auto bad = setup("127.0.0.1:17001=abc");
  EXPECT_EQ(bad.exitCode, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("--broker"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("64 hex digits"), std::string::npos) << bad.err;

  auto r = setup("127.0.0.1:17001=" + standbyKey);
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  const std::string toml = readWhole(tmp_.path() + "/etc/agent.toml");
  EXPECT_NE(toml.find("brokers = [\"tcp://127.0.0.1:17000\", \"tcp://127.0.0.1:17001=" +
                      standbyKey + "\"]"),
            std::string::npos)
      << toml;
  auto st = agentStatus(tmp_.path() + "/etc/agent.toml");
  ASSERT_EQ(st["brokers"].size(), 2u) << st.dump(2);
  EXPECT_EQ(st["brokers"][1]["endpoint"], "tcp://127.0.0.1:17001");
  EXPECT_EQ(st["brokers"][1]["preferred"], false);
}

}  // namespace
}  // namespace samband::testing
