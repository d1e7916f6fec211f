// Pictures that roll up (issue 15, docs/rollup.md), with real processes on 127.0.0.1: two city
// brokers, each with its own root key and an agent, relay to one national broker, whose
// `status --json` shows both cities, their providers (the same organisation number in both:
// everything upstream is keyed by city) and units; a city that rewrites a provider's report
// before relaying is caught (`bad_signature` counted at the national broker) and the rewritten
// value never shows; restarting either side resumes the relay and stores nothing twice; a city
// with a primary and a standby relays through both, and the standby carries on when the primary
// is killed with SIGKILL (nothing stored twice); both sides' /metrics show the relay.
#include <gtest/gtest.h>

#include <SQLiteCpp/Database.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "broker/replication/pull_protocol.h"
#include "broker/replication/rollup_protocol.h"
#include "broker/replication/rollup_verifier.h"
#include "broker/store/replication_store.h"
#include "broker/store/store.h"
#include "common/codec.h"
#include "common/identity.h"
#include "tests/integration/process/city_fixture.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace samband::testing {
namespace {

constexpr const char* kRollupProvider = "556677-8899";  // in both cities: ids may collide
constexpr const char* kRollupUnitA = "12345678";
constexpr const char* kRollupUnitB = "55555555";

struct Broker {
  std::string dir;
  int port = 0;
  int boardPort = 0;
  int replPort = 0;
  std::unique_ptr<Process> process;
  std::string config() const { return dir + "/broker.toml"; }
  std::string replEndpoint() const { return "tcp://127.0.0.1:" + std::to_string(replPort); }
  std::string endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port); }
  std::string log() const { return dir + "/broker.log"; }
};

// A test-only relay standing in for city B's broker (it holds B's keys): it answers the national
// broker's pulls from B's archive like the real relay, but rewrites every unit status that says
// "closed" into "normal" before sending it. Never part of the product.
class RewritingRelay {
 public:
  RewritingRelay(std::string endpoint, std::string curvePublicHex, std::string cityDir)
      : endpoint_(std::move(endpoint)), key_(std::move(curvePublicHex)), dir_(std::move(cityDir)) {
    thread_ = std::thread([this] { run(); });
  }
  ~RewritingRelay() {
    stopping_ = true;
    thread_.join();
  }
  int rewritten() const { return rewritten_; }

