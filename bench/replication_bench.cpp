// replication_bench: a standby broker (issue 15, docs/replication.md). Two real `samband-broker
// serve` processes on loopback name each other as peers; simulated agents in this process send
// signed unit reports to the first (A) only. Measures, in one run:
//   lag         replication lag at light load: for every frame, its receive time at the standby
//               (B's gate, after pulling it) minus its receive time at A (before A's commit), so
//               A's commit, the pull and B's gate are all inside it; p50/p99
//   throughput  reports per second A acknowledges at saturation with ack = "local" and with
//               ack = "peer" (each ack waits for B's commit): the cost of peer acknowledgement
// Appends one JSON object per line to --json; bench/summary.py ignores kinds it does not know.
#include <SQLiteCpp/SQLiteCpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "bench/bench_process.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/signing.h"

namespace samband::bench {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct SimAgent {
  std::unique_ptr<common::Identity> identity;
  std::string unit;
  std::vector<common::Bytes> chain;  // envelopes of seq 1..n, signed up front
};

std::vector<SimAgent> makeAgents(int k, size_t reports) {
  std::vector<SimAgent> agents;
  const int64_t now = common::SystemClock().nowMs();
  for (int i = 0; i < k; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "7%05d-%04d", i % 100000, i % 10000);
    char unit[32];
    std::snprintf(unit, sizeof unit, "9%07d", i % 10000000);
    SimAgent a;
    a.identity = common::Identity::generate(id);
    a.unit = unit;
    common::Bytes prev;
    for (size_t seq = 1; seq <= reports; ++seq) {
      common::Message m;
      m.senderId = id;
      m.keyId = a.identity->keyId();
      m.seq = seq;
      m.prevHash = prev;
      m.sentAt = now + static_cast<int64_t>(seq);
      common::UnitStatusMsg s;
      s.unitCode = unit;
      s.operational = common::OperationalState::REDUCED;
      s.pupilsPresent = static_cast<int>(seq % 500);
      m.payload = s;
      auto sealed = common::seal(*a.identity, m);
      prev = sealed.bodyHash;
      a.chain.push_back(std::move(sealed.envelope));
    }
    agents.push_back(std::move(a));
  }
  return agents;
}

struct Broker {
  std::string dir;
  int port = 0;
  int boardPort = 0;
  int replPort = 0;
  common::PublicIdentity city;
  ChildProcess process;
  std::string config() const { return dir + "/broker.toml"; }
  std::string database() const { return dir + "/samband.db"; }
};

