// A standby broker with real processes on 127.0.0.1 (issue 15, docs/replication.md): two
// samband-broker processes pull each other's frames; a fake peer serving altered and forged
// frames is refused by the gate and counted while replication goes on; a partition heals into
// identical archives; with ack = "peer" an agent's ack waits for the peer's commit, or for
// peer_timeout_s when the peer is blocked.
#include <gtest/gtest.h>
#include <signal.h>

#include <SQLiteCpp/Database.h>
#include <httplib.h>
#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "broker/replication/pull_protocol.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/identity.h"
#include "common/signing.h"
#include "tests/integration/process/city_fixture.h"
#include "tests/support/process.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace samband::testing {
namespace {

using common::Bytes;

constexpr const char* kReplProviderA = "556677-8899";
constexpr const char* kReplUnitA = "12345678";
constexpr const char* kReplProviderB = "212000-0142";
constexpr const char* kReplUnitB = "55555555";

std::string curvePublicOf(const std::string& pubFile) {
  auto pub = common::PublicIdentity::load(pubFile);
  EXPECT_TRUE(pub.ok());
  return pub.ok() ? common::toHex(pub->curvePublic.data(), 32) : "";
}

// One broker directory and its process.
struct BrokerUnderTest {
  std::string dir;
  int port = 0;
  int replPort = 0;
  int boardPort = 0;
  std::unique_ptr<Process> process;
  std::string baseConfig;                          // broker.toml without [replication]
  std::map<std::string, std::string> replication;  // [replication] keys -> TOML values

  std::string config() const { return dir + "/broker.toml"; }
  std::string endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port); }
  std::string replEndpoint() const { return "tcp://127.0.0.1:" + std::to_string(replPort); }
  std::string log() const { return dir + "/broker.log"; }
};

