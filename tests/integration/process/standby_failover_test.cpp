// Issue 15's failover test, end to end with real processes on 127.0.0.1: two replicating brokers
// (docs/replication.md, ack = "peer") and agents that know both (docs/agent.md, "Several
// brokers"). Agents report to the primary; the primary is killed with SIGKILL 20 times during a
// stream of reports; each time the agents continue on the standby within 10 s and return to the
// primary once it is back. Afterwards both brokers hold the same frames and the same picture,
// every report the agents signed is there (nothing acknowledged lost) and nothing twice.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/integration/process/city_fixture.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace samband::testing {
namespace {

constexpr int kKills = 20;

struct Agent {
  std::string provider;
  std::string unit;
  std::string config;
  std::unique_ptr<Process> process;
  int reports = 0;
  int lastPresent = 0;
};

struct Broker {
  std::string dir;
  int port = 0;
  int replPort = 0;
  std::unique_ptr<Process> process;
  std::string config() const { return dir + "/broker.toml"; }
  std::string endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port); }
  std::string replEndpoint() const { return "tcp://127.0.0.1:" + std::to_string(replPort); }
  std::string log() const { return dir + "/broker.log"; }
};

class StandbyFailover : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto* b : {&primary_, &standby_}) {
      b->dir = tmp_.path() + (b == &primary_ ? "/primary" : "/standby");
      b->port = freePort();
      b->replPort = freePort();
      auto r = runCommand({SAMBAND_BROKER_BIN, "init", "--dir", b->dir, "--listen", b->endpoint(),
                           "--board-listen", "127.0.0.1:" + std::to_string(freePort())});
      ASSERT_EQ(r.exitCode, 0) << r.err;
      setTomlKey(b->config(), "liveness", "stale_after_s", "5");
      setTomlKey(b->config(), "ingest", "roster_refresh_ms", "200");
      setTomlKey(b->config(), "readiness", "enabled", "false");
    }
    // One city: an offline root certifies each broker's own city key, so each broker admits the
    // other's city chain (its enrolment records among it). Agents pin the root and the primary's
    // certificate (docs/operations.md, "City keys").
    auto root =
        runCommand({SAMBAND_BROKER_BIN, "city-key", "init", "--out", tmp_.path() + "/root"});
    ASSERT_EQ(root.exitCode, 0) << root.out << root.err;
    for (auto* b : {&primary_, &standby_}) {
      auto c = runCommand({SAMBAND_BROKER_BIN, "city-key", "certify", "--root",
                           tmp_.path() + "/root/root.identity", "--key", b->dir + "/city.pub",
                           "--label", b == &primary_ ? "primary" : "standby", "--config",
                           b->config(), "--out", b->dir + "/broker.cert"});
      ASSERT_EQ(c.exitCode, 0) << c.out << c.err;
    }
    std::ofstream(cityKeys()) << readWhole(tmp_.path() + "/root/root.pub")
                              << readWhole(primary_.dir + "/broker.cert");
    // [replication] is appended whole: setTomlKey cannot tell its `listen` from [broker]'s.
    for (auto* b : {&primary_, &standby_}) {
      const Broker& peer = b == &primary_ ? standby_ : primary_;
      std::ofstream(b->config(), std::ios::app)
          << "\n[replication]\nlisten = \"" << b->replEndpoint() << "\"\npeers = [[\""
          << peer.replEndpoint() << "\", \"" << keyLine(peer.dir + "/city.pub", "curve_public")
          << "\"]]\nack = \"peer\"\npeer_timeout_s = 2\npull_wait_ms = 300\nrole = \""
          << (b == &primary_ ? "primary" : "standby") << "\"\n";
    }
  }

  std::string cityKeys() const { return tmp_.path() + "/city-keys.pub"; }

  void TearDown() override {
    for (auto& a : agents_) {
      if (a.process) a.process->terminate();
    }
    for (auto* b : {&primary_, &standby_}) {
      if (b->process) b->process->terminate();
      if (HasFailure()) {
        std::string text = readWhole(b->log());
        if (text.size() > 3000) text = text.substr(text.size() - 3000);
        std::cerr << "--- " << b->dir << " log (tail) ---\n" << text << "\n";
      }
    }
    if (HasFailure()) {
      for (const auto& a : agents_) {
        std::string text = readWhole(a.config.substr(0, a.config.rfind('/')) + "/agent.log");
        if (text.size() > 3000) text = text.substr(text.size() - 3000);
        std::cerr << "--- agent " << a.provider << " log (tail) ---\n" << text << "\n";
      }
    }
  }

  void start(Broker& b) {
    const size_t from = readWhole(b.log()).size();
    b.process = std::make_unique<Process>(
        std::vector<std::string>{SAMBAND_BROKER_BIN, "serve", "--config", b.config()}, b.log());
    ASSERT_TRUE(waitUntil([&] {
      return readWhole(b.log()).find("listening on", from) != std::string::npos;
    })) << b.dir
        << " did not start";
  }

  void addAgent(const std::string& name, const std::string& provider, const std::string& unit) {
    Agent a;
    a.provider = provider;
    a.unit = unit;
    const std::string dir = tmp_.path() + "/" + name;
    auto r =
        runCommand({SAMBAND_AGENT_BIN, "init", "--dir", dir, "--provider", provider, "--name",
                    "Skolbolaget " + name, "--broker", primary_.endpoint(), "--broker",
                    standby_.endpoint() + "=" + keyLine(standby_.dir + "/city.pub", "curve_public"),
                    "--city-keys", cityKeys(), "--unit", unit});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
    a.config = dir + "/agent.toml";
    setTomlKey(a.config, "timing", "heartbeat_interval_s", "1");
    setTomlKey(a.config, "link", "ack_timeout_ms", "3000");
    setTomlKey(a.config, "link", "reconnect_min_ms", "50");
    setTomlKey(a.config, "link", "reconnect_max_ms", "400");
    setTomlKey(a.config, "link", "failover_after_ms", "300");
    setTomlKey(a.config, "link", "failback_jitter_s", "1");
    // Enrolled on the primary only: the standby takes the enrolment record from the primary's
    // city chain (both are certified by the same root).
    auto e = runCommand({SAMBAND_BROKER_BIN, "enroll", "--config", primary_.config(), "--request",
                         dir + "/enroll-request.json"});
    ASSERT_EQ(e.exitCode, 0) << e.out << e.err;
    agents_.push_back(std::move(a));
  }

  nlohmann::json agentStatus(const Agent& a) {
    auto r = runCommand({SAMBAND_AGENT_BIN, "status", "--config", a.config, "--json"});
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  bool allOn(const Broker& b) {
    for (const auto& a : agents_) {
      auto st = agentStatus(a);
      if (st.is_discarded() || st["connected"] != true || st["broker"] != b.endpoint()) {
        return false;
      }
    }
    return true;
  }

  // Every report signed so far acknowledged (by whichever broker).
  bool allAcknowledged() {
    for (const auto& a : agents_) {
      auto st = agentStatus(a);
      if (st.is_discarded() || st["outbox_pending"] != 0 || st["last_acked_seq"] != a.reports) {
        return false;
      }
    }
    return true;
  }

  void report(Agent& a) {
    a.lastPresent = 100 + a.reports;
    auto r =
        runCommand({SAMBAND_AGENT_BIN, "report", "--config", a.config, "--unit", a.unit,
                    "--operational", "reduced", "--pupils-present", std::to_string(a.lastPresent)});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
    ++a.reports;
  }
  void reportAll() {
    for (auto& a : agents_) report(a);
  }

  nlohmann::json audit(const Broker& b, int* exitCode) {
    auto r = runCommand({SAMBAND_BROKER_BIN, "audit", "--config", b.config(), "--json"});
    *exitCode = r.exitCode;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  nlohmann::json unit(const Broker& b, const std::string& code) {
    auto r = runCommand({SAMBAND_BROKER_BIN, "status", "--config", b.config(), "--json"});
    auto s = nlohmann::json::parse(r.out, nullptr, false);
    if (s.is_discarded()) return nullptr;
    for (const auto& p : s["providers"]) {
      for (const auto& u : p["units"]) {
        if (u["code"] == code) return u;
      }
    }
    return nullptr;
  }

  TempDir tmp_;
  Broker primary_;
  Broker standby_;
  std::vector<Agent> agents_;
};

TEST_F(StandbyFailover, AgentsSurviveTwentyKillsOfThePrimaryAndBothBrokersConverge) {
  const auto began = std::chrono::steady_clock::now();
  addAgent("a", "556677-8899", "12345678");
  addAgent("b", "212000-0142", "55555555");
  start(primary_);
  start(standby_);
  for (auto& a : agents_) {
    a.process = std::make_unique<Process>(
        std::vector<std::string>{SAMBAND_AGENT_BIN, "run", "--config", a.config},
        a.config.substr(0, a.config.rfind('/')) + "/agent.log");
  }
  ASSERT_TRUE(waitUntil([&] { return allOn(primary_); }));
  // The standby learnt both enrolments from the primary's city chain, none was made there.
  for (const auto& a : agents_) {
    ASSERT_TRUE(waitUntil([&] {
      auto r = runCommand({SAMBAND_BROKER_BIN, "keys", "--config", standby_.config(), "--provider",
                           a.provider, "--json"});
      auto j = nlohmann::json::parse(r.out, nullptr, false);
      return r.exitCode == 0 && !j.is_discarded() && j["keys"].size() == 1u &&
             j["keys"][0]["revoked"] == false;
    })) << "the standby never learnt the enrolment of "
        << a.provider;
  }
  reportAll();

  std::chrono::milliseconds slowestFailover{0};
  for (int kill = 0; kill < kKills; ++kill) {
    SCOPED_TRACE("kill " + std::to_string(kill + 1));
    reportAll();  // in flight when the primary dies, or just before
    primary_.process->kill9();
    primary_.process.reset();
    const auto killed = std::chrono::steady_clock::now();
    reportAll();  // signed while the primary is dead
    // Continue on the standby within 10 s: connected there and every report acknowledged.
    ASSERT_TRUE(
        waitUntil([&] { return allOn(standby_) && allAcknowledged(); }, std::chrono::seconds(10)))
        << agentStatus(agents_[0]).dump(2) << agentStatus(agents_[1]).dump(2);
    slowestFailover =
        std::max(slowestFailover, std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - killed));
    reportAll();
    start(primary_);
    // Back to the preferred broker (after its jitter), which has pulled what it missed.
    ASSERT_TRUE(waitUntil([&] { return allOn(primary_); }, std::chrono::seconds(10)))
        << agentStatus(agents_[0]).dump(2) << agentStatus(agents_[1]).dump(2);
  }
  EXPECT_LT(slowestFailover, std::chrono::seconds(10));
  reportAll();
  ASSERT_TRUE(waitUntil([&] { return allAcknowledged(); }, std::chrono::seconds(15)))
      << agentStatus(agents_[0]).dump(2) << agentStatus(agents_[1]).dump(2);

  // Converged: the same frames on both (the providers' and both brokers' city chains), every
  // signed report there exactly once.
  int64_t total = 0;
  for (const auto& a : agents_) total += a.reports;
  nlohmann::json pa, sa;
  int pc = -1, sc = -1;
  ASSERT_TRUE(waitUntil(
      [&] {
        pa = audit(primary_, &pc);
        sa = audit(standby_, &sc);
        return !pa.is_discarded() && !sa.is_discarded() &&
               pa["archive_digest"]["providers"]["frames"] == total &&
               pa["archive_digest"] == sa["archive_digest"] && pc == 0 &&
               sc == 0;  // intact, also the checkpoint over the last pulled frames
      },
      std::chrono::seconds(20)))
      << pa.dump(2) << "\n"
      << sa.dump(2);
  EXPECT_EQ(pc, 0) << pa.dump(2);
  EXPECT_EQ(sc, 0) << sa.dump(2);
  for (const auto* j : {&pa, &sa}) {
    EXPECT_EQ((*j)["duplicates"], 0) << j->dump(2);
    EXPECT_EQ((*j)["chain_breaks"], 0) << j->dump(2);
    EXPECT_EQ((*j)["bad_signatures"], 0) << j->dump(2);
  }
  // The same picture: each unit's newest report on both brokers.
  for (const auto& a : agents_) {
    EXPECT_EQ(unit(primary_, a.unit)["pupils_present"], a.lastPresent);
    EXPECT_EQ(unit(standby_, a.unit)["pupils_present"], a.lastPresent);
    auto st = agentStatus(a);
    EXPECT_EQ(st["head_seq"], a.reports) << st.dump(2);  // never re-signed into a fork
    EXPECT_GE(st["failovers"].get<int>(), kKills) << st.dump(2);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(90));
}

}  // namespace
}  // namespace samband::testing