 private:
  void run() {
    auto city = common::Identity::load(dir_ + "/city.identity");
    ASSERT_TRUE(city.ok());
    std::array<uint8_t, 32> server{};
    ASSERT_TRUE(common::fromHex(key_, server.data(), 32));
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(server.data(), 32));
    s.set(zmq::sockopt::curve_publickey, zmq::const_buffer((*city)->curvePublic().data(), 32));
    s.set(zmq::sockopt::curve_secretkey, zmq::const_buffer((*city)->curveSecret(), 32));
    s.connect(endpoint_);
    std::array<zmq::const_buffer, 2> hello{zmq::buffer(std::string_view(broker::kRelayHelloTag)),
                                           zmq::buffer(std::string_view("{}"))};
    zmq::send_multipart(s, hello);
    auto store = broker::Store::open(dir_ + "/samband.db", broker::Store::Access::readOnly);
    ASSERT_TRUE(store.ok());
    broker::ReplicationStore rs(**store);
    while (!stopping_) {
      zmq::pollitem_t items[] = {{s.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, std::chrono::milliseconds(50));
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> parts;
      if (!zmq::recv_multipart(s, std::back_inserter(parts))) continue;
      auto request = broker::decodePullRequest(parts.back().to_string());
      if (!request) continue;
      std::map<std::pair<std::string, std::string>, uint64_t> theirs;
      for (const auto& h : request->heads) theirs[{h.sender, h.keyId}] = h.seq;
      std::vector<common::Bytes> out;
      auto tips = rs.chainTips();
      std::stable_partition(tips->begin(), tips->end(),
                            [](const broker::ChainTip& t) { return t.sender == "city"; });
      for (const auto& tip : *tips) {
        auto envs =
            rs.envelopesAfter(tip.sender, tip.keyId, theirs[{tip.sender, tip.keyId}], 512, 4 << 20);
        for (auto& e : *envs) {
          auto env = common::decodeEnvelope(e);
          if (!env) continue;
          auto m = common::decodeBody(env->body);
          if (!m || !broker::isRelayedUpward(*m)) continue;
          if (auto* u = std::get_if<common::UnitStatusMsg>(&m->payload);
              u != nullptr && u->operational == common::OperationalState::CLOSED) {
            u->operational = common::OperationalState::NORMAL;  // the rewrite
            e = common::encodeEnvelope(common::encodeBody(*m), env->signature);
            rewritten_++;
          }
          out.push_back(std::move(e));
        }
      }
      broker::LivenessSummary summary;
      summary.keyIdHex = common::toHex((*city)->keyId());
      const std::string liveness = broker::encodeLiveness(summary);
      const common::Bytes sig = broker::signLiveness(**city, liveness);
      const std::string meta = broker::encodeAnswerMeta(0);
      std::vector<zmq::const_buffer> answer{zmq::buffer(std::string_view(broker::kRelayAnswerTag)),
                                            zmq::buffer(meta), zmq::buffer(liveness),
                                            zmq::buffer(sig.data(), sig.size())};
      for (const auto& e : out) answer.push_back(zmq::buffer(e.data(), e.size()));
      zmq::send_multipart(s, answer);
      if (out.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  std::string endpoint_;
  std::string key_;
  std::string dir_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> rewritten_{0};
  std::thread thread_;
};

class Rollup : public ::testing::Test {
 protected:
  void SetUp() override {
    national_.dir = tmp_.path() + "/national";
    national_.port = freePort();
    national_.boardPort = freePort();
    auto n = runCommand({SAMBAND_BROKER_BIN, "init", "--tier", "national", "--dir", national_.dir,
                         "--listen", national_.endpoint(), "--board-listen",
                         "127.0.0.1:" + std::to_string(national_.boardPort)});
    ASSERT_EQ(n.exitCode, 0) << n.out << n.err;
    setTomlKey(national_.config(), "liveness", "stale_after_s", "5");
    setTomlKey(national_.config(), "liveness", "offline_after_s", "15");
    for (auto* c : {&a_, &b_}) {
      const std::string name = c == &a_ ? "A" : "B";
      c->dir = tmp_.path() + "/" + name;
      c->port = freePort();
      c->boardPort = freePort();
      auto r = runCommand({SAMBAND_BROKER_BIN, "init", "--dir", c->dir, "--listen", c->endpoint(),
                           "--board-listen", "127.0.0.1:" + std::to_string(c->boardPort)});
      ASSERT_EQ(r.exitCode, 0) << r.err;
      setTomlKey(c->config(), "liveness", "stale_after_s", "5");
      setTomlKey(c->config(), "liveness", "offline_after_s", "15");
      setTomlKey(c->config(), "ingest", "roster_refresh_ms", "200");
      setTomlKey(c->config(), "readiness", "enabled", "false");
      // Each city its own root, certifying its broker.
      const std::string root = tmp_.path() + "/root" + name;
      auto init = runCommand({SAMBAND_BROKER_BIN, "city-key", "init", "--out", root});
      ASSERT_EQ(init.exitCode, 0) << init.out << init.err;
      auto cert =
          runCommand({SAMBAND_BROKER_BIN, "city-key", "certify", "--root", root + "/root.identity",
                      "--key", c->dir + "/city.pub", "--label", "primary", "--config", c->config(),
                      "--out", c->dir + "/broker.cert"});
      ASSERT_EQ(cert.exitCode, 0) << cert.out << cert.err;
      std::ofstream(c->dir + "/city-keys.pub")
          << samband::testing::readWhole(root + "/root.pub")
          << samband::testing::readWhole(c->dir + "/broker.cert");
      // Enrol the city upstream.
      auto req = runCommand({SAMBAND_BROKER_BIN, "upstream-request", "--config", c->config(),
                             "--city", name == "A" ? "Uppsala" : "Enköping", "--out",
                             c->dir + "/upstream-request.json"});
      ASSERT_EQ(req.exitCode, 0) << req.out << req.err;
      auto enrol = runCommand({SAMBAND_BROKER_BIN, "enroll-city", "--config", national_.config(),
                               "--request", c->dir + "/upstream-request.json", "--out",
                               c->dir + "/upstream.toml"});
      ASSERT_EQ(enrol.exitCode, 0) << enrol.out << enrol.err;
      upstreamSection_[name] = samband::testing::readWhole(c->dir + "/upstream.toml");
    }
  }

  void TearDown() override {
    for (auto* b : {&national_, &a_, &b_, &standby_}) {
      if (b->process) b->process->terminate();
      if (HasFailure()) {
        std::string text = samband::testing::readWhole(b->log());
        if (text.size() > 3000) text = text.substr(text.size() - 3000);
        std::cerr << "--- " << b->dir << " log (tail) ---\n" << text << "\n";
      }
    }
  }

  void relayUp(Broker& c, const std::string& name) {
    std::ofstream(c.config(), std::ios::app) << "\n" << upstreamSection_[name];
  }

  void start(Broker& b) {
    const size_t from = samband::testing::readWhole(b.log()).size();
    b.process = std::make_unique<Process>(
        std::vector<std::string>{SAMBAND_BROKER_BIN, "serve", "--config", b.config()}, b.log());
    ASSERT_TRUE(waitUntil([&] {
      std::string text = samband::testing::readWhole(b.log());
      return text.size() > from && text.find("listening on", from) != std::string::npos;
    })) << "broker "
        << b.dir << " did not start";
  }

  void stop(Broker& b) {
    if (b.process) b.process->terminate();
    b.process.reset();
  }

  std::string makeAgent(const std::string& name, const std::string& unit, const Broker& to) {
    std::string dir = tmp_.path() + "/agent" + name;
    auto r = runCommand({SAMBAND_AGENT_BIN, "init", "--dir", dir, "--provider", kRollupProvider,
                         "--name", "Skolbolaget " + name, "--broker", to.endpoint(), "--city-keys",
                         to.dir + "/city-keys.pub", "--unit", unit});
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    std::string config = dir + "/agent.toml";
    setTomlKey(config, "timing", "heartbeat_interval_s", "1");
    setTomlKey(config, "link", "reconnect_min_ms", "50");
    setTomlKey(config, "link", "reconnect_max_ms", "500");
    auto e = runCommand({SAMBAND_BROKER_BIN, "enroll", "--config", to.config(), "--request",
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
              const std::string& mode = "actual") {
    auto r = runCommand({SAMBAND_AGENT_BIN, "report", "--config", agent, "--unit", unit,
                         "--operational", state, "--mode", mode});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  }

  nlohmann::json status() {
    auto r = runCommand({SAMBAND_BROKER_BIN, "status", "--config", national_.config(), "--json"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  nlohmann::json city(const std::string& name) {
    auto s = status();
    if (s.is_discarded()) return nullptr;
    for (const auto& c : s["cities"]) {
      if (c["city"] == name) return c;
    }
    return nullptr;
  }

  nlohmann::json unitOf(const std::string& cityName, const std::string& code) {
    auto c = city(cityName);
    if (c.is_null()) return nullptr;
    for (const auto& p : c["providers"]) {
      for (const auto& u : p["units"]) {
        if (u["unit"] == code) return u;
      }
    }
    return nullptr;
  }

  int64_t stored(const std::string& cityName) {
    SQLite::Database db(national_.dir + "/samband.db", SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT COUNT(*) FROM rollup_frames WHERE city=?");
    q.bind(1, cityName);
    q.executeStep();
    return q.getColumn(0).getInt64();
  }

  // /metrics of a broker's board (no token configured in these tests).
  std::string metrics(const Broker& b) {
    httplib::Client http("127.0.0.1", b.boardPort);
    http.set_connection_timeout(2);
    auto r = http.Get("/metrics");
    return r && r->status == 200 ? r->body : "";
  }

  // The value of an unlabelled (or fully labelled) metric line `name`, -1 when absent.
  static double metric(const std::string& text, const std::string& name) {
    const std::string key = "\n" + name + " ";
    const auto at = text.find(key);
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + key.size(), text.find('\n', at + 1) - at - key.size()));
  }

  TempDir tmp_;
  Broker national_;
  Broker a_;
  Broker b_;
  Broker standby_;  // city A's second broker, when a test makes one
  std::map<std::string, std::string> upstreamSection_;
};

TEST_F(Rollup, NationalPictureShowsBothCitiesAndCatchesARewritingCity) {
  relayUp(a_, "A");  // B relays through the rewriting test relay first
  const std::string agentA = makeAgent("A", kRollupUnitA, a_);
  const std::string agentB = makeAgent("B", kRollupUnitB, b_);
  start(national_);
  start(a_);
  start(b_);
  auto runA = runAgent(agentA);
  auto runB = runAgent(agentB);
  report(agentA, kRollupUnitA, "reduced");
  report(agentA, kRollupUnitA, "closed", "exercise");  // never relayed: an exercise
  report(agentB, kRollupUnitB, "closed");
  report(agentB, kRollupUnitB, "relocated");

  ASSERT_TRUE(waitUntil([&] { return unitOf("Uppsala", kRollupUnitA)["state"] == "reduced"; },
                        std::chrono::seconds(30)))
      << status().dump(2);
  auto uppsala = city("Uppsala");
  EXPECT_EQ(uppsala["connected"], true);
  ASSERT_EQ(uppsala["providers"].size(), 1u) << uppsala.dump(2);
  EXPECT_EQ(uppsala["providers"][0]["provider"], kRollupProvider);
  ASSERT_TRUE(waitUntil([&] {
    auto c = city("Uppsala");
    return !c.is_null() && c["providers"][0]["liveness"] == "online";
  })) << city("Uppsala").dump(2);
  EXPECT_TRUE(uppsala["refused"].empty()) << uppsala.dump(2);

  // City B through the rewriting relay: both its reports are in its archive.
  ASSERT_TRUE(waitUntil([&] {
    SQLite::Database db(b_.dir + "/samband.db", SQLite::OPEN_READONLY);
    return db.execAndGet("SELECT COUNT(*) FROM frames WHERE sender='556677-8899'").getInt() == 2;
  }));
  const std::string nationalKey = [&] {
    auto pub = common::PublicIdentity::load(national_.dir + "/broker.pub");
    return common::toHex(pub->curvePublic.data(), 32);
  }();
  {
    RewritingRelay fake(national_.endpoint(), nationalKey, b_.dir);
    ASSERT_TRUE(waitUntil(
        [&] {
          auto c = city("Enköping");
          return !c.is_null() && c["refused"].contains("bad_signature");
        },
        std::chrono::seconds(30)))
        << city("Enköping").dump(2);
    EXPECT_GE(fake.rewritten(), 1);
    // The honest report after the rewritten one passes (after a gap); the rewrite never shows.
    ASSERT_TRUE(waitUntil([&] { return unitOf("Enköping", kRollupUnitB)["state"] == "relocated"; },
                          std::chrono::seconds(30)))
        << city("Enköping").dump(2);
    EXPECT_GE(city("Enköping")["gaps"].get<int64_t>(), 1);
  }
  // Both cities side by side, keyed by city though the provider id is the same.
  auto s = status();
  ASSERT_EQ(s["cities"].size(), 2u);
  EXPECT_EQ(s["tier"], "national");
  EXPECT_EQ(unitOf("Uppsala", kRollupUnitA)["state"], "reduced");
  EXPECT_EQ(unitOf("Enköping", kRollupUnitB)["state"], "relocated");
  EXPECT_TRUE(unitOf("Uppsala", kRollupUnitB).is_null());
  EXPECT_TRUE(unitOf("Enköping", kRollupUnitA).is_null());
  EXPECT_FALSE(unitOf("Uppsala", kRollupUnitA)["age_s"].is_null());
  EXPECT_FALSE(city("Uppsala")["newest_frame_age_s"].is_null());
}

TEST_F(Rollup, RestartingEitherSideResumesAndStoresNothingTwice) {
  relayUp(a_, "A");
  const std::string agentA = makeAgent("A", kRollupUnitA, a_);
  start(national_);
  start(a_);
  auto runA = runAgent(agentA);
  report(agentA, kRollupUnitA, "reduced");
  ASSERT_TRUE(waitUntil([&] { return unitOf("Uppsala", kRollupUnitA)["state"] == "reduced"; },
                        std::chrono::seconds(30)))
      << status().dump(2);
  const int64_t before = stored("Uppsala");
  EXPECT_GE(before, 3);  // the certificate, the enrolment, the report

  // The national broker goes away; the city keeps archiving; the relay resumes on its return.
  stop(national_);
  report(agentA, kRollupUnitA, "closed");
  start(national_);
  ASSERT_TRUE(waitUntil([&] { return unitOf("Uppsala", kRollupUnitA)["state"] == "closed"; },
                        std::chrono::seconds(30)))
      << status().dump(2);
  EXPECT_EQ(stored("Uppsala"), before + 1);

  // The city broker restarts: the national heads say what it has, nothing is sent twice.
  stop(a_);
  start(a_);
  report(agentA, kRollupUnitA, "remote");
  ASSERT_TRUE(waitUntil([&] { return unitOf("Uppsala", kRollupUnitA)["state"] == "remote"; },
                        std::chrono::seconds(30)))
      << status().dump(2);
  EXPECT_EQ(stored("Uppsala"), before + 2);
  EXPECT_TRUE(city("Uppsala")["refused"].empty()) << city("Uppsala").dump(2);
}

TEST_F(Rollup, EnrollCityRefusesAnAlteredRequest) {
  std::string text = samband::testing::readWhole(a_.dir + "/upstream-request.json");
  const auto at = text.find("Uppsala");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 7, "Uppsalb");
  std::ofstream(a_.dir + "/altered.json") << text;
  auto r = runCommand({SAMBAND_BROKER_BIN, "enroll-city", "--config", national_.config(),
                       "--request", a_.dir + "/altered.json"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("signature"), std::string::npos) << r.err;
}

// Item 1 of the roll-up's loose ends: every broker of a city relays. City A gets a standby (its
// own key, certified by A's root; the two pull from each other); both relay to the national
// broker, which admits the standby's transport key because A's root certified it (the standby
// was never enrolled there with enroll-city). The primary is killed with SIGKILL; the agent
// fails over to the standby, and its next report still reaches the national picture, stored once.
TEST_F(Rollup, BothBrokersOfACityRelayAndTheStandbyCarriesOnWhenThePrimaryIsKilled) {
  standby_.dir = tmp_.path() + "/S";
  standby_.port = freePort();
  standby_.boardPort = freePort();
  standby_.replPort = freePort();
  a_.replPort = freePort();
  auto r = runCommand({SAMBAND_BROKER_BIN, "init", "--dir", standby_.dir, "--listen",
                       standby_.endpoint(), "--board-listen",
                       "127.0.0.1:" + std::to_string(standby_.boardPort)});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  setTomlKey(standby_.config(), "liveness", "stale_after_s", "5");
  setTomlKey(standby_.config(), "liveness", "offline_after_s", "15");
  setTomlKey(standby_.config(), "ingest", "roster_refresh_ms", "200");
  setTomlKey(standby_.config(), "readiness", "enabled", "false");
  auto cert = runCommand({SAMBAND_BROKER_BIN, "city-key", "certify", "--root",
                          tmp_.path() + "/rootA/root.identity", "--key", standby_.dir + "/city.pub",
                          "--label", "standby", "--config", standby_.config(), "--out",
                          standby_.dir + "/broker.cert"});
  ASSERT_EQ(cert.exitCode, 0) << cert.out << cert.err;
  auto curveOf = [](const std::string& pubFile) {
    auto pub = common::PublicIdentity::load(pubFile);
    EXPECT_TRUE(pub.ok());
    return pub.ok() ? common::toHex(pub->curvePublic.data(), 32) : std::string();
  };
  // Primary and standby pull from each other; acks on the local commit (not what is tested).
  for (auto [from, to] :
       std::initializer_list<std::pair<Broker*, Broker*>>{{&a_, &standby_}, {&standby_, &a_}}) {
    std::ofstream(from->config(), std::ios::app)
        << "\n[replication]\nlisten = \"" << from->replEndpoint() << "\"\npeers = [[\""
        << to->replEndpoint() << "\", \"" << curveOf(to->dir + "/city.pub")
        << "\"]]\nack = \"local\"\npull_wait_ms = 500\n";
  }
  relayUp(a_, "A");
  relayUp(standby_, "A");  // the same [upstream] section: the national broker and its key

  // The agent knows both brokers (the standby with its transport key) and pins A's root with
  // both certificates; it is enrolled on the primary (the standby learns it by replication).
  std::ofstream(tmp_.path() + "/city-keys-A.pub")
      << samband::testing::readWhole(a_.dir + "/city-keys.pub")
      << samband::testing::readWhole(standby_.dir + "/broker.cert");
  const std::string agentDir = tmp_.path() + "/agentA";
  auto init =
      runCommand({SAMBAND_AGENT_BIN, "init", "--dir", agentDir, "--provider", kRollupProvider,
                  "--name", "Skolbolaget A", "--broker", a_.endpoint(), "--broker",
                  standby_.endpoint() + "=" + curveOf(standby_.dir + "/city.pub"), "--city-keys",
                  tmp_.path() + "/city-keys-A.pub", "--unit", kRollupUnitA});
  ASSERT_EQ(init.exitCode, 0) << init.out << init.err;
  const std::string agent = agentDir + "/agent.toml";
  setTomlKey(agent, "timing", "heartbeat_interval_s", "1");
  setTomlKey(agent, "link", "ack_timeout_ms", "1000");
  setTomlKey(agent, "link", "reconnect_min_ms", "50");
  setTomlKey(agent, "link", "reconnect_max_ms", "500");
  setTomlKey(agent, "link", "failover_after_ms", "1000");
  auto e = runCommand({SAMBAND_BROKER_BIN, "enroll", "--config", a_.config(), "--request",
                       agentDir + "/enroll-request.json"});
  ASSERT_EQ(e.exitCode, 0) << e.out << e.err;

  start(national_);
  start(a_);
  start(standby_);
  auto run = runAgent(agent);
  report(agent, kRollupUnitA, "reduced");
  ASSERT_TRUE(waitUntil([&] { return unitOf("Uppsala", kRollupUnitA)["state"] == "reduced"; },
                        std::chrono::seconds(30)))
      << status().dump(2);
  // Both relay: the standby, admitted by its certificate, is pulled too; its /metrics says so.
  ASSERT_TRUE(waitUntil(
      [&] {
        const std::string m = metrics(standby_);
        return metric(m, "samband_upstream_connected") == 1 &&
               metric(m, "samband_upstream_behind_frames") == 0;
      },
      std::chrono::seconds(30)))
      << metrics(standby_);
  ASSERT_TRUE(waitUntil([&] {
    const std::string m = metrics(a_);
    return metric(m, "samband_upstream_connected") == 1 &&
           metric(m, "samband_upstream_frames_relayed_total") >= 3 &&
           metric(m, "samband_upstream_last_pull_seconds") > 0;
  })) << metrics(a_);
  // The standby never saw the agent (it is connected to the primary) and says so in its signed
  // liveness summary; the national picture keeps the latest sighting either broker reports, so
  // the provider stays online while both answer pulls (each at least every 2 s).
  ASSERT_TRUE(waitUntil([&] {
    auto c = city("Uppsala");
    return !c.is_null() && c["providers"][0]["liveness"] == "online";
  })) << city("Uppsala").dump(2);
  {
    // The stored summary, read every 20 ms for 4.5 s (both brokers answer every 2 s, the
    // standby's summary naming the provider as never seen): never without a sighting.
    SQLite::Database db(national_.dir + "/samband.db", SQLite::OPEN_READONLY);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(4500);
    int samples = 0;
    while (std::chrono::steady_clock::now() < until) {
      const std::string liveness =
          db.execAndGet("SELECT liveness FROM rollup_cities WHERE city='Uppsala'").getString();
      ASSERT_EQ(liveness.find("null"), std::string::npos) << liveness;
      samples++;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // sampling, not synchronising
    }
    EXPECT_GT(samples, 100);
    auto c = city("Uppsala");
    EXPECT_EQ(c["providers"][0]["liveness"], "online") << c.dump(2);
  }
  // The standby holds the report too (replicated), and the national broker stored it once.
  ASSERT_TRUE(waitUntil([&] {
    SQLite::Database db(standby_.dir + "/samband.db", SQLite::OPEN_READONLY);
    return db.execAndGet("SELECT COUNT(*) FROM frames WHERE sender='556677-8899'").getInt() == 1;
  }));
  const int64_t before = stored("Uppsala");
  {
    SQLite::Database db(national_.dir + "/samband.db", SQLite::OPEN_READONLY);
    EXPECT_EQ(
        db.execAndGet("SELECT COUNT(*) FROM rollup_frames WHERE sender='556677-8899'").getInt(), 1);
    // Both brokers' city chains are relayed (each carries its own certificate).
    EXPECT_EQ(db.execAndGet("SELECT COUNT(DISTINCT key_id) FROM rollup_frames WHERE city='Uppsala' "
                            "AND sender='city'")
                  .getInt(),
              2);
  }

  // The primary dies; the agent moves to the standby, whose relay carries the next report up.
  a_.process->kill9();
  a_.process.reset();
  report(agent, kRollupUnitA, "closed");
  ASSERT_TRUE(waitUntil([&] { return unitOf("Uppsala", kRollupUnitA)["state"] == "closed"; },
                        std::chrono::seconds(30)))
      << status().dump(2);
  EXPECT_EQ(stored("Uppsala"), before + 1);
  auto uppsala = city("Uppsala");
  EXPECT_TRUE(uppsala["refused"].empty()) << uppsala.dump(2);
  EXPECT_EQ(uppsala["connected"], true);

  // The national /metrics, per city.
  const std::string m = metrics(national_);
  EXPECT_NE(m.find("samband_rollup_city_frames{city=\"Uppsala\"} " + std::to_string(before + 1)),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("samband_rollup_city_connected{city=\"Uppsala\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("samband_rollup_city_newest_frame_age_seconds{city=\"Uppsala\"} "),
            std::string::npos)
      << m;
}

// Revocations upstream are judged by chain position (docs/rollup.md): reports the provider's key
// signed before the city revoked it, relayed only after the revocation (the national broker was
// down meanwhile), still reach the national picture; the city's revocation record names the
// key's head, and nothing is refused.
TEST_F(Rollup, ReportsSignedBeforeARevocationAndRelayedAfterItAreAdmitted) {
  relayUp(a_, "A");
  const std::string agentA = makeAgent("A", kRollupUnitA, a_);
  start(a_);
  {
    auto runA = runAgent(agentA);
    report(agentA, kRollupUnitA, "reduced");
    report(agentA, kRollupUnitA, "closed");
    ASSERT_TRUE(waitUntil([&] {
      SQLite::Database db(a_.dir + "/samband.db", SQLite::OPEN_READONLY);
      return db.execAndGet("SELECT COUNT(*) FROM frames WHERE sender='556677-8899'").getInt() == 2;
    }));
  }
  auto keys = runCommand({SAMBAND_BROKER_BIN, "keys", "--config", a_.config(), "--provider",
                          kRollupProvider, "--json"});
  ASSERT_EQ(keys.exitCode, 0) << keys.err;
  const std::string keyId = nlohmann::json::parse(keys.out)["keys"][0]["key_id"];
  auto revoke = runCommand({SAMBAND_BROKER_BIN, "revoke", "--config", a_.config(), "--key", keyId});
  ASSERT_EQ(revoke.exitCode, 0) << revoke.out << revoke.err;

  // Only now does the national broker come up: every frame reaches it after the revocation.
  start(national_);
  ASSERT_TRUE(waitUntil([&] { return unitOf("Uppsala", kRollupUnitA)["state"] == "closed"; },
                        std::chrono::seconds(30)))
      << status().dump(2);
  auto uppsala = city("Uppsala");
  EXPECT_TRUE(uppsala["refused"].empty()) << uppsala.dump(2);
  SQLite::Database db(national_.dir + "/samband.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM rollup_frames WHERE sender='556677-8899'").getInt(),
            2);
}

}  // namespace
}  // namespace samband::testing