class Replication : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto* b : {&a_, &b_}) {
      b->dir = tmp_.path() + (b == &a_ ? "/A" : "/B");
      b->port = freePort();
      b->replPort = freePort();
      b->boardPort = freePort();
      auto r = runCommand({SAMBAND_BROKER_BIN, "init", "--dir", b->dir, "--listen", b->endpoint(),
                           "--board-listen", "127.0.0.1:" + std::to_string(b->boardPort)});
      ASSERT_EQ(r.exitCode, 0) << r.err;
      setTomlKey(b->config(), "liveness", "stale_after_s", "5");
      setTomlKey(b->config(), "liveness", "offline_after_s", "15");
      setTomlKey(b->config(), "ingest", "roster_refresh_ms", "200");
      setTomlKey(b->config(), "readiness", "enabled", "false");
      b->baseConfig = samband::testing::readWhole(b->config());
      set(*b, "listen", "\"" + b->replEndpoint() + "\"");
      set(*b, "pull_wait_ms", "500");
    }
    // One city: an offline root certifies each broker's own city key (common/city_keyring.h),
    // so each broker's gate can check the other's city chain.
    auto init =
        runCommand({SAMBAND_BROKER_BIN, "city-key", "init", "--out", tmp_.path() + "/root"});
    ASSERT_EQ(init.exitCode, 0) << init.out << init.err;
    for (auto* b : {&a_, &b_}) {
      auto c = runCommand({SAMBAND_BROKER_BIN, "city-key", "certify", "--root",
                           tmp_.path() + "/root/root.identity", "--key", b->dir + "/city.pub",
                           "--label", b == &a_ ? "primary" : "standby", "--config", b->config(),
                           "--out", b->dir + "/broker.cert"});
      ASSERT_EQ(c.exitCode, 0) << c.out << c.err;
      // What its agents pin: the root, and this broker's certificate (its transport key).
      std::ofstream(b->dir + "/city-keys.pub")
          << samband::testing::readWhole(tmp_.path() + "/root/root.pub")
          << samband::testing::readWhole(b->dir + "/broker.cert");
    }
  }

  // Sets one key of [replication] and rewrites broker.toml (setTomlKey cannot tell the
  // [replication] listen from the [broker] one).
  void set(BrokerUnderTest& b, const std::string& key, const std::string& value) {
    b.replication[key] = value;
    std::string text = b.baseConfig + "\n[replication]\n";
    for (const auto& [k, v] : b.replication) text += k + " = " + v + "\n";
    std::ofstream(b.config()) << text;
  }

  void TearDown() override {
    for (auto* b : {&a_, &b_}) {
      if (b->process) {
        ::kill(b->process->pid(), SIGCONT);
        b->process->terminate();
      }
      if (HasFailure()) {
        std::string text = samband::testing::readWhole(b->log());
        if (text.size() > 3000) text = text.substr(text.size() - 3000);
        std::cerr << "--- " << b->dir << " log (tail) ---\n" << text << "\n";
      }
    }
  }

  // Makes `from` pull from `to` (and admit `to`'s key on its replication port).
  void peer(BrokerUnderTest& from, const BrokerUnderTest& to, const std::string& ack = "peer",
            int timeoutS = 3) {
    set(from, "peers",
        "[[\"" + to.replEndpoint() + "\", \"" + curvePublicOf(to.dir + "/city.pub") + "\"]]");
    set(from, "ack", "\"" + ack + "\"");
    set(from, "peer_timeout_s", std::to_string(timeoutS));
  }

  void start(BrokerUnderTest& b) {
    b.process = std::make_unique<Process>(
        std::vector<std::string>{SAMBAND_BROKER_BIN, "serve", "--config", b.config()}, b.log());
    const size_t from = samband::testing::readWhole(b.log()).size();
    ASSERT_TRUE(waitUntil([&] {
      std::string text = samband::testing::readWhole(b.log());
      return text.size() > from && text.find("listening on", from) != std::string::npos;
    })) << "broker "
        << b.dir << " did not start";
  }

  void stop(BrokerUnderTest& b) {
    if (b.process) b.process->terminate();
    b.process.reset();
  }

  // Creates an agent reporting to `to`, enrolled on `enrolOn` (default: `to`) only: the other
  // broker learns the enrolment from its peer's city chain. Returns its agent.toml.
  std::string makeAgent(const std::string& name, const std::string& provider,
                        const std::string& unit, const BrokerUnderTest& to,
                        const BrokerUnderTest* enrolOn = nullptr) {
    std::string dir = tmp_.path() + "/" + name;
    auto r = runCommand({SAMBAND_AGENT_BIN, "init", "--dir", dir, "--provider", provider, "--name",
                         "Skolbolaget " + name, "--broker", to.endpoint(), "--city-keys",
                         to.dir + "/city-keys.pub", "--unit", unit});
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    std::string config = dir + "/agent.toml";
    setTomlKey(config, "timing", "heartbeat_interval_s", "1");
    setTomlKey(config, "link", "ack_timeout_ms", "20000");
    setTomlKey(config, "link", "reconnect_min_ms", "50");
    setTomlKey(config, "link", "reconnect_max_ms", "500");
    auto e = runCommand({SAMBAND_BROKER_BIN, "enroll", "--config",
                         (enrolOn != nullptr ? *enrolOn : to).config(), "--request",
                         dir + "/enroll-request.json"});
    EXPECT_EQ(e.exitCode, 0) << e.out << e.err;
    return config;
  }

  std::unique_ptr<Process> runAgent(const std::string& config) {
    std::string log = config.substr(0, config.rfind('/')) + "/agent.log";
    return std::make_unique<Process>(
        std::vector<std::string>{SAMBAND_AGENT_BIN, "run", "--config", config}, log);
  }

  void report(const std::string& agent, const std::string& unit, const std::string& state,
              int present) {
    auto r = runCommand({SAMBAND_AGENT_BIN, "report", "--config", agent, "--unit", unit,
                         "--operational", state, "--pupils-present", std::to_string(present)});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  }

  nlohmann::json status(const BrokerUnderTest& b) {
    auto r = runCommand({SAMBAND_BROKER_BIN, "status", "--config", b.config(), "--json"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  nlohmann::json agentStatus(const std::string& agent) {
    auto r = runCommand({SAMBAND_AGENT_BIN, "status", "--config", agent, "--json"});
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  // `samband-broker keys --json` of `b` for `provider`; null when it knows none.
  nlohmann::json keysOf(const BrokerUnderTest& b, const std::string& provider) {
    auto r = runCommand(
        {SAMBAND_BROKER_BIN, "keys", "--config", b.config(), "--provider", provider, "--json"});
    if (r.exitCode != 0) return nullptr;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j["keys"];
  }

  nlohmann::json unit(const BrokerUnderTest& b, const std::string& code) {
    auto s = status(b);
    if (s.is_discarded()) return nullptr;
    for (const auto& p : s["providers"]) {
      for (const auto& u : p["units"]) {
        if (u["code"] == code) return u;
      }
    }
    return nullptr;
  }

  nlohmann::json digest(const BrokerUnderTest& b, int* exitCode = nullptr) {
    auto r = runCommand({SAMBAND_BROKER_BIN, "audit", "--config", b.config(), "--json"});
    if (exitCode) *exitCode = r.exitCode;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j["archive_digest"];
  }

  // The providers' part of both digests once they agree on `frames` frames.
  bool converged(uint64_t frames) {
    auto da = digest(a_);
    auto db = digest(b_);
    if (da.is_null() || db.is_null()) return false;
    // The whole archive: the providers' chains and both brokers' city chains.
    return da["providers"]["frames"] == frames && da == db;
  }

  // `samband-broker contact list --json` of `b`: provider id -> {name, duty_contact}.
  std::map<std::string, nlohmann::json> contacts(const BrokerUnderTest& b) {
    auto r = runCommand({SAMBAND_BROKER_BIN, "contact", "list", "--config", b.config(), "--json"});
    std::map<std::string, nlohmann::json> out;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("providers")) return out;
    for (const auto& p : j["providers"]) out[p["provider_id"].get<std::string>()] = p;
    return out;
  }

  // `samband-broker roster export` of `b` (CSV).
  std::string rosterOf(const BrokerUnderTest& b) {
    return runCommand({SAMBAND_BROKER_BIN, "roster", "export", "--config", b.config()}).out;
  }

  // The names in `samband-broker user list --json` of `b`.
  std::vector<std::string> usersOf(const BrokerUnderTest& b) {
    auto r = runCommand({SAMBAND_BROKER_BIN, "user", "list", "--config", b.config(), "--json"});
    std::vector<std::string> out;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& u : j) out.push_back(u["name"].get<std::string>());
    return out;
  }

  // Logs in to `b`'s board: the session cookie, or empty when refused.
  std::string boardLogin(const BrokerUnderTest& b, const std::string& name,
                         const std::string& password) {
    httplib::Client c("127.0.0.1", b.boardPort);
    nlohmann::json body{{"name", name}, {"password", password}};
    auto res = c.Post("/api/login", body.dump(), "application/json");
    if (!res || res->status != 200) return "";
    std::string cookie = res->get_header_value("Set-Cookie");
    return cookie.substr(0, cookie.find(';'));
  }

  int64_t agentPending(const std::string& agent) {
    auto r = runCommand({SAMBAND_AGENT_BIN, "status", "--config", agent, "--json"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("outbox_pending")) return -1;
    return j["outbox_pending"].get<int64_t>();
  }

  TempDir tmp_;
  BrokerUnderTest a_;
  BrokerUnderTest b_;
};

TEST_F(Replication, TwoBrokersReplicateBothWaysAndConverge) {
  peer(a_, b_);
  peer(b_, a_);
  std::string onA = makeAgent("onA", kReplProviderA, kReplUnitA, a_);
  std::string onB = makeAgent("onB", kReplProviderB, kReplUnitB, b_);
  start(a_);
  start(b_);
  auto agentA = runAgent(onA);
  auto agentB = runAgent(onB);
  report(onA, kReplUnitA, "reduced", 120);
  report(onB, kReplUnitB, "closed", 0);
  report(onA, kReplUnitA, "normal", 300);
  ASSERT_TRUE(waitUntil([&] { return converged(3); }, std::chrono::seconds(60)))
      << digest(a_).dump() << "\n"
      << digest(b_).dump();
  // Each provider is enrolled on one broker only: the other took the enrolment from its peer's
  // city chain before the provider's frames, which its gate therefore never refused.
  for (const auto* b : {&a_, &b_}) {
    EXPECT_EQ(samband::testing::readWhole(b->log()).find("served a frame the gate refused"),
              std::string::npos)
        << samband::testing::readWhole(b->log());
  }
  // Each broker's picture shows the unit whose agent never connected to it.
  EXPECT_EQ(unit(a_, kReplUnitB)["operational"], "closed");
  EXPECT_EQ(unit(b_, kReplUnitA)["operational"], "normal");
  EXPECT_EQ(unit(b_, kReplUnitA)["pupils_present"], 300);
  // Both report their standby caught up, with the keys the issue names.
  ASSERT_TRUE(waitUntil([&] {
    auto r = status(a_)["replication"];
    return r.is_object() && r["behind_frames"] == 0 && r["last_contact"].is_string();
  }));
  auto r = status(b_)["replication"];
  ASSERT_TRUE(r.is_object()) << r.dump();
  EXPECT_EQ(r["peer"], a_.replEndpoint());
  EXPECT_TRUE(r.contains("behind_frames") && r.contains("last_contact")) << r.dump();
  EXPECT_EQ(r.size(), 3u) << r.dump();
  // And on /metrics.
  httplib::Client board("127.0.0.1", a_.boardPort);
  auto metrics = board.Get("/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  EXPECT_NE(metrics->body.find("\nsamband_replication_behind_frames 0\n"), std::string::npos)
      << metrics->body;
  // B's provider frame and B's city chain (its certificate and its provider's enrolment and
  // name records, which also enrolled and named that provider on A).
  EXPECT_NE(metrics->body.find("\nsamband_replication_pulled_total 4\n"), std::string::npos)
      << metrics->body;
  // Both archives stay intact to their own audit.
  int code = -1;
  digest(a_, &code);
  EXPECT_EQ(code, 0);
  digest(b_, &code);
  EXPECT_EQ(code, 0);
}

// Issue 16 meets issue 15: a backlog reaches the primary as signed batch envelopes, whose
// reports are archived without a signature of their own. The standby must get each batch as
// its sender signed it, admit it through its own gate and store it as sent, so both archives
// (and both audits) agree and stay verifiable.
TEST_F(Replication, BatchEnvelopesReplicateAsTheSenderSignedThem) {
  peer(a_, b_, "local");
  peer(b_, a_, "local");
  std::string onA = makeAgent("onA", kReplProviderA, kReplUnitA, a_);
  // A backlog while the agent is not running: sent as batches once it starts.
  constexpr int kReports = 40;
  for (int i = 0; i < kReports; ++i) report(onA, kReplUnitA, "reduced", 100 + i);
  start(a_);
  start(b_);
  auto agentA = runAgent(onA);
  ASSERT_TRUE(waitUntil([&] { return converged(kReports); }, std::chrono::seconds(60)))
      << digest(a_).dump() << "\n"
      << digest(b_).dump();
  EXPECT_EQ(unit(b_, kReplUnitA)["pupils_present"], 100 + kReports - 1);
  // Batch envelopes each archive holds as sent (the standby's puller keeps its own counters,
  // so read the archive itself).
  auto batchesStored = [](const BrokerUnderTest& b) {
    SQLite::Database db(b.dir + "/samband.db", SQLite::OPEN_READONLY);
    return db.execAndGet("SELECT COUNT(*) FROM batches").getInt();
  };
  // The primary got batches (else this test proves nothing), and the standby the same ones.
  EXPECT_GE(batchesStored(a_), 1);
  EXPECT_EQ(batchesStored(b_), batchesStored(a_));
  int code = -1;
  auto da = digest(a_, &code);
  EXPECT_EQ(code, 0) << da.dump();
  auto db = digest(b_, &code);
  EXPECT_EQ(code, 0) << db.dump();
}

TEST_F(Replication, PartitionThenHealGivesIdenticalArchives) {
  // Both up and serving agents but unable to reach each other: each pulls from a peer endpoint
  // that nothing answers on, until the partition heals (the right endpoints, restarted).
  set(a_, "peers",
      "[[\"tcp://127.0.0.1:" + std::to_string(freePort()) + "\", \"" +
          curvePublicOf(b_.dir + "/city.pub") + "\"]]");
  set(b_, "peers",
      "[[\"tcp://127.0.0.1:" + std::to_string(freePort()) + "\", \"" +
          curvePublicOf(a_.dir + "/city.pub") + "\"]]");
  set(a_, "peer_timeout_s", "1");
  set(b_, "peer_timeout_s", "1");
  std::string onA = makeAgent("onA", kReplProviderA, kReplUnitA, a_);
  std::string onB = makeAgent("onB", kReplProviderB, kReplUnitB, b_);
  start(a_);
  start(b_);
  {
    auto agentA = runAgent(onA);
    auto agentB = runAgent(onB);
    for (int i = 0; i < 3; ++i) {
      report(onA, kReplUnitA, "reduced", 100 + i);
      report(onB, kReplUnitB, "reduced", 200 + i);
    }
    // Acknowledged on the local commit once the unreachable peer's timeout passed.
    ASSERT_TRUE(waitUntil([&] { return agentPending(onA) == 0 && agentPending(onB) == 0; },
                          std::chrono::seconds(30)));
    EXPECT_EQ(digest(a_)["providers"]["frames"], 3);
    EXPECT_EQ(digest(b_)["providers"]["frames"], 3);
    EXPECT_NE(digest(a_)["providers"], digest(b_)["providers"]);
    auto r = status(a_)["replication"];
    EXPECT_TRUE(r["last_contact"].is_null()) << r.dump();
  }
  stop(a_);
  stop(b_);
  peer(a_, b_);
  peer(b_, a_);
  start(a_);
  start(b_);
  ASSERT_TRUE(waitUntil([&] { return converged(6); }, std::chrono::seconds(60)))
      << digest(a_).dump() << "\n"
      << digest(b_).dump();
  // Each took the other's enrolment and its provider's frames from the same answers: the frames
  // waited for the enrolment instead of being refused (and their chain skipped for 30 s).
  for (const auto* b : {&a_, &b_}) {
    EXPECT_EQ(samband::testing::readWhole(b->log()).find("served a frame the gate refused"),
              std::string::npos)
        << samband::testing::readWhole(b->log());
  }
  EXPECT_EQ(unit(a_, kReplUnitB)["pupils_present"], 202);
  EXPECT_EQ(unit(b_, kReplUnitA)["pupils_present"], 102);
  ASSERT_TRUE(waitUntil([&] { return status(a_)["replication"]["behind_frames"] == 0; }));
  ASSERT_TRUE(waitUntil([&] { return status(b_)["replication"]["behind_frames"] == 0; }));
}

// The partition, live: both brokers keep running while a TCP proxy on each replication
// link is cut (every connection closed, new ones closed at once) and then healed. Agents split
// between the brokers report while cut (each broker acknowledges on its own commit after
// peer_timeout_s), a provider is enrolled on A while cut, and each broker issues a directive:
// both number it D-000001. Healed, the archives (and audits) are identical, both pictures show
// every unit's last report, every acknowledged report is stored once on both, and both brokers
// list both directives, each delivered to every provider (acks name the issuing city key).
TEST_F(Replication, LivePartitionThenHealGivesIdenticalArchivesPicturesAndDirectives) {
  constexpr const char* kProviderC = "556677-0003";
  constexpr const char* kUnitC = "33333333";
  // B pulls from A through toA; A pulls from B through toB.
  TcpProxy toA(a_.replPort);
  TcpProxy toB(b_.replPort);
  set(a_, "peers",
      "[[\"tcp://127.0.0.1:" + std::to_string(toB.port()) + "\", \"" +
          curvePublicOf(b_.dir + "/city.pub") + "\"]]");
  set(b_, "peers",
      "[[\"tcp://127.0.0.1:" + std::to_string(toA.port()) + "\", \"" +
          curvePublicOf(a_.dir + "/city.pub") + "\"]]");
  for (auto* b : {&a_, &b_}) {
    set(*b, "ack", "\"peer\"");
    set(*b, "peer_timeout_s", "2");
  }
  std::string onA = makeAgent("onA", kReplProviderA, kReplUnitA, a_);
  std::string onB = makeAgent("onB", kReplProviderB, kReplUnitB, b_);
  start(a_);
  start(b_);
  auto agentA = runAgent(onA);
  auto agentB = runAgent(onB);
  // Linked: one report each reaches both brokers through the proxies.
  report(onA, kReplUnitA, "normal", 100);
  report(onB, kReplUnitB, "normal", 200);
  ASSERT_TRUE(waitUntil([&] { return converged(2); }, std::chrono::seconds(60)))
      << digest(a_).dump() << "\n"
      << digest(b_).dump();
  EXPECT_GE(toA.forwardedConnections(), 1);
  EXPECT_GE(toB.forwardedConnections(), 1);

  // Cut, both brokers running.
  toA.cut();
  toB.cut();
  // A provider enrolled on A while cut: B learns its enrolment and its frames after the heal.
  std::string onC = makeAgent("onC", kProviderC, kUnitC, a_);
  auto agentC = runAgent(onC);
  std::map<std::string, int> reports{{kReplProviderA, 1}, {kReplProviderB, 1}, {kProviderC, 0}};
  for (int i = 1; i <= 3; ++i) {
    report(onA, kReplUnitA, "reduced", 100 + i);
    report(onB, kReplUnitB, "reduced", 200 + i);
    ++reports[kReplProviderA];
    ++reports[kReplProviderB];
  }
  report(onC, kUnitC, "closed", 0);
  report(onC, kUnitC, "reduced", 33);
  reports[kProviderC] += 2;
  // Acknowledged on each broker's own commit once peer_timeout_s passed without a pull.
  ASSERT_TRUE(waitUntil(
      [&] { return agentPending(onA) == 0 && agentPending(onB) == 0 && agentPending(onC) == 0; },
      std::chrono::seconds(60)));
  EXPECT_EQ(digest(a_)["providers"]["frames"], 2 + 3 + 2);
  EXPECT_EQ(digest(b_)["providers"]["frames"], 2 + 3);
  auto cOnB = keysOf(b_, kProviderC);
  EXPECT_TRUE(cOnB.is_null() || cOnB.empty()) << "B cannot know C's enrolment while cut";
  // Each side's standby is behind while cut.
  ASSERT_TRUE(waitUntil([&] {
    auto r = status(a_)["replication"];
    return r.is_object() && r["behind_frames"].is_number() && r["behind_frames"] > 0;
  })) << status(a_)["replication"].dump();

  // Each broker issues a directive while cut: both take the city's next number.
  std::smatch m;
  auto send = [&](const BrokerUnderTest& b, const std::string& text, const std::string& level) {
    auto r = runCommand({SAMBAND_BROKER_BIN, "directive", "send", "--config", b.config(), "--to",
                         "all", "--text", text, "--level", level});
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    std::smatch found;
    return std::regex_search(r.out, found, std::regex("directive (D-[0-9]+)"))
               ? std::string(found[1])
               : std::string();
  };
  const std::string idA = send(a_, "Skolorna på A:s sida stänger kl 12", "heightened");
  const std::string idB = send(b_, "Skolorna på B:s sida stänger kl 13", "highest");
  ASSERT_FALSE(idA.empty());
  EXPECT_EQ(idA, idB) << "both brokers numbered a directive alike while cut";
  auto directives = [&](const BrokerUnderTest& b) {
    auto r =
        runCommand({SAMBAND_BROKER_BIN, "directive", "status", "--config", b.config(), "--json"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_array() ? j : nlohmann::json::array();
  };
  // Each broker's own agents take its own directive while cut.
  ASSERT_TRUE(waitUntil(
      [&] {
        auto d = directives(a_);
        return d.size() == 1u && d[0]["delivered_to"].size() == 2u;
      },
      std::chrono::seconds(30)))
      << directives(a_).dump();
  ASSERT_TRUE(waitUntil(
      [&] {
        auto d = directives(b_);
        return d.size() == 1u && d[0]["delivered_to"].size() == 1u;
      },
      std::chrono::seconds(30)))
      << directives(b_).dump();
  const std::string keyA = directives(a_)[0]["key_id"].get<std::string>();
  const std::string keyB = directives(b_)[0]["key_id"].get<std::string>();
  ASSERT_NE(keyA, keyB);

  // Heal.
  toA.heal();
  toB.heal();
  // Both brokers list both directives (same id, each under its city key), each delivered to
  // every provider: each ack counted for the directive whose key it names.
  for (const auto* b : {&a_, &b_}) {
    ASSERT_TRUE(waitUntil(
        [&] {
          auto d = directives(*b);
          if (d.size() != 2u) return false;
          std::set<std::string> keys;
          for (const auto& one : d) {
            // "To all" is every provider enrolled where it is recorded: B's own directive went
            // to the two it knew while cut, A's (and B's, on A) to all three.
            if (one["id"] != idA || !one["missing"].empty() || one["recipients"] < 2) return false;
            if (one["key_id"] == keyA && one["recipients"] != 3) return false;
            keys.insert(one["key_id"].get<std::string>());
          }
          return keys == std::set<std::string>{keyA, keyB};
        },
        std::chrono::seconds(90)))
        << b->dir << ": " << directives(*b).dump();
  }
  // Every agent holds both, once each, told apart by the signing key.
  for (const auto& agent : {onA, onB, onC}) {
    auto r = runCommand({SAMBAND_AGENT_BIN, "inbox", "--config", agent, "--json"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    std::multiset<std::string> keys;
    if (j.is_array()) {
      for (const auto& e : j) {
        if (e["id"] == idA) keys.insert(e["issuer_key_id"].get<std::string>());
      }
    }
    EXPECT_EQ(keys, (std::multiset<std::string>{keyA, keyB})) << agent << ": " << r.out;
  }
  // Identical archives: the reports, each agent's two directive acks, both city chains.
  const int providerFrames =
      reports[kReplProviderA] + reports[kReplProviderB] + reports[kProviderC] + 3 * 2;
  ASSERT_TRUE(waitUntil([&] { return converged(static_cast<uint64_t>(providerFrames)); },
                        std::chrono::seconds(60)))
      << digest(a_).dump() << "\n"
      << digest(b_).dump();
  int code = -1;
  digest(a_, &code);
  EXPECT_EQ(code, 0);
  digest(b_, &code);
  EXPECT_EQ(code, 0);
  // Every acknowledged report is stored once on both, the same frames.
  auto storedReports = [](const BrokerUnderTest& b) {
    SQLite::Database db(b.dir + "/samband.db", SQLite::OPEN_READONLY);
    SQLite::Statement q(db,
                        "SELECT sender, key_id, seq, hex(body_hash) FROM frames WHERE "
                        "kind='unit_status' ORDER BY sender, key_id, seq");
    std::vector<std::string> rows;
    while (q.executeStep()) {
      rows.push_back(q.getColumn(0).getString() + "/" + q.getColumn(1).getString() + "/" +
                     std::to_string(q.getColumn(2).getInt64()) + "/" + q.getColumn(3).getString());
    }
    return rows;
  };
  const auto onAStored = storedReports(a_);
  EXPECT_EQ(onAStored, storedReports(b_));
  std::map<std::string, int> perSender;
  for (const auto& row : onAStored) ++perSender[row.substr(0, row.find('/'))];
  EXPECT_EQ(perSender, reports);
  // Identical pictures: every unit's last report on both.
  const std::map<std::string, std::pair<std::string, int>> last{
      {kReplUnitA, {"reduced", 103}}, {kReplUnitB, {"reduced", 203}}, {kUnitC, {"reduced", 33}}};
  for (const auto* b : {&a_, &b_}) {
    for (const auto& [unitCode, want] : last) {
      auto u = unit(*b, unitCode);
      EXPECT_EQ(u["operational"], want.first) << b->dir << " " << unitCode << ": " << u.dump();
      EXPECT_EQ(u["pupils_present"], want.second) << b->dir << " " << unitCode << ": " << u.dump();
    }
    // Both end at the level of the newer directive (B's, issued second).
    EXPECT_TRUE(waitUntil([&] { return status(*b)["level"] == "highest"; })) << status(*b).dump();
  }
  ASSERT_TRUE(waitUntil([&] { return status(a_)["replication"]["behind_frames"] == 0; }));
  ASSERT_TRUE(waitUntil([&] { return status(b_)["replication"]["behind_frames"] == 0; }));
}

TEST_F(Replication, AckWaitsForThePeerOrForItsTimeoutWhenThePeerIsBlocked) {
  peer(a_, b_, "peer", 4);
  peer(b_, a_, "peer", 4);
  std::string onA = makeAgent("onA", kReplProviderA, kReplUnitA, a_);
  start(a_);
  start(b_);
  auto agentA = runAgent(onA);
  // Peer reachable: the ack comes, and by then the standby holds the frame.
  report(onA, kReplUnitA, "reduced", 10);
  ASSERT_TRUE(waitUntil([&] { return agentPending(onA) == 0; }, std::chrono::seconds(30)));
  EXPECT_EQ(digest(b_)["providers"]["frames"], 1);

  // Peer blocked (SIGSTOP: its sockets stay open, nothing answers): the ack waits out
  // peer_timeout_s (4 s) and then comes on A's own commit.
  ASSERT_EQ(::kill(b_.process->pid(), SIGSTOP), 0);
  const int64_t t0 = common::monotonicMs();
  report(onA, kReplUnitA, "closed", 0);
  ASSERT_TRUE(waitUntil([&] { return agentPending(onA) == 1; }, std::chrono::seconds(10)));
  ASSERT_TRUE(waitUntil([&] { return agentPending(onA) == 0; }, std::chrono::seconds(30)));
  const int64_t waited = common::monotonicMs() - t0;
  EXPECT_GE(waited, 2500) << "the ack should have waited for the blocked peer";
  EXPECT_EQ(digest(a_)["providers"]["frames"], 2);
  // A says its standby is behind by the frame it lacks.
  ASSERT_TRUE(waitUntil([&] { return status(a_)["replication"]["behind_frames"] == 1; }));

  // The peer resumes: it catches up, and acks wait for it again.
  ASSERT_EQ(::kill(b_.process->pid(), SIGCONT), 0);
  ASSERT_TRUE(waitUntil([&] { return converged(2); }, std::chrono::seconds(30)));
  ASSERT_TRUE(waitUntil([&] { return status(a_)["replication"]["behind_frames"] == 0; }));
  report(onA, kReplUnitA, "normal", 50);
  ASSERT_TRUE(waitUntil([&] { return agentPending(onA) == 0; }, std::chrono::seconds(30)));
  EXPECT_EQ(digest(b_)["providers"]["frames"], 3);
}

TEST_F(Replication, AProviderEnrolledOnOneBrokerOnlyReportsToTheOtherAndItsRevocationFollows) {
  peer(a_, b_);
  peer(b_, a_);
  // Enrolled on A only; its agent knows only B (as after a failover to the standby).
  std::string agent = makeAgent("onlyA", kReplProviderA, kReplUnitA, b_, &a_);
  start(a_);
  start(b_);
  // A's enrolment record reaches B through A's city chain and enrols the key there.
  ASSERT_TRUE(waitUntil(
      [&] {
        auto k = keysOf(b_, kReplProviderA);
        return k.is_array() && k.size() == 1u && k[0]["revoked"] == false;
      },
      std::chrono::seconds(30)))
      << keysOf(b_, kReplProviderA).dump();
  const std::string keyId = keysOf(b_, kReplProviderA)[0]["key_id"];
  EXPECT_EQ(keysOf(a_, kReplProviderA)[0]["key_id"], keyId);
  auto run = runAgent(agent);
  report(agent, kReplUnitA, "reduced", 42);
  // B admits and shows it, and acknowledges it (after A, its peer, pulled it back).
  ASSERT_TRUE(waitUntil([&] { return unit(b_, kReplUnitA)["pupils_present"] == 42; },
                        std::chrono::seconds(30)))
      << unit(b_, kReplUnitA).dump();
  ASSERT_TRUE(waitUntil([&] { return agentPending(agent) == 0; }, std::chrono::seconds(30)));
  ASSERT_TRUE(waitUntil([&] { return unit(a_, kReplUnitA)["pupils_present"] == 42; },
                        std::chrono::seconds(30)));
  for (const auto* b : {&a_, &b_}) {
    EXPECT_EQ(samband::testing::readWhole(b->log()).find("served a frame the gate refused"),
              std::string::npos)
        << samband::testing::readWhole(b->log());
  }

  // Revoked on A: B learns it from the revocation record and refuses the key afterwards.
  auto revoke = runCommand({SAMBAND_BROKER_BIN, "revoke", "--config", a_.config(), "--key", keyId});
  ASSERT_EQ(revoke.exitCode, 0) << revoke.out << revoke.err;
  ASSERT_TRUE(waitUntil([&] { return keysOf(b_, kReplProviderA)[0]["revoked"] == true; },
                        std::chrono::seconds(30)))
      << keysOf(b_, kReplProviderA).dump();
  // B's gate re-reads the roster within roster_refresh_ms: the agent's heartbeats show when.
  ASSERT_TRUE(waitUntil([&] { return status(b_)["rejected"].value("revoked", 0) >= 1; },
                        std::chrono::seconds(30)))
      << status(b_).dump();
  report(agent, kReplUnitA, "closed", 7);
  ASSERT_TRUE(waitUntil(
      [&] {
        auto st = agentStatus(agent);
        return st.is_object() && st["last_error"].is_string() &&
               st["last_error"].get<std::string>().find("revoked") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << agentStatus(agent).dump(2);
  EXPECT_EQ(agentPending(agent), 1);
  EXPECT_EQ(unit(b_, kReplUnitA)["pupils_present"], 42);
  // Both archives: the one report, and A's enrolment and revocation records on both.
  ASSERT_TRUE(waitUntil([&] { return converged(1); }, std::chrono::seconds(30)))
      << digest(a_).dump() << "\n"
      << digest(b_).dump();
  int code = -1;
  digest(b_, &code);
  EXPECT_EQ(code, 0);
}

// Issue 15: both brokers serve the board and the CLI and issue checks and directives. A check
// issued on the primary is recorded on the standby (listed, delivered to the standby's agents,
// the same report on both), but being a manual `readiness run` it does not stand for the day's
// scheduled check: the standby's scheduler issues that one; a directive issued on the standby
// reaches an agent connected to the primary exactly once.
TEST_F(Replication, ChecksAndDirectivesOfEitherBrokerAreRecordedOnBothAndIssuedOnce) {
  constexpr const char* kProviderC = "556677-0003";
  constexpr const char* kUnitC = "33333333";
  // The day's check is judged by the brokers' local date: both on UTC, and never started in
  // the last minutes of a UTC day (the day's window below closes at 23:59).
  for (auto* b : {&a_, &b_}) {  // written by peer() below
    b->baseConfig = std::regex_replace(b->baseConfig, std::regex("time_zone = \"[^\"]*\""),
                                       "time_zone = \"UTC\"");
  }
  const int64_t msOfDay = common::SystemClock().nowMs() % 86'400'000;
  if (msOfDay > 86'400'000 - 180'000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(86'400'000 - msOfDay + 5'000));
  }
  peer(a_, b_);
  peer(b_, a_);
  set(b_, "role", "\"standby\"");
  set(b_, "standby_grace_s", "0");
  std::string onA = makeAgent("onA", kReplProviderA, kReplUnitA, a_);
  std::string onB = makeAgent("onB", kReplProviderB, kReplUnitB, b_);
  makeAgent("idle", kProviderC, kUnitC, a_);  // enrolled, never runs: missing on both
  start(a_);
  start(b_);
  auto agentA = runAgent(onA);
  auto agentB = runAgent(onB);
  for (const auto* b : {&a_, &b_}) {
    for (const auto* p : {kReplProviderA, kReplProviderB, kProviderC}) {
      ASSERT_TRUE(waitUntil([&] { return keysOf(*b, p).is_array(); }, std::chrono::seconds(30)))
          << b->dir << " never enrolled " << p;
    }
  }

  // A check issued on the primary.
  auto run = runCommand(
      {SAMBAND_BROKER_BIN, "readiness", "run", "--config", a_.config(), "--deadline", "30m"});
  ASSERT_EQ(run.exitCode, 0) << run.out << run.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(run.out, m, std::regex("readiness check (rc-[0-9a-f-]+)")))
      << run.out;
  const std::string checkId = m[1];
  auto report = [&](const BrokerUnderTest& b) {
    auto r = runCommand({SAMBAND_BROKER_BIN, "readiness", "report", "--config", b.config(),
                         "--check", checkId, "--format", "json"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    std::map<std::string, std::string> outcomes;
    if (j.is_discarded() || !j.contains("providers")) return outcomes;
    for (const auto& p : j["providers"]) outcomes[p["provider"]] = p["outcome"];
    return outcomes;
  };
  const std::map<std::string, std::string> expected{
      {kReplProviderA, "answered"}, {kReplProviderB, "answered"}, {kProviderC, "missing"}};
  // The standby lists it, delivers it to its own agent, records both answers: the same report.
  ASSERT_TRUE(waitUntil([&] { return report(b_) == expected; }, std::chrono::seconds(60)))
      << nlohmann::json(report(b_)).dump();
  ASSERT_TRUE(waitUntil([&] { return report(a_) == expected; }, std::chrono::seconds(30)))
      << nlohmann::json(report(a_)).dump();

  // A directive issued on the standby, setting the level, to every provider.
  auto send = runCommand({SAMBAND_BROKER_BIN, "directive", "send", "--config", b_.config(), "--to",
                          "all", "--text", "Reservkraft provas kl 14", "--level", "heightened"});
  ASSERT_EQ(send.exitCode, 0) << send.out << send.err;
  ASSERT_TRUE(std::regex_search(send.out, m, std::regex("directive (D-[0-9]+)"))) << send.out;
  const std::string directiveId = m[1];
  auto directive = [&](const BrokerUnderTest& b, const std::string& id) {
    auto r = runCommand(
        {SAMBAND_BROKER_BIN, "directive", "status", "--config", b.config(), "--id", id, "--json"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_array()) return j.size() == 1u ? j[0] : nlohmann::json();
    return r.exitCode == 0 && j.is_object() ? j : nlohmann::json();
  };
  auto inboxCount = [&](const std::string& agent, const std::string& ref) {
    auto r = runCommand({SAMBAND_AGENT_BIN, "inbox", "--config", agent, "--json"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    int n = 0;
    if (j.is_array()) {
      for (const auto& e : j) n += e["id"] == ref ? 1 : 0;
    }
    return n;
  };
  // The primary queued it for its own agent; both brokers see both agents' deliveries.
  for (const auto* b : {&a_, &b_}) {
    ASSERT_TRUE(waitUntil(
        [&] {
          auto d = directive(*b, directiveId);
          return d.is_object() && d["delivered_to"].size() == 2u;
        },
        std::chrono::seconds(60)))
        << b->dir << ": " << directive(*b, directiveId).dump();
  }
  EXPECT_EQ(inboxCount(onA, directiveId), 1);
  EXPECT_EQ(inboxCount(onB, directiveId), 1);
  EXPECT_TRUE(waitUntil([&] { return agentStatus(onA)["level"] == "heightened"; }))
      << agentStatus(onA).dump();
  // Both brokers are at the level it set.
  for (const auto* b : {&a_, &b_}) {
    EXPECT_TRUE(waitUntil([&] { return status(*b)["level"] == "heightened"; }))
        << status(*b).dump();
  }
  // The next directive, on the primary, takes the next number of the city, not its own first.
  send = runCommand({SAMBAND_BROKER_BIN, "directive", "send", "--config", a_.config(), "--to",
                     "all", "--text", "Provet klart"});
  ASSERT_EQ(send.exitCode, 0) << send.out << send.err;
  ASSERT_TRUE(std::regex_search(send.out, m, std::regex("directive (D-[0-9]+)"))) << send.out;
  EXPECT_NE(m[1], directiveId);
  ASSERT_TRUE(waitUntil([&] { return directive(b_, m[1]).is_object(); }, std::chrono::seconds(30)));
  // Still exactly once in the agent's inbox, however often the two brokers offered it.
  EXPECT_EQ(inboxCount(onA, directiveId), 1);

  // The standby's schedule: due all day (heightened level: every day). The primary's check was a
  // manual `readiness run` (the check says so), which is not the day's scheduled check on the
  // standby either: the standby issues the day's check, once, and the primary lists it.
  stop(b_);
  std::ofstream(b_.config()) << b_.baseConfig;
  setTomlKey(b_.config(), "readiness", "enabled", "true");
  setTomlKey(b_.config(), "readiness", "time", "\"00:00\"");
  setTomlKey(b_.config(), "readiness", "deadline_minutes", "1439");
  b_.baseConfig = samband::testing::readWhole(b_.config());
  set(b_, "role", "\"standby\"");
  start(b_);
  ASSERT_TRUE(waitUntil(
      [&] {
        return samband::testing::readWhole(b_.log()).find("issued readiness check") !=
               std::string::npos;
      },
      std::chrono::seconds(30)))
      << samband::testing::readWhole(b_.log());
  auto checksOn = [](const BrokerUnderTest& b) {
    SQLite::Database db(b.dir + "/samband.db", SQLite::OPEN_READONLY);
    return db.execAndGet("SELECT COUNT(*) FROM readiness_checks").getInt();
  };
  EXPECT_EQ(checksOn(b_), 2);
  ASSERT_TRUE(waitUntil([&] { return checksOn(a_) == 2; }, std::chrono::seconds(30)));
  // A's own scheduler would now find the day's slot taken by the standby's scheduled check.
  SQLite::Database db(a_.dir + "/samband.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM readiness_checks WHERE scheduled_for IS NOT NULL")
                .getInt(),
            1);
}

// Issue 15: revocations and pulled history. Apart, each broker stores a provider's reports;
// then the city revokes both providers' keys on A. Once healed, a frame signed and stored
// before the revocation is history on both brokers, whenever it is pulled: A's reports (its
// revocation records name A's heads) and B's (B's own revocation record names what B held when
// A's revocation reached it). Before, B refused A's reports and A refused B's as `revoked`.
TEST_F(Replication, FramesStoredBeforeARevocationReplicateAfterItAndArchivesAgree) {
  peer(a_, b_, "local");
  peer(b_, a_, "local");
  std::string onA = makeAgent("onA", kReplProviderA, kReplUnitA, a_);
  std::string onB = makeAgent("onB", kReplProviderB, kReplUnitB, b_, &a_);  // enrolled on A only
  start(a_);
  start(b_);
  ASSERT_TRUE(
      waitUntil([&] { return keysOf(b_, kReplProviderB).is_array(); }, std::chrono::seconds(30)));
  const std::string keyA = keysOf(a_, kReplProviderA)[0]["key_id"];
  const std::string keyB = keysOf(a_, kReplProviderB)[0]["key_id"];
  stop(a_);
  stop(b_);
  // Apart: each pulls from an endpoint nothing answers on.
  for (auto* b : {&a_, &b_}) {
    const BrokerUnderTest& other = b == &a_ ? b_ : a_;
    set(*b, "peers",
        "[[\"tcp://127.0.0.1:" + std::to_string(freePort()) + "\", \"" +
            curvePublicOf(other.dir + "/city.pub") + "\"]]");
    set(*b, "peer_timeout_s", "1");
  }
  start(a_);
  start(b_);
  {
    auto agentA = runAgent(onA);
    auto agentB = runAgent(onB);
    report(onA, kReplUnitA, "reduced", 11);
    report(onA, kReplUnitA, "reduced", 12);
    report(onB, kReplUnitB, "closed", 21);
    report(onB, kReplUnitB, "closed", 22);
    ASSERT_TRUE(waitUntil([&] { return agentPending(onA) == 0 && agentPending(onB) == 0; },
                          std::chrono::seconds(30)));
  }
  for (const auto& key : {keyA, keyB}) {
    auto revoke = runCommand({SAMBAND_BROKER_BIN, "revoke", "--config", a_.config(), "--key", key});
    ASSERT_EQ(revoke.exitCode, 0) << revoke.out << revoke.err;
  }
  stop(a_);
  stop(b_);
  peer(a_, b_, "local");
  peer(b_, a_, "local");
  start(a_);
  start(b_);
  // Healed: the same archive on both, each provider's two reports in it.
  ASSERT_TRUE(waitUntil([&] { return converged(4); }, std::chrono::seconds(90)))
      << digest(a_).dump() << "\n"
      << digest(b_).dump() << "\n"
      << status(a_)["rejected"].dump() << status(b_)["rejected"].dump();
  EXPECT_EQ(unit(a_, kReplUnitB)["pupils_present"], 22);
  EXPECT_EQ(unit(b_, kReplUnitA)["pupils_present"], 12);
  // (A may refuse B's reports once, if it pulls them before B's own revocation record exists;
  // it takes them when that record arrives.)
  for (const auto* b : {&a_, &b_}) {
    for (const auto& provider : {kReplProviderA, kReplProviderB}) {
      EXPECT_EQ(keysOf(*b, provider)[0]["revoked"], true) << b->dir << " " << provider;
    }
  }
  int code = -1;
  digest(a_, &code);
  EXPECT_EQ(code, 0);
  digest(b_, &code);
  EXPECT_EQ(code, 0);
}

// The race: A's gate re-reads its roster only every roster_refresh_ms (here a minute), so right
// after `revoke` a frame of the revoked key still passes it. The committer, which reads the
// revocation in its own transaction, refuses it: A does not store what B would refuse, and both
// archives end alike.
TEST_F(Replication, AFrameThatPassesTheGateJustAfterARevocationIsStoredNowhere) {
  setTomlKey(a_.config(), "ingest", "roster_refresh_ms", "60000");
  a_.baseConfig = samband::testing::readWhole(a_.config());
  a_.baseConfig = a_.baseConfig.substr(0, a_.baseConfig.find("\n[replication]"));
  peer(a_, b_, "local");
  peer(b_, a_, "local");
  std::string onA = makeAgent("onA", kReplProviderA, kReplUnitA, a_);
  start(a_);
  start(b_);
  auto agent = runAgent(onA);
  report(onA, kReplUnitA, "reduced", 5);
  ASSERT_TRUE(waitUntil([&] { return converged(1); }, std::chrono::seconds(30)));
  const std::string key = keysOf(a_, kReplProviderA)[0]["key_id"];
  auto revoke = runCommand({SAMBAND_BROKER_BIN, "revoke", "--config", a_.config(), "--key", key});
  ASSERT_EQ(revoke.exitCode, 0) << revoke.out << revoke.err;
  report(onA, kReplUnitA, "closed", 0);
  ASSERT_TRUE(waitUntil([&] { return status(a_)["rejected"].value("revoked", 0) >= 1; },
                        std::chrono::seconds(30)))
      << status(a_)["rejected"].dump();
  ASSERT_TRUE(waitUntil([&] { return converged(1); }, std::chrono::seconds(30)))
      << digest(a_).dump() << "\n"
      << digest(b_).dump();
  EXPECT_EQ(unit(a_, kReplUnitA)["pupils_present"], 5);
  EXPECT_EQ(unit(b_, kReplUnitA)["pupils_present"], 5);
}

// Issue 15: unit metadata (roster import), duty contacts (contact set) and provider names
// (enroll) are city-signed records that replicate like enrolments; a change on either broker
// reaches the other, and importing the same file again records nothing new.
TEST_F(Replication, UnitMetadataDutyContactsAndNamesOfEitherBrokerReachTheOther) {
  peer(a_, b_);
  peer(b_, a_);
  makeAgent("onA", kReplProviderA, kReplUnitA, a_);  // enrolled (and named) on A only
  start(a_);
  start(b_);
  const std::string roster = tmp_.path() + "/roster.csv";
  std::ofstream(roster) << "unit_code,unit_name,provider_id,district,lat,lon,school_forms\n"
                        << kReplUnitA << ",Ekbackens skola," << kReplProviderA
                        << ",Bromma,59.3400,17.9400,grundskola:1-3\n"
                        << kReplUnitB << ",Tallens förskola," << kReplProviderB
                        << ",Farsta,59.2400,18.0900,forskola:1-5\n";
  auto imported =
      runCommand({SAMBAND_BROKER_BIN, "roster", "import", "--config", a_.config(), roster});
  ASSERT_EQ(imported.exitCode, 0) << imported.out << imported.err;
  auto contact = runCommand({SAMBAND_BROKER_BIN, "contact", "set", "--config", a_.config(),
                             "--provider", kReplProviderA, "--text", "IT-jour 08-123 456 78"});
  ASSERT_EQ(contact.exitCode, 0) << contact.out << contact.err;

  // B names both units and the provider, and knows the contact, without importing anything.
  ASSERT_TRUE(waitUntil(
      [&] {
        auto c = contacts(b_);
        return c.count(kReplProviderA) &&
               c[kReplProviderA]["duty_contact"] == "IT-jour 08-123 456 78";
      },
      std::chrono::seconds(30)))
      << rosterOf(b_);
  EXPECT_EQ(contacts(b_)[kReplProviderA]["name"], "Skolbolaget onA");
  // The provider of kReplUnitB is not enrolled anywhere: a placeholder row, as the import made on
  // A.
  EXPECT_EQ(contacts(b_)[kReplProviderB]["name"], contacts(a_)[kReplProviderB]["name"]);
  EXPECT_EQ(rosterOf(b_), rosterOf(a_));
  EXPECT_NE(rosterOf(b_).find("Ekbackens skola"), std::string::npos) << rosterOf(b_);
  EXPECT_NE(rosterOf(b_).find("Tallens förskola"), std::string::npos) << rosterOf(b_);

  // The same file again changes nothing and records nothing.
  ASSERT_TRUE(waitUntil([&] { return digest(a_) == digest(b_); }, std::chrono::seconds(30)));
  const auto before = digest(a_)["frames"];
  auto again =
      runCommand({SAMBAND_BROKER_BIN, "roster", "import", "--config", a_.config(), roster});
  ASSERT_EQ(again.exitCode, 0) << again.err;
  auto sameContact = runCommand({SAMBAND_BROKER_BIN, "contact", "set", "--config", a_.config(),
                                 "--provider", kReplProviderA, "--text", "IT-jour 08-123 456 78"});
  ASSERT_EQ(sameContact.exitCode, 0) << sameContact.err;
  EXPECT_EQ(digest(a_)["frames"], before);

  // A change on B reaches A: a new contact, and one unit's district.
  auto onB = runCommand({SAMBAND_BROKER_BIN, "contact", "set", "--config", b_.config(),
                         "--provider", kReplProviderA, "--text", "Rektor 08-555 000 00"});
  ASSERT_EQ(onB.exitCode, 0) << onB.out << onB.err;
  std::ofstream(roster) << "unit_code,unit_name,provider_id,district,lat,lon,school_forms\n"
                        << kReplUnitB << ",Tallens förskola," << kReplProviderB
                        << ",Hässelby,59.2400,18.0900,forskola:1-5\n";
  auto importB =
      runCommand({SAMBAND_BROKER_BIN, "roster", "import", "--config", b_.config(), roster});
  ASSERT_EQ(importB.exitCode, 0) << importB.out << importB.err;
  ASSERT_TRUE(waitUntil(
      [&] {
        return contacts(a_)[kReplProviderA]["duty_contact"] == "Rektor 08-555 000 00" &&
               rosterOf(a_).find("Hässelby") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << rosterOf(a_);
  EXPECT_EQ(rosterOf(a_), rosterOf(b_));
  ASSERT_TRUE(waitUntil([&] { return digest(a_) == digest(b_); }, std::chrono::seconds(30)))
      << digest(a_).dump() << "\n"
      << digest(b_).dump();
  for (const auto* b : {&a_, &b_}) {
    const std::string log = samband::testing::readWhole(b->log());
    EXPECT_EQ(log.find("archived but not applied"), std::string::npos) << log;
    EXPECT_EQ(log.find("served a frame the gate refused"), std::string::npos) << log;
    int code = -1;
    digest(*b, &code);
    EXPECT_EQ(code, 0);
  }
}

// Issue 15: a board user created on one broker logs in on the other's board after a failover;
// a password changed there reaches the first; a removal follows; no password hash is ever in
// either archive (the hash travels beside the frames, docs/decisions/0014-*).
TEST_F(Replication, ABoardUserOfEitherBrokerLogsInOnTheOtherAndNoHashIsArchived) {
  peer(a_, b_);
  peer(b_, a_);
  makeAgent("onA", kReplProviderA, kReplUnitA, a_);
  start(a_);
  start(b_);
  const std::string roster = tmp_.path() + "/roster.csv";
  std::ofstream(roster) << "unit_code,unit_name,provider_id,district,lat,lon,school_forms\n"
                        << kReplUnitA << ",Ekbackens skola," << kReplProviderA
                        << ",Bromma,59.3400,17.9400,grundskola:1-3\n";
  ASSERT_EQ(runCommand({SAMBAND_BROKER_BIN, "roster", "import", "--config", a_.config(), roster})
                .exitCode,
            0);
  const std::string first = "ett långt lösenord";
  auto add = runCommand({SAMBAND_BROKER_BIN, "user", "add", "--config", a_.config(), "--name",
                         "anna", "--role", "viewer"},
                        first + "\n");
  ASSERT_EQ(add.exitCode, 0) << add.out << add.err;
  ASSERT_TRUE(waitUntil([&] { return usersOf(b_) == std::vector<std::string>{"anna"}; },
                        std::chrono::seconds(30)))
      << samband::testing::readWhole(b_.log());
  // On B's board with the password set on A, and the units carry A's names.
  const std::string cookie = boardLogin(b_, "anna", first);
  ASSERT_FALSE(cookie.empty()) << samband::testing::readWhole(b_.log());
  httplib::Client board("127.0.0.1", b_.boardPort);
  ASSERT_TRUE(waitUntil(
      [&] {
        auto units = board.Get("/api/units", {{"Cookie", cookie}});
        return units && units->status == 200 &&
               units->body.find("Ekbackens skola") != std::string::npos;
      },
      std::chrono::seconds(30)));

  // Changed on B: A takes the new password, and the old one no longer works there.
  const std::string second = "ett helt nytt lösenord";
  auto passwd =
      runCommand({SAMBAND_BROKER_BIN, "user", "passwd", "--config", b_.config(), "--name", "anna"},
                 second + "\n");
  ASSERT_EQ(passwd.exitCode, 0) << passwd.out << passwd.err;
  ASSERT_TRUE(waitUntil([&] { return digest(a_) == digest(b_); }, std::chrono::seconds(30)));
  EXPECT_FALSE(boardLogin(a_, "anna", second).empty()) << samband::testing::readWhole(a_.log());
  EXPECT_TRUE(boardLogin(a_, "anna", first).empty());

  // Removed on A: gone on B too.
  auto removed =
      runCommand({SAMBAND_BROKER_BIN, "user", "remove", "--config", a_.config(), "--name", "anna"});
  ASSERT_EQ(removed.exitCode, 0) << removed.out << removed.err;
  ASSERT_TRUE(waitUntil([&] { return usersOf(b_).empty(); }, std::chrono::seconds(30)));
  EXPECT_TRUE(boardLogin(b_, "anna", second).empty());

  ASSERT_TRUE(waitUntil([&] { return digest(a_) == digest(b_); }, std::chrono::seconds(30)));
  for (const auto* b : {&a_, &b_}) {
    SQLite::Database db(b->dir + "/samband.db", SQLite::OPEN_READONLY);
    EXPECT_GE(db.execAndGet("SELECT count(*) FROM frames WHERE kind='account'").getInt(), 3);
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM frames WHERE instr(envelope, "
                            "CAST('$argon2' AS BLOB)) > 0")
                  .getInt(),
              0);
    const std::string log = samband::testing::readWhole(b->log());
    EXPECT_EQ(log.find("account record"), std::string::npos) << log;
    EXPECT_EQ(log.find("$argon2"), std::string::npos);
    int code = -1;
    digest(*b, &code);
    EXPECT_EQ(code, 0);
  }
}

// A fake peer broker: answers every pull with the frames `answer` gives for the puller's heads.
class FakePeer {
 public:
  using Answer = std::function<std::vector<Bytes>(const broker::PullRequest&)>;
  FakePeer(int port, Answer answer)
      : identity_(common::Identity::generate("city")), answer_(std::move(answer)) {
    thread_ = std::thread([this, port] { run(port); });
  }
  ~FakePeer() {
    stop_ = true;
    thread_.join();
  }
  std::string curvePublicHex() const { return common::toHex(identity_->curvePublic().data(), 32); }
  int pulls() const { return pulls_; }

 private:
  void run(int port) {
    zmq::context_t ctx;
    zmq::socket_t router(ctx, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    router.set(zmq::sockopt::curve_server, 1);
    router.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(identity_->curveSecret(), 32));
    router.bind("tcp://127.0.0.1:" + std::to_string(port));
    while (!stop_) {
      zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> parts;
      if (!zmq::recv_multipart(router, std::back_inserter(parts))) continue;
      if (parts.size() != 3) continue;
      auto request = broker::decodePullRequest(parts[2].to_string());
      if (!request) continue;
      pulls_++;
      std::vector<Bytes> frames = answer_(*request);
      std::vector<zmq::const_buffer> out{zmq::buffer(parts[0].data(), parts[0].size()),
                                         zmq::buffer(std::string_view(broker::kPullAnswerTag))};
      const std::string meta = broker::encodeAnswerMeta(0);
      out.push_back(zmq::buffer(meta));
      for (const auto& f : frames) out.push_back(zmq::buffer(f.data(), f.size()));
      zmq::send_multipart(router, out);
    }
  }

  std::unique_ptr<common::Identity> identity_;
  Answer answer_;
  std::atomic<bool> stop_{false};
  std::atomic<int> pulls_{0};
  std::thread thread_;
};

common::Message statusMessage(const common::Identity& id, uint64_t seq, const Bytes& prev,
                              const std::string& unit, int present) {
  common::Message m;
  m.senderId = id.id();
  m.keyId = id.keyId();
  m.seq = seq;
  m.prevHash = prev;
  m.sentAt = common::SystemClock().nowMs();
  common::UnitStatusMsg s;
  s.unitCode = unit;
  s.operational = common::OperationalState::REDUCED;
  s.pupilsPresent = present;
  m.payload = s;
  return m;
}

TEST_F(Replication, APeerServingAlteredOrForgedFramesIsRefusedCountedAndReplicationGoesOn) {
  makeAgent("victim", kReplProviderA, kReplUnitA, b_);
  makeAgent("honest", kReplProviderB, kReplUnitB, b_);
  auto victim = common::Identity::load(tmp_.path() + "/victim/agent.identity");
  auto honest = common::Identity::load(tmp_.path() + "/honest/agent.identity");
  ASSERT_TRUE(victim.ok() && honest.ok());
  auto stranger = common::Identity::generate(kReplProviderA);

  // The honest provider's chain of three, which the fake peer serves after the bad frames.
  std::vector<common::SealedFrame> chain;
  Bytes prev;
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    common::Message m = statusMessage(**honest, seq, prev, kReplUnitB, 10 * seq);
    // The first one was admitted by the peer 60 days ago: outside the gate's 30-day clock
    // window for a frame from an agent, but history a standby must take over.
    if (seq == 1) m.sentAt -= 60LL * 24 * 3600 * 1000;
    chain.push_back(common::seal(**honest, m));
    prev = chain.back().bodyHash;
  }
  // Altered: the victim's real frame with one byte of its body changed after signing.
  auto real = common::seal(**victim, statusMessage(**victim, 1, {}, kReplUnitA, 7));
  Bytes body = real.body;
  body[body.size() - 9] ^= 0x01;
  const Bytes altered = common::encodeEnvelope(body, common::signBody(**victim, real.body));
  // Forged: a body in the victim's name signed by a key nobody enrolled.
  common::Message claim = statusMessage(*stranger, 1, {}, kReplUnitA, 999);
  claim.senderId = kReplProviderA;
  const Bytes forged = common::seal(*stranger, claim).envelope;
  // A directive in the city's name, signed by a key the city's root never certified.
  auto fakeCity = common::Identity::generate("city");
  common::Message directive = statusMessage(*fakeCity, 1, {}, kReplUnitA, 0);
  directive.payload = common::DirectiveMsg{
      "d-1", 1, "Stäng alla skolor", common::ReadinessLevel::HIGHEST, false, 0, {}};
  const Bytes forgedCity = common::seal(*fakeCity, directive).envelope;

  const int fakePort = freePort();
  FakePeer fake(fakePort, [&](const broker::PullRequest& request) {
    uint64_t have = 0;
    for (const auto& h : request.heads) {
      if (h.sender == kReplProviderB) have = h.seq;
    }
    std::vector<Bytes> out{altered, forged, forgedCity};
    if (have < chain.size()) out.push_back(chain[have].envelope);
    return out;
  });
  set(b_, "peers",
      "[[\"tcp://127.0.0.1:" + std::to_string(fakePort) + "\", \"" + fake.curvePublicHex() +
          "\"]]");
  start(b_);

  // Replication goes on: the honest chain arrives whole, nothing of the victim's is stored.
  ASSERT_TRUE(
      waitUntil([&] { return digest(b_)["providers"]["frames"] == 3; }, std::chrono::seconds(60)))
      << digest(b_).dump();
  EXPECT_EQ(unit(b_, kReplUnitB)["pupils_present"], 30);
  EXPECT_TRUE(unit(b_, kReplUnitA).is_null() || unit(b_, kReplUnitA)["pupils_present"] != 999);
  auto rejected = status(b_)["rejected"];
  EXPECT_GE(rejected.value("bad_signature", 0), 1) << rejected.dump();
  EXPECT_GE(rejected.value("unknown_sender", 0), 1) << rejected.dump();
  int code = -1;
  digest(b_, &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(
      samband::testing::readWhole(b_.log()).find(
          "served a frame the gate refused (bad_signature, sender " + std::string(kReplProviderA)),
      std::string::npos);
  EXPECT_NE(samband::testing::readWhole(b_.log()).find(
                "served a frame the gate refused (bad_signature, sender city"),
            std::string::npos);
  // Nothing of the forged directive reached B's archive: only its own city chain is there.
  auto d = digest(b_);
  EXPECT_EQ(d["chains"].get<int64_t>(), d["providers"]["chains"].get<int64_t>() + 1) << d.dump();
}

// A lying peer serves the primary's real city chain with its duty contact record altered after
// signing, and a unit metadata record and a board account signed by city keys the root never
// certified: all are refused by the gate and counted, and change nothing on the standby.
TEST_F(Replication, APeerServingAlteredOrForgedRosterRecordsIsRefusedAndNothingChanges) {
  makeAgent("onA", kReplProviderA, kReplUnitA, a_);  // A's city chain: certificate, enrolment, name
  auto contactSet = runCommand({SAMBAND_BROKER_BIN, "contact", "set", "--config", a_.config(),
                                "--provider", kReplProviderA, "--text", "IT-jour 08-123 456 78"});
  ASSERT_EQ(contactSet.exitCode, 0) << contactSet.out << contactSet.err;
  std::vector<Bytes> cityChain;
  {
    SQLite::Database db(a_.dir + "/samband.db", SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT envelope, kind FROM frames WHERE sender='city' ORDER BY seq");
    while (q.executeStep()) {
      const auto* p = static_cast<const uint8_t*>(q.getColumn(0).getBlob());
      Bytes envelope(p, p + q.getColumn(0).getBytes());
      if (q.getColumn(1).getString() == "roster_info") {
        // "IT-jour" becomes "IT-jouR" in the signed body: the signature no longer holds.
        auto parts = common::decodeEnvelope(envelope);
        ASSERT_TRUE(parts.ok());
        Bytes body = parts->body;
        const std::string text = "IT-jour";
        auto at = std::search(body.begin(), body.end(), text.begin(), text.end());
        if (at != body.end()) {
          at[6] = 'R';
          envelope = common::encodeEnvelope(body, parts->signature);
        }
      }
      cityChain.push_back(std::move(envelope));
    }
  }
  ASSERT_GE(cityChain.size(), 4u);
  // Unit metadata in the city's name, signed by a key the root never certified.
  auto fakeCity = common::Identity::generate("city");
  common::Message info = statusMessage(*fakeCity, 1, {}, kReplUnitA, 0);
  info.mode = common::Mode::SYSTEM;
  info.payload = common::RosterInfoMsg{common::RosterInfoKind::UNIT_INFO,
                                       kReplProviderA,
                                       {},
                                       {common::UnitInfoMsg{kReplUnitA, "Falska skolan", "Nowhere",
                                                            std::nullopt, std::nullopt, ""}}};
  const Bytes forged = common::seal(*fakeCity, info).envelope;
  // A board account in the city's name from another uncertified key.
  auto otherFake = common::Identity::generate("city");
  common::Message account = statusMessage(*otherFake, 1, {}, kReplUnitA, 0);
  account.mode = common::Mode::SYSTEM;
  account.payload =
      common::AccountMsg{common::AccountAction::SET, "mallory", "operator", {}, Bytes(32, 0x11)};
  const Bytes forgedAccount = common::seal(*otherFake, account).envelope;

  const int fakePort = freePort();
  FakePeer fake(fakePort, [&](const broker::PullRequest&) {
    std::vector<Bytes> out{forged, forgedAccount};
    out.insert(out.end(), cityChain.begin(), cityChain.end());
    return out;
  });
  set(b_, "peers",
      "[[\"tcp://127.0.0.1:" + std::to_string(fakePort) + "\", \"" + fake.curvePublicHex() +
          "\"]]");
  start(b_);
  // The honest part of A's chain (certificate, enrolment, name) is taken; the rest is refused.
  ASSERT_TRUE(waitUntil(
      [&] {
        auto c = contacts(b_);
        return c.count(kReplProviderA) && c[kReplProviderA]["name"] == "Skolbolaget onA";
      },
      std::chrono::seconds(30)))
      << samband::testing::readWhole(b_.log());
  ASSERT_TRUE(waitUntil([&] { return status(b_)["rejected"].value("bad_signature", 0) >= 3; },
                        std::chrono::seconds(30)))
      << status(b_)["rejected"].dump();
  EXPECT_TRUE(contacts(b_)[kReplProviderA]["duty_contact"].is_null())
      << contacts(b_)[kReplProviderA].dump();
  EXPECT_EQ(rosterOf(b_).find("Falska"), std::string::npos) << rosterOf(b_);
  EXPECT_TRUE(usersOf(b_).empty());
  EXPECT_EQ(samband::testing::readWhole(b_.log()).find("IT-jouR"), std::string::npos)
      << "never log the record";
  int code = -1;
  digest(b_, &code);
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace samband::testing