bool run(const std::vector<std::string>& argv, const std::string& log) {
  ChildProcess p;
  std::string error;
  if (!p.start(argv, log, &error)) return false;
  for (int i = 0; i < 3000 && p.isRunning(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return p.stop(1000) == 0;
}

bool prepare(Broker& b, const std::string& bin, const std::string& dir,
             const std::vector<SimAgent>& agents) {
  b.dir = dir;
  fs::remove_all(dir);
  fs::create_directories(fs::path(dir).parent_path());
  b.port = freeLoopbackPort();
  b.boardPort = freeLoopbackPort();
  b.replPort = freeLoopbackPort();
  if (!run({bin, "init", "--dir", dir, "--listen", "tcp://127.0.0.1:" + std::to_string(b.port),
            "--board-listen", "127.0.0.1:" + std::to_string(b.boardPort)},
           dir + ".log")) {
    std::cerr << "replication_bench: samband-broker init failed; see " << dir << ".log\n";
    return false;
  }
  auto city = common::PublicIdentity::load(dir + "/city.pub");
  if (!city) return false;
  b.city = *city;
  auto store = broker::Store::open(b.database(), broker::Store::Access::readWrite);
  if (!store) return false;
  const int64_t now = common::SystemClock().nowMs();
  for (const auto& a : agents) {
    auto request =
        common::makeEnrollRequest(*a.identity, "Bench " + a.identity->id(), {a.unit}, now);
    if (!broker::RosterStore(**store).enroll(request, false, now)) return false;
  }
  return true;
}

void writeConfig(Broker& b, const Broker& peer, const std::string& ack) {
  std::ifstream in(b.config());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find("\n[replication]");
  if (at != std::string::npos) text.resize(at);
  text += "\n[replication]\nlisten = \"tcp://127.0.0.1:" + std::to_string(b.replPort) +
          "\"\npeers = [[\"tcp://127.0.0.1:" + std::to_string(peer.replPort) + "\", \"" +
          common::toHex(peer.city.curvePublic.data(), 32) + "\"]]\nack = \"" + ack +
          "\"\npeer_timeout_s = 10\n";
  std::ofstream(b.config(), std::ios::trunc) << text;
}

bool start(Broker& b, const std::string& bin) {
  std::string error;
  if (!b.process.start({bin, "serve", "--config", b.config()}, b.dir + ".log", &error)) {
    return false;
  }
  for (int i = 0; i < 500; ++i) {
    if (!httpGet(b.boardPort, "/healthz", 500).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Sends every agent's chain to A with at most `window` unacknowledged per agent, each agent at
// most `ratePerAgent` reports per second (0: as fast as acks allow). Returns seconds from the
// first send to the last ack, or -1 on a timeout.
double drive(std::vector<SimAgent>& agents, const Broker& a, size_t window, double ratePerAgent,
             int timeoutS) {
  zmq::context_t ctx;
  std::vector<std::unique_ptr<zmq::socket_t>> sockets;
  for (auto& agent : agents) {
    auto s = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::dealer);
    s->set(zmq::sockopt::linger, 0);
    s->set(zmq::sockopt::curve_serverkey, zmq::const_buffer(a.city.curvePublic.data(), 32));
    s->set(zmq::sockopt::curve_publickey,
           zmq::const_buffer(agent.identity->curvePublic().data(), 32));
    s->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(agent.identity->curveSecret(), 32));
    s->connect("tcp://127.0.0.1:" + std::to_string(a.port));
    sockets.push_back(std::move(s));
  }
  std::vector<size_t> sent(agents.size(), 0), acked(agents.size(), 0);
  const int64_t t0 = nowNs();
  const int64_t deadline = t0 + static_cast<int64_t>(timeoutS) * 1'000'000'000;
  size_t done = 0;
  while (done < agents.size()) {
    if (nowNs() > deadline) return -1;
    const double elapsedS = static_cast<double>(nowNs() - t0) / 1e9;
    for (size_t i = 0; i < agents.size(); ++i) {
      const size_t allowed =
          ratePerAgent > 0
              ? std::min(agents[i].chain.size(), static_cast<size_t>(elapsedS * ratePerAgent) + 1)
              : agents[i].chain.size();
      while (sent[i] < allowed && sent[i] - acked[i] < window) {
        const auto& e = agents[i].chain[sent[i]];
        if (!sockets[i]->send(zmq::buffer(e.data(), e.size()), zmq::send_flags::dontwait)) break;
        sent[i]++;
      }
    }
    std::vector<zmq::pollitem_t> items;
    for (auto& s : sockets) items.push_back({s->handle(), 0, ZMQ_POLLIN, 0});
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(5));
    for (size_t i = 0; i < agents.size(); ++i) {
      if (!(items[i].revents & ZMQ_POLLIN)) continue;
      zmq::message_t m;
      while (sockets[i]->recv(m, zmq::recv_flags::dontwait)) {
        auto d = common::decodeDownlink(static_cast<const uint8_t*>(m.data()), m.size());
        if (!d) continue;
        if (auto* ack = std::get_if<common::AckMsg>(&*d)) {
          const size_t before = acked[i];
          acked[i] = std::max<size_t>(acked[i], ack->seq);
          if (before < agents[i].chain.size() && acked[i] >= agents[i].chain.size()) done++;
        }
      }
    }
  }
  return static_cast<double>(nowNs() - t0) / 1e9;
}

int64_t frameCount(const std::string& database) {
  try {
    SQLite::Database db(database, SQLite::OPEN_READONLY);
    return db.execAndGet("SELECT count(*) FROM frames WHERE sender != 'city'").getInt64();
  } catch (const std::exception&) {
    return -1;
  }
}

std::map<std::string, int64_t> receivedAt(const std::string& database) {
  std::map<std::string, int64_t> out;
  SQLite::Database db(database, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT sender, seq, received_at FROM frames WHERE sender != 'city'");
  while (q.executeStep()) {
    out[q.getColumn(0).getString() + "/" + std::to_string(q.getColumn(1).getInt64())] =
        q.getColumn(2).getInt64();
  }
  return out;
}

struct Options {
  std::string brokerBin, work, json;
  int lightAgents = 5;
  double lightRate = 4;  // reports per second per agent
  int lightSeconds = 6;
  int agents = 20;
  size_t reportsPerAgent = 200;
  size_t window = 32;
  int timeoutS = 180;
};

int runBench(const Options& o) {
  Json result{{"kind", "replication"}};
  // Lag at light load.
  {
    auto agents = makeAgents(o.lightAgents, static_cast<size_t>(o.lightRate * o.lightSeconds));
    Broker a, b;
    if (!prepare(a, o.brokerBin, o.work + "/lag-A", agents) ||
        !prepare(b, o.brokerBin, o.work + "/lag-B", agents)) {
      return 2;
    }
    writeConfig(a, b, "local");
    writeConfig(b, a, "local");
    if (!start(a, o.brokerBin) || !start(b, o.brokerBin)) {
      std::cerr << "replication_bench: a broker did not start; see " << o.work << "/*.log\n";
      return 2;
    }
    const double seconds = drive(agents, a, 8, o.lightRate, o.timeoutS);
    const int64_t want = frameCount(a.database());
    for (int i = 0; i < 3000 && frameCount(b.database()) < want; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    a.process.stop();
    b.process.stop();
    auto onA = receivedAt(a.database());
    auto onB = receivedAt(b.database());
    std::vector<int64_t> lag;
    for (const auto& [k, t] : onA) {
      auto it = onB.find(k);
      if (it != onB.end()) lag.push_back(it->second - t);
    }
    const size_t frames = onA.size();
    result["lag"] = {{"frames", frames},
                     {"replicated", lag.size()},
                     {"rate_per_s", o.lightRate * o.lightAgents},
                     {"seconds", seconds},
                     {"p50_ms", percentile(lag, 50)},
                     {"p99_ms", percentile(lag, 99)},
                     {"max_ms", percentile(lag, 100)}};
  }
  // Throughput with ack = "local" and ack = "peer".
  for (const std::string ack : {"local", "peer"}) {
    auto agents = makeAgents(o.agents, o.reportsPerAgent);
    Broker a, b;
    if (!prepare(a, o.brokerBin, o.work + "/tp-" + ack + "-A", agents) ||
        !prepare(b, o.brokerBin, o.work + "/tp-" + ack + "-B", agents)) {
      return 2;
    }
    writeConfig(a, b, ack);
    writeConfig(b, a, ack);
    if (!start(a, o.brokerBin) || !start(b, o.brokerBin)) return 2;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // B's first pull
    const double seconds = drive(agents, a, o.window, 0, o.timeoutS);
    a.process.stop();
    b.process.stop();
    const double total = static_cast<double>(o.agents) * static_cast<double>(o.reportsPerAgent);
    result["throughput_" + ack] = {{"agents", o.agents},
                                   {"window", o.window},
                                   {"reports", total},
                                   {"seconds", seconds},
                                   {"reports_per_s", seconds > 0 ? total / seconds : -1}};
  }
  result["load1"] = loadAverage1();
  std::cout << result.dump(2) << "\n";
  if (!o.json.empty()) std::ofstream(o.json, std::ios::app) << result.dump() << "\n";
  return 0;
}

}  // namespace
}  // namespace samband::bench

int main(int argc, char** argv) {
  samband::bench::Options o;
  CLI::App app{"replication_bench: replication lag and the cost of peer acknowledgement"};
  app.add_option("--broker", o.brokerBin, "Path to samband-broker")->required();
  app.add_option("--work", o.work, "Scratch directory (on the disk under test)")->required();
  app.add_option("--json", o.json, "Append the result to this JSON-lines file");
  app.add_option("--light-agents", o.lightAgents, "Agents at light load");
  app.add_option("--light-rate", o.lightRate, "Reports per second per agent at light load");
  app.add_option("--light-seconds", o.lightSeconds, "Duration of the light load");
  app.add_option("--agents", o.agents, "Agents at saturation");
  app.add_option("--reports-per-agent", o.reportsPerAgent, "Reports per agent at saturation");
  app.add_option("--window", o.window, "Unacknowledged reports per agent at most");
  app.add_option("--timeout-s", o.timeoutS, "Give up a phase after this long");
  CLI11_PARSE(app, argc, argv);
  samband::bench::raiseFileLimit(4096);
  return samband::bench::runBench(o);
}
