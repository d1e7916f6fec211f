// ingest_bench: the broker's signed status path under load (issue 2, "Performance"). Runs a
// real `samband-broker serve` as a separate process on loopback and drives it with K simulated
// agents in this process: each an enrolled provider with its own identity and CURVE key, a
// DEALER socket, and a chain of unit-status reports signed before the timed window.
//
//   ingest_bench verify  --seconds S --json FILE
//       raw single-core crypto_sign_verify_detached rate over a real report body
//   ingest_bench ingest  --broker BIN --work DIR --agents K --verify-threads 0,1,2 --json FILE
//       per verify_threads setting: a fresh broker, light load (paced) then saturation; checks
//       that the database holds exactly what was acknowledged
//   ingest_bench connect --broker BIN --work DIR --agents 10000 --json FILE
//       K agents connecting at once, each with one queued report
//   ingest --batch N: at saturation each agent sends its backlog as signed batches of N reports
//       (issue 16), still at most --window reports unacknowledged
//   ingest_bench drain --broker BIN --work DIR --agents 1000 --reports N --json FILE
//       K agents each with N reports queued (batches of 64) reach a broker that just came up:
//       time until every report is acknowledged
//
// Results are appended to FILE as one JSON object per line; bench/summary.py reads them.
// The load generator and the broker under test live in bench_fleet.h (board_bench drives the
// broker with the same senders). Over 500 lines on purpose: one benchmark program (phases,
// saturation search and report) kept whole so a run is one file to read.
#include <signal.h>
#include <sodium.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "bench/bench_fleet.h"
#include "bench/bench_process.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/batch_envelope.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/signing.h"
#include "common/vocabulary.h"
#include "tools/chain_signer.h"
#include "tools/city_model.h"
#include "tools/report_model.h"

namespace samband::bench {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Raw verify measured right before and right after each saturation window.
constexpr double kBracketVerifySeconds = 2.0;

void appendJson(const std::string& path, const Json& j) {
  std::ofstream out(path, std::ios::app);
  out << j.dump() << "\n";
}

double ms(double ns) { return ns / 1e6; }

// ---------------------------------------------------------------------------------------------
// Raw verify rate.

struct VerifyRate {
  uint64_t verifies = 0;
  double seconds = 0;
  double cpuSeconds = 0;
  size_t signedBytes = 0;
  size_t bodyBytes = 0;
  bool ok = false;  // every signature verified
  double rate() const { return seconds > 0 ? static_cast<double>(verifies) / seconds : 0; }
};

// Verifies exactly what the broker verifies ("samband/v1/body" NUL || body, under the signer's
// key) for `seconds` on this thread.
VerifyRate measureVerify(const BenchAgent& agent, const common::Bytes& envelope, double seconds) {
  VerifyRate out;
  auto parts = common::decodeEnvelope(envelope);
  if (!parts) return out;
  const common::Bytes message = common::bodySigningInput(parts->body);
  const auto& pk = agent.signPublic;
  int failures = 0;
  const int64_t cpu0 = common::threadCpuNs();
  const int64_t t0 = nowNs();
  const int64_t end = t0 + static_cast<int64_t>(seconds * 1e9);
  int64_t now = t0;
  while (now < end) {
    for (int i = 0; i < 256; ++i) {
      failures += crypto_sign_verify_detached(parts->signature.data(), message.data(),
                                              message.size(), pk.data()) != 0;
    }
    out.verifies += 256;
    now = nowNs();
  }
  out.seconds = static_cast<double>(now - t0) / 1e9;
  out.cpuSeconds = static_cast<double>(common::threadCpuNs() - cpu0) / 1e9;
  out.signedBytes = message.size();
  out.bodyBytes = parts->body.size();
  out.ok = failures == 0;
  return out;
}

int runVerify(double seconds, const std::string& jsonPath) {
  Fleet fleet = makeFleet(1, 1, 64, 7);
  const auto& agent = fleet.agents[0];
  VerifyRate v = measureVerify(agent, agent.chain[10], seconds);
  if (!v.ok) {
    std::cerr << "ingest_bench: signature did not verify\n";
    return 2;
  }
  const uint64_t n = v.verifies;
  const double elapsed = v.seconds;
  const double cpu = v.cpuSeconds;
  const double rate = static_cast<double>(n) / elapsed;
  // The same on every core at once: how far verification can spread on this machine at all.
  // Cores of a virtual machine are not always independent (a shared physical core, frequency).
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<VerifyRate> each(cores);
  {
    std::vector<std::thread> threads;
    for (unsigned c = 0; c < cores; ++c) {
      threads.emplace_back([&, c] { each[c] = measureVerify(agent, agent.chain[10], seconds); });
    }
    for (auto& t : threads) t.join();
  }
  double allCores = 0;
  for (const auto& e : each) allCores += e.rate();
  Json j{{"bench", "verify"},
         {"verifies", n},
         {"seconds", elapsed},
         {"rate", rate},
         {"cpu_seconds", cpu},
         {"rate_per_cpu_second", static_cast<double>(n) / cpu},
         {"signed_bytes", v.signedBytes},
         {"body_bytes", v.bodyBytes},
         {"envelope_bytes", agent.chain[10].size()},
         {"cores", cores},
         {"rate_all_cores", allCores},
         {"load1", loadAverage1()}};
  appendJson(jsonPath, j);
  std::printf(
      "raw crypto_sign_verify_detached: %.0f /s on one core (%.0f per CPU-second; "
      "%zu-byte signed message, %zu-byte envelope); %.0f /s on all %u cores at once (%.2f x one "
      "core)\n",
      rate, static_cast<double>(n) / cpu, v.signedBytes, agent.chain[10].size(), allCores, cores,
      rate > 0 ? allCores / rate : 0);
  return 0;
}

// Sums of the broker's batch counters from its /metrics (Prometheus text); -1 if unavailable.
struct CommitCounters {
  double batches = -1;
  double batchFrames = -1;
  double commitSeconds = -1;
  double verifySamples = -1;  // sampled signature checks inside the broker, and their CPU time
  double verifySampleSeconds = -1;
};

CommitCounters commitCounters(int boardPort) {
  CommitCounters c;
  const std::string body = httpGet(boardPort, "/metrics", 2000);
  auto value = [&](const std::string& name) -> double {
    auto at = body.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(body.substr(at + name.size() + 2));
  };
  c.batches = value("samband_commit_batch_frames_count");
  c.batchFrames = value("samband_commit_batch_frames_sum");
  c.commitSeconds = value("samband_commit_latency_seconds_sum");
  c.verifySamples = value("samband_verify_sample_seconds_count");
  c.verifySampleSeconds = value("samband_verify_sample_seconds_sum");
  return c;
}

struct StoredCheck {
  int64_t frames = -1;
  bool chainsComplete = false;  // every sender's count and max(seq) equal what it sent
  int64_t rejected = -1;
  // The archive's size (pages in use, WAL included, times the page size) and the bytes of the
  // frames' envelopes and of the stored batch frames (issue 16: a batched body stored once).
  int64_t archiveBytes = -1;
  int64_t envelopeBytes = -1;
  int64_t batchBytes = -1;
  std::string problem;
};

// Reads the archive after the broker stopped: exactly `sent[i]` frames for agent i, seq 1..n.
StoredCheck checkStored(const std::string& database, const Fleet& fleet,
                        const std::vector<size_t>& sent) {
  StoredCheck c;
  try {
    SQLite::Database db(database, SQLite::OPEN_READONLY);
    c.frames = db.execAndGet("SELECT count(*) FROM frames").getInt64();
    c.rejected = db.execAndGet("SELECT coalesce(sum(count), 0) FROM rejections").getInt64();
    c.archiveBytes = (db.execAndGet("PRAGMA page_count").getInt64() -
                      db.execAndGet("PRAGMA freelist_count").getInt64()) *
                     db.execAndGet("PRAGMA page_size").getInt64();
    c.envelopeBytes =
        db.execAndGet("SELECT coalesce(sum(length(envelope)), 0) FROM frames").getInt64();
    c.batchBytes = db.execAndGet("SELECT coalesce(sum(length(frame)), 0) FROM batches").getInt64();
    std::map<std::string, std::pair<int64_t, int64_t>> bySender;
    SQLite::Statement q(db, "SELECT sender, count(*), max(seq) FROM frames GROUP BY sender");
    while (q.executeStep()) {
      bySender[q.getColumn(0).getString()] = {q.getColumn(1).getInt64(), q.getColumn(2).getInt64()};
    }
    c.chainsComplete = true;
    for (size_t i = 0; i < fleet.agents.size(); ++i) {
      auto it = bySender.find(fleet.agents[i].id);
      auto want = static_cast<int64_t>(sent[i]);
      auto got = it == bySender.end() ? std::make_pair<int64_t, int64_t>(0, 0) : it->second;
      if (got.first != want || got.second != want) {
        c.chainsComplete = false;
        if (c.problem.empty()) {
          c.problem = fleet.agents[i].id + ": sent " + std::to_string(want) + ", stored " +
                      std::to_string(got.first) + " (max seq " + std::to_string(got.second) + ")";
        }
      }
    }
  } catch (const std::exception& e) {
    c.problem = e.what();
  }
  return c;
}

Json latencyJson(std::vector<int64_t> samples) {
  const size_t n = samples.size();
  return Json{{"samples", n},
              {"p50_ms", ms(percentile(samples, 50))},
              {"p90_ms", ms(percentile(samples, 90))},
              {"p99_ms", ms(percentile(samples, 99))},
              {"max_ms", ms(percentile(samples, 100))}};
}

std::vector<int> parseList(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoi(item));
  return out;
}

struct IngestOptions {
  std::string brokerBin;
  std::string work;
  std::string json;
  int agents = 50;
  std::string verifyThreads = "0,1,2";
  int window = 64;
  size_t reportsPerAgent = 0;  // 0: derived from --total
  size_t total = 120000;       // saturation reports per run
  double lightRate = 100;
  double lightSeconds = 6;
  int timeoutS = 120;
  int batchDelayMs = -1;       // -1: as `samband-broker init` writes it
  int batchMax = -1;           // [ingest] batch_max; -1: the broker's default
  bool noCheckpoints = false;  // [ingest] checkpoints = false: the cost of checkpoints/receipts
  size_t batch = 0;            // issue 16: reports per signed batch at saturation (0, 1: none)
};

std::map<std::string, double> threadCpuSeconds(pid_t pid);

int runIngest(const IngestOptions& o) {
  const size_t lightTotal = static_cast<size_t>(o.lightRate * o.lightSeconds);
  const size_t lightPerAgent =
      (lightTotal + static_cast<size_t>(o.agents) - 1) / static_cast<size_t>(o.agents);
  const size_t saturatedPerAgent =
      o.reportsPerAgent ? o.reportsPerAgent
                        : std::max<size_t>(1, o.total / static_cast<size_t>(o.agents));
  std::printf("ingest: %d agents, window %d, signing %zu reports each before the timed window...\n",
              o.agents, o.window, lightPerAgent + saturatedPerAgent);
  std::fflush(stdout);
  Fleet fleet =
      makeFleet(o.agents, 3, lightPerAgent + saturatedPerAgent, 11, 500, o.batch, lightPerAgent);
  const double envelopeMean =
      static_cast<double>(fleet.envelopeBytes) / static_cast<double>(fleet.frames);
  std::printf("  signed %zu frames in %.1f s (mean envelope %.0f bytes, body %.0f bytes)\n",
              fleet.frames, fleet.signSeconds, envelopeMean,
              static_cast<double>(fleet.bodyBytes) / static_cast<double>(fleet.frames));
  int failures = 0;
  for (int vt : parseList(o.verifyThreads)) {
    const std::string dir = o.work + "/broker-k" + std::to_string(o.agents) + "-v" +
                            std::to_string(vt) + (o.noCheckpoints ? "-nocp" : "") +
                            (o.batch > 1 ? "-b" + std::to_string(o.batch) : "");
    auto broker =
        prepareBroker(o.brokerBin, dir, vt, fleet, o.batchDelayMs, !o.noCheckpoints, o.batchMax);
    if (!broker || !startBroker(*broker, o.brokerBin)) return 2;
    Json result{{"bench", "ingest"},
                {"agents", o.agents},
                {"verify_threads", vt},
                {"checkpoints", !o.noCheckpoints},
                {"batch", o.batch > 1 ? o.batch : 0},
                {"window", o.window},
                {"batch_delay_ms", o.batchDelayMs},
                {"batch_max", o.batchMax},
                {"envelope_bytes", envelopeMean},
                {"load1_before", loadAverage1()},
                {"broker", "samband-broker serve (separate process)"}};
    zmq::context_t context(1);
    {
      Driver driver(context, fleet, *broker, o.window);
      if (!driver.connectAll(30000)) {
        std::cerr << "ingest_bench: not every agent got a head answer within 30 s\n";
        return 2;
      }
      auto light = driver.paced(o.lightRate, lightPerAgent, o.timeoutS * 1000);
      result["light"] = latencyJson(light);
      result["light"]["rate"] = o.lightRate;
      // This machine's speed drifts (a virtual machine: by up to a third within minutes), so the
      // raw verify rate is also taken right before and right after the timed window, with the
      // broker idle, and the ratio is computed against their mean (docs/performance.md).
      const VerifyRate verifyBefore =
          measureVerify(fleet.agents[0], fleet.agents[0].chain[0], kBracketVerifySeconds);
      const uint64_t ackedBefore = driver.acksTotal();
      const CommitCounters commits0 = commitCounters(broker->boardPort);
      const double brokerCpu0 = processCpuSeconds(broker->process.pid());
      const auto threadsCpu0 = threadCpuSeconds(broker->process.pid());
      const double selfCpu0 = selfCpuSeconds();
      int64_t start = 0;
      auto saturated = driver.saturate(o.timeoutS * 1000, &start);
      const double brokerCpu1 = processCpuSeconds(broker->process.pid());
      const auto threadsCpu1 = threadCpuSeconds(broker->process.pid());
      const double selfCpu1 = selfCpuSeconds();
      const CommitCounters commits1 = commitCounters(broker->boardPort);
      if (commits0.batches >= 0 && commits1.batches > commits0.batches) {
        const double batches = commits1.batches - commits0.batches;
        result["mean_batch_frames"] = (commits1.batchFrames - commits0.batchFrames) / batches;
        result["mean_commit_ms"] =
            1000 * (commits1.commitSeconds - commits0.commitSeconds) / batches;
      }
      const double sampledCpu = commits1.verifySampleSeconds - commits0.verifySampleSeconds;
      if (commits0.verifySamples >= 0 && sampledCpu > 0) {
        // How fast crypto_sign_verify_detached ran inside the broker during the window.
        result["verify_rate_in_broker"] =
            (commits1.verifySamples - commits0.verifySamples) / sampledCpu;
      }
      const VerifyRate verifyAfter =
          measureVerify(fleet.agents[0], fleet.agents[0].chain[0], kBracketVerifySeconds);
      result["verify_rate_before"] = verifyBefore.rate();
      result["verify_rate_after"] = verifyAfter.rate();
      const double verifyAround = (verifyBefore.rate() + verifyAfter.rate()) / 2;
      result["verify_rate_around"] = verifyAround;
      const uint64_t acked = driver.acksTotal() - ackedBefore;
      const double seconds = static_cast<double>(driver.counters().lastAckNs - start) / 1e9;
      result["saturated"] = latencyJson(saturated);
      result["saturated"]["acked"] = acked;
      result["saturated"]["seconds"] = seconds;
      result["saturated"]["rate"] = seconds > 0 ? static_cast<double>(acked) / seconds : 0;
      result["broker_cores"] = seconds > 0 ? (brokerCpu1 - brokerCpu0) / seconds : 0;
      result["client_cores"] = seconds > 0 ? (selfCpu1 - selfCpu0) / seconds : 0;
      result["broker_cpu_us_per_report"] =
          acked ? 1e6 * (brokerCpu1 - brokerCpu0) / static_cast<double>(acked) : 0;
      result["client_cpu_us_per_report"] =
          acked ? 1e6 * (selfCpu1 - selfCpu0) / static_cast<double>(acked) : 0;
      // Per broker thread over the window, in CPU microseconds per acked report (issue 16: the
      // commit thread is the limit with batches, and this figure moves little with the load).
      Json threadUs = Json::object();
      for (const auto& [name, seconds] : threadsCpu1) {
        auto before = threadsCpu0.find(name);
        const double used = seconds - (before == threadsCpu0.end() ? 0.0 : before->second);
        threadUs[name] = acked ? 1e6 * used / static_cast<double>(acked) : 0;
      }
      result["broker_thread_us_per_report"] = threadUs;
      result["commit_thread_us_per_report"] = threadUs.value("ingest-commit", 0.0);
      result["sent"] = driver.sentTotal();
      result["batches_sent"] = driver.batchesSent();
      result["acked"] = driver.acksTotal();
      result["duplicates"] = driver.counters().duplicates;
      result["rejects"] = driver.counters().rejects;
      result["reject_reasons"] = driver.counters().rejectReasons;
      result["load1_after"] = loadAverage1();
      broker->process.stop();
      auto check = checkStored(broker->database, fleet, driver.sentPerAgent());
      result["stored"] = check.frames;
      result["stored_rejections"] = check.rejected;
      result["archive_bytes"] = check.archiveBytes;
      result["archive_bytes_per_report"] =
          check.frames > 0 ? static_cast<double>(check.archiveBytes) / check.frames : 0.0;
      result["envelope_bytes_per_report"] =
          check.frames > 0 ? static_cast<double>(check.envelopeBytes) / check.frames : 0.0;
      result["batch_bytes_per_report"] =
          check.frames > 0 ? static_cast<double>(check.batchBytes) / check.frames : 0.0;
      const bool ok = check.chainsComplete &&
                      check.frames == static_cast<int64_t>(driver.sentTotal()) &&
                      driver.acksTotal() == driver.sentTotal() && driver.counters().rejects == 0;
      result["stored_ok"] = ok;
      if (!check.problem.empty()) result["problem"] = check.problem;
      if (!ok) ++failures;
      std::printf(
          "  verify_threads=%d: %.0f acked reports/s at saturation (%.2f s; raw verify %.0f/s "
          "around it, ratio %.2f; %.0f/s per core inside the broker), p50 %.1f ms p99 "
          "%.1f ms; light (%.0f/s) p50 %.2f ms p99 %.2f ms; broker %.2f cores (%.0f us/report), "
          "client %.2f cores; batches of %.0f (commit thread %.1f us/report); stored %lld of %zu "
          "sent%s; archive %.0f bytes/report\n",
          vt, result["saturated"]["rate"].get<double>(), seconds, verifyAround,
          verifyAround > 0 ? result["saturated"]["rate"].get<double>() / verifyAround : 0,
          result.value("verify_rate_in_broker", 0.0), result["saturated"]["p50_ms"].get<double>(),
          result["saturated"]["p99_ms"].get<double>(), o.lightRate,
          result["light"]["p50_ms"].get<double>(), result["light"]["p99_ms"].get<double>(),
          result["broker_cores"].get<double>(), result["broker_cpu_us_per_report"].get<double>(),
          result["client_cores"].get<double>(), result.value("mean_batch_frames", -1.0),
          result["commit_thread_us_per_report"].get<double>(), static_cast<long long>(check.frames),
          driver.sentTotal(), ok ? " (exact)" : "  <-- MISMATCH",
          result["archive_bytes_per_report"].get<double>());
      if (!check.problem.empty()) std::printf("    problem: %s\n", check.problem.c_str());
      std::fflush(stdout);
    }
    appendJson(o.json, result);
    fs::remove_all(dir);  // the archive is large; the log stays
  }
  return failures ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// A backlog drain (issue 16): K agents, each with N reports queued through an outage, reach a
// broker that has just come back; they send their backlogs as signed batches of `batch`.

struct DrainOptions {
  std::string brokerBin;
  std::string work;
  std::string json;
  int agents = 1000;
  size_t reports = 100;  // per agent
  size_t batch = 64;
  int window = 256;  // [link] window, the agent's default
  int verifyThreads = 2;
  int timeoutS = 300;
};

int runDrain(const DrainOptions& o) {
  std::printf("drain: %d agents x %zu queued reports (batches of %zu, window %d); signing...\n",
              o.agents, o.reports, o.batch, o.window);
  std::fflush(stdout);
  Fleet fleet = makeFleet(o.agents, 1, o.reports, 23, 500, o.batch, 0);
  const std::string dir = o.work + "/broker-drain-k" + std::to_string(o.agents);
  auto broker = prepareBroker(o.brokerBin, dir, o.verifyThreads, fleet);
  if (!broker || !startBroker(*broker, o.brokerBin)) return 2;
  Json result{{"bench", "drain"},
              {"agents", o.agents},
              {"reports_per_agent", o.reports},
              {"batch", o.batch},
              {"window", o.window},
              {"verify_threads", o.verifyThreads},
              {"envelope_bytes",
               static_cast<double>(fleet.envelopeBytes) / static_cast<double>(fleet.frames)}};
  int failures = 0;
  {
    zmq::context_t context(1, 3 * o.agents + 64);
    const int64_t t0 = nowNs();
    const double brokerCpu0 = processCpuSeconds(broker->process.pid());
    Driver driver(context, fleet, *broker, o.window);
    const bool connected = driver.connectAll(o.timeoutS * 1000);
    const double connectedS = static_cast<double>(nowNs() - t0) / 1e9;
    int64_t start = 0;
    driver.saturate(o.timeoutS * 1000, &start);
    const double seconds = static_cast<double>(driver.counters().lastAckNs - t0) / 1e9;
    const double drainS = static_cast<double>(driver.counters().lastAckNs - start) / 1e9;
    const double brokerCpu1 = processCpuSeconds(broker->process.pid());
    const uint64_t acked = driver.acksTotal();
    result["connected"] = connected;
    result["connect_s"] = connectedS;
    result["drain_s"] = drainS;
    result["total_s"] = seconds;
    result["acked"] = acked;
    result["batches_sent"] = driver.batchesSent();
    result["rate"] = drainS > 0 ? static_cast<double>(acked) / drainS : 0;
    result["broker_cpu_s"] = brokerCpu1 - brokerCpu0;
    result["rejects"] = driver.counters().rejects;
    broker->process.stop();
    auto check = checkStored(broker->database, fleet, driver.sentPerAgent());
    const bool ok = check.chainsComplete && acked == fleet.frames &&
                    check.frames == static_cast<int64_t>(fleet.frames);
    result["stored"] = check.frames;
    result["stored_ok"] = ok;
    if (!check.problem.empty()) result["problem"] = check.problem;
    if (!ok) ++failures;
    const double rate = result["rate"].get<double>();
    std::printf(
        "  %llu of %zu reports acknowledged %.1f s after the broker came back (connect and first "
        "heartbeats %.1f s, drain %.1f s at %.0f reports/s, %llu batches); broker CPU %.1f s; "
        "stored %lld%s\n  scaled: 4,000,000 reports at that rate drain in %.0f s\n",
        static_cast<unsigned long long>(acked), fleet.frames, seconds, connectedS, drainS, rate,
        static_cast<unsigned long long>(driver.batchesSent()), brokerCpu1 - brokerCpu0,
        static_cast<long long>(check.frames), ok ? " (exact)" : "  <-- MISMATCH",
        rate > 0 ? 4e6 / rate + connectedS : 0);
    std::fflush(stdout);
  }
  appendJson(o.json, result);
  fs::remove_all(dir);
  return failures ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Many agents connecting at once.

struct ConnectOptions {
  std::string brokerBin;
  std::string work;
  std::string json;
  int agents = 10000;
  int timeoutS = 180;
  int verifyThreads = 1;
};

int64_t connectedGauge(int boardPort) {
  std::string body = httpGet(boardPort, "/metrics", 2000);
  const std::string key = "\nsamband_connected_agents ";
  auto at = body.find(key);
  if (at == std::string::npos) return -1;
  return std::stoll(body.substr(at + key.size()));
}

// CPU seconds (user + system) of each of a process's threads, summed by thread name
// (/proc/PID/task/*/stat): the broker names its ingest threads ("ingest-zap", ...); libzmq's
// I/O threads, which run the CURVE handshakes and the per-message encryption, are "ZMQbg/IO/N".
std::map<std::string, double> threadCpuSeconds(pid_t pid) {
  std::map<std::string, double> out;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto open = text.find('(');
    auto close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string name = text.substr(open + 1, close - open - 1);
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::stod(field);
    }
    out[name] += ticks / tick;
  }
  return out;
}

// One agent of the storm: its DEALER and the PAIR reading the DEALER's monitor, which reports
// the client's view of the CURVE handshake (ZMQ_EVENT_HANDSHAKE_SUCCEEDED).
struct StormAgent {
  std::unique_ptr<zmq::socket_t> socket;
  std::unique_ptr<zmq::socket_t> monitor;
  int64_t connectedNs = 0;  // since t0; 0: not yet
  int64_t ackedNs = 0;      // since t0; 0: not yet, -1: refused
  uint64_t handshakeFailures = 0;
  uint64_t handshakeDropped = 0;  // of which ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: the connection
                                  // closed mid-handshake (e.g. the broker's handshake timeout)
};

// What one storm process reports per agent.
struct StormOutcome {
  int64_t connectedNs = 0;
  int64_t ackedNs = 0;
  uint64_t handshakeFailures = 0;
  uint64_t handshakeDropped = 0;  // of which ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: the connection
                                  // closed mid-handshake (e.g. the broker's handshake timeout)
};

// Runs agents [begin, end) of the storm in this process: creates their sockets, each with its
// report queued, and waits until every one is connected and answered or `timeoutNs` after t0.
// File descriptors per agent: the TCP connection, the DEALER's and the two monitor sockets'
// mailboxes; hence several processes when RLIMIT_NOFILE (hard) is too low for all in one.
std::vector<StormOutcome> runStormSlice(const Fleet& fleet, size_t begin, size_t end,
                                        const BrokerUnderTest& broker, int64_t t0,
                                        int64_t timeoutNs, int handshakeMs,
                                        double* socketsCreatedS) {
  const size_t n = end - begin;
  zmq::context_t context(1, static_cast<int>(3 * n + 64));  // ZMQ_MAX_SOCKETS above 1023
  std::vector<StormAgent> agents(n);
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(broker.port);
  for (size_t k = 0; k < n; ++k) {
    const auto& a = fleet.agents[begin + k];
    auto& st = agents[k];
    st.socket = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
    auto& s = *st.socket;
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::sndhwm, 16);
    s.set(zmq::sockopt::rcvhwm, 16);
    s.set(zmq::sockopt::handshake_ivl, handshakeMs);
    s.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(broker.city.curvePublic.data(), 32));
    s.set(zmq::sockopt::curve_publickey, zmq::const_buffer(a.curvePublic.data(), 32));
    s.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(a.curveSecret.data(), 32));
    const std::string monitorName = "inproc://storm-monitor-" + std::to_string(begin + k);
    zmq_socket_monitor(s.handle(), monitorName.c_str(),
                       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    st.monitor = std::make_unique<zmq::socket_t>(context, zmq::socket_type::pair);
    st.monitor->set(zmq::sockopt::linger, 0);
    st.monitor->connect(monitorName);
    s.connect(endpoint);
    // Queued in the socket until its handshake completes (ZMQ_IMMEDIATE is off).
    s.send(zmq::buffer(a.chain[0]), zmq::send_flags::none);
  }
  *socketsCreatedS = static_cast<double>(nowNs() - t0) / 1e9;

  // Wait with epoll on each socket's ZMQ_FD (zmq::poll over thousands of sockets costs O(n) per
  // wake and would starve the broker on the same cores). ZMQ_FD only says "look at
  // ZMQ_EVENTS"; drain until ZMQ_EVENTS has no POLLIN. Key: agent * 2 (+1 for the monitor).
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  auto watch = [&](zmq::socket_t& sock, uint64_t key) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = key;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, sock.get(zmq::sockopt::fd), &ev);
  };
  auto unwatch = [&](zmq::socket_t& sock) {
    ::epoll_ctl(ep, EPOLL_CTL_DEL, sock.get(zmq::sockopt::fd), nullptr);
  };
  for (size_t k = 0; k < n; ++k) {
    watch(*agents[k].socket, 2 * k);
    watch(*agents[k].monitor, 2 * k + 1);
  }
  size_t remaining = 2 * n;  // sockets still watched
  auto drain = [&](size_t k, bool isMonitor) {
    auto& st = agents[k];
    zmq::socket_t& sock = isMonitor ? *st.monitor : *st.socket;
    if (isMonitor ? st.connectedNs != 0 : st.ackedNs != 0) return;
    zmq::message_t msg;
    while (sock.get(zmq::sockopt::events) & ZMQ_POLLIN) {
      if (!sock.recv(msg, zmq::recv_flags::dontwait)) break;
      if (isMonitor) {
        // Two-part event: [event id (2 bytes), value (4 bytes)], then the endpoint.
        if (!msg.more() || msg.size() < 2) continue;
        uint16_t event = 0;
        std::memcpy(&event, msg.data(), 2);
        if (event != ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
          st.handshakeFailures++;
          if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) st.handshakeDropped++;
        } else if (!st.connectedNs) {
          st.connectedNs = nowNs() - t0;
        }
      } else {
        auto d = common::decodeDownlink(static_cast<const uint8_t*>(msg.data()), msg.size());
        if (d && std::holds_alternative<common::AckMsg>(*d)) {
          st.ackedNs = nowNs() - t0;
        } else if (d && std::holds_alternative<common::RejectMsg>(*d)) {
          st.ackedNs = -1;
        }
      }
    }
    if (isMonitor ? st.connectedNs != 0 : st.ackedNs != 0) {
      unwatch(sock);
      --remaining;
    }
  };
  for (size_t k = 0; k < n; ++k) {  // anything that happened before the sockets were watched
    drain(k, true);
    drain(k, false);
  }
  std::vector<epoll_event> events(1024);
  while (remaining > 0 && nowNs() - t0 < timeoutNs) {
    int ready = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < ready; ++i) {
      drain(static_cast<size_t>(events[i].data.u64 / 2), events[i].data.u64 % 2 == 1);
    }
  }
  ::close(ep);
  std::vector<StormOutcome> out(n);
  for (size_t k = 0; k < n; ++k) {
    out[k] = {agents[k].connectedNs, agents[k].ackedNs, agents[k].handshakeFailures,
              agents[k].handshakeDropped};
    agents[k].monitor->close();
    agents[k].socket->close();
  }
  return out;
}

int runConnect(const ConnectOptions& o) {
  const uint64_t files = raiseFileLimit(static_cast<uint64_t>(o.agents) * 4 + 4096);
  // Storm processes: each needs ~4 descriptors per agent under the (hard) limit.
  const size_t perProcess = std::max<size_t>(100, (files - 256) / 4);
  const size_t processes = (static_cast<size_t>(o.agents) + perProcess - 1) / perProcess;
  std::printf(
      "connect: %d agents at once from %zu client process(es) (RLIMIT_NOFILE %llu); "
      "generating identities...\n",
      o.agents, processes, static_cast<unsigned long long>(files));
  std::fflush(stdout);
  Fleet fleet = makeFleet(o.agents, 1, 1, 23);
  const std::string dir = o.work + "/broker-connect-k" + std::to_string(o.agents);
  const int64_t enrollStart = nowNs();
  auto broker = prepareBroker(o.brokerBin, dir, o.verifyThreads, fleet);
  if (!broker) return 2;
  const double enrollSeconds = static_cast<double>(nowNs() - enrollStart) / 1e9;
  if (!startBroker(*broker, o.brokerBin)) return 2;
  std::printf("  %d providers enrolled in %.1f s; broker up; connecting...\n", o.agents,
              enrollSeconds);
  std::fflush(stdout);

  const int64_t timeoutNs = static_cast<int64_t>(o.timeoutS) * 1000000000LL;
  // Startup (opening the database, loading the roster) is not part of the wave.
  const double brokerCpuBefore = processCpuSeconds(broker->process.pid());
  const auto threadsBefore = threadCpuSeconds(broker->process.pid());
  const int64_t t0 = nowNs();  // CLOCK_MONOTONIC: the same clock in every storm process
  std::vector<pid_t> pids;
  std::vector<std::string> outputs;
  const size_t slice = (static_cast<size_t>(o.agents) + processes - 1) / processes;
  for (size_t p = 0; p < processes; ++p) {
    const size_t begin = p * slice;
    const size_t end = std::min(fleet.agents.size(), begin + slice);
    outputs.push_back(dir + ".storm-" + std::to_string(p));
    std::fflush(stdout);
    pid_t pid = ::fork();
    if (pid == 0) {
      // A storm process ends with _exit only: the parent's destructors (which stop the broker)
      // must never run here, not even when something throws.
      try {
        double created = 0;
        auto outcome =
            runStormSlice(fleet, begin, end, *broker, t0, timeoutNs, o.timeoutS * 1000, &created);
        std::ofstream out(outputs.back());
        out << created << "\n";
        for (const auto& r : outcome) {
          out << r.connectedNs << " " << r.ackedNs << " " << r.handshakeFailures << " "
              << r.handshakeDropped << "\n";
        }
        out.close();
        ::_exit(out ? 0 : 1);
      } catch (const std::exception& e) {
        std::cerr << "ingest_bench: storm process " << p << ": " << e.what() << "\n";
        ::_exit(3);
      }
    }
    if (pid < 0) {
      std::perror("fork");
      return 2;
    }
    pids.push_back(pid);
  }

  // The broker's own view, sampled from its /metrics while the storm runs.
  std::vector<std::pair<double, int64_t>> gauge;  // (seconds since t0, connected agents)
  size_t running = pids.size();
  double clientCpu = 0;
  auto reap = [&] {
    for (auto& pid : pids) {
      int status = 0;
      rusage usage{};
      if (pid > 0 && ::wait4(pid, &status, WNOHANG, &usage) == pid) {
        clientCpu += static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
        pid = -1;
        --running;
      }
    }
  };
  while (running > 0) {
    // Once a second: a scrape of /metrics costs the broker ~25 ms with 10,000 units (office
    // gauges), which at 4 /s was a sixth of the broker's CPU in the wave.
    const int64_t sampledNs = nowNs();
    gauge.emplace_back(static_cast<double>(sampledNs - t0) / 1e9,
                       connectedGauge(broker->boardPort));
    while (nowNs() - sampledNs < 1000000000LL && running > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      reap();
    }
    if (nowNs() - t0 > timeoutNs + 60000000000LL) {  // a storm process hangs: stop it
      for (auto& pid : pids) {
        if (pid > 0) ::kill(pid, SIGKILL);
      }
    }
  }
  const double wave = static_cast<double>(nowNs() - t0) / 1e9;
  const double brokerCpuTotal = processCpuSeconds(broker->process.pid());
  const double brokerCpu = brokerCpuTotal - brokerCpuBefore;
  Json threadCpu = Json::object();
  for (const auto& [name, seconds] : threadCpuSeconds(broker->process.pid())) {
    auto before = threadsBefore.find(name);
    threadCpu[name] = seconds - (before == threadsBefore.end() ? 0.0 : before->second);
  }

  std::vector<int64_t> connected, acked;
  uint64_t handshakeFailures = 0, handshakeDropped = 0, refused = 0;
  double socketsCreatedS = 0;
  for (const auto& path : outputs) {
    std::ifstream in(path);
    double created = 0;
    if (in >> created) socketsCreatedS = std::max(socketsCreatedS, created);
    int64_t c = 0, a = 0;
    uint64_t f = 0, d = 0;
    while (in >> c >> a >> f >> d) {
      handshakeDropped += d;
      if (c > 0) connected.push_back(c);
      if (a > 0) acked.push_back(a);
      if (a < 0) ++refused;
      handshakeFailures += f;
    }
    fs::remove(path);
  }
  const size_t connectedCount = connected.size();
  const size_t ackedCount = acked.size();
  int64_t maxGauge = -1;
  for (const auto& [t, v] : gauge) maxGauge = std::max(maxGauge, v);
  Json timeline = Json::array();
  for (const auto& [t, v] : gauge) timeline.push_back({t, v});
  auto seconds = [](std::vector<int64_t>& v, double p) { return percentile(v, p) / 1e9; };
  const bool allConnected = connectedCount == fleet.agents.size();
  const bool allAcked = ackedCount == fleet.agents.size();
  Json result{{"bench", "connect"},
              {"agents", o.agents},
              {"client_processes", processes},
              {"verify_threads", o.verifyThreads},
              {"timeout_s", o.timeoutS},
              {"file_limit", files},
              {"max_sockets", 3 * slice + 64},
              {"enroll_seconds", enrollSeconds},
              {"sockets_created_s", socketsCreatedS},
              {"connected", connectedCount},
              {"connected_p50_s", seconds(connected, 50)},
              {"connected_p90_s", seconds(connected, 90)},
              {"all_connected_s", allConnected ? seconds(connected, 100) : -1},
              {"handshake_failures", handshakeFailures},
              {"handshake_failures_no_detail", handshakeDropped},
              {"acked", ackedCount},
              {"refused", refused},
              {"ack_p50_s", seconds(acked, 50)},
              {"ack_p90_s", seconds(acked, 90)},
              {"all_acked_s", allAcked ? seconds(acked, 100) : -1},
              {"wave_seconds", wave},
              {"load1", loadAverage1()},
              {"broker_cpu_s", brokerCpu},
              {"broker_cpu_startup_s", brokerCpuBefore},
              {"broker_cpu_per_agent_ms", brokerCpu * 1000.0 / o.agents},
              {"broker_thread_cpu_s", threadCpu},
              {"client_cpu_s", clientCpu},
              {"broker_gauge_max", maxGauge},
              {"broker_gauge_timeline", timeline}};
  broker->process.stop();
  std::vector<size_t> sent(fleet.agents.size(), 1);
  auto check = checkStored(broker->database, fleet, sent);
  result["stored"] = check.frames;
  result["stored_ok"] = check.chainsComplete;
  if (!check.problem.empty()) result["problem"] = check.problem;
  appendJson(o.json, result);
  std::printf(
      "  sockets created after %.1f s; handshakes done (client monitors): %zu of %d, p50 %.1f s, "
      "all by %.1f s; reports acknowledged: %zu, all by %.1f s; stored %lld%s; CPU: broker "
      "%.1f s, clients %.1f s\n",
      socketsCreatedS, connectedCount, o.agents, result["connected_p50_s"].get<double>(),
      result["all_connected_s"].get<double>(), ackedCount, result["all_acked_s"].get<double>(),
      static_cast<long long>(check.frames), check.chainsComplete ? " (exact)" : "  <-- incomplete",
      brokerCpu, clientCpu);
  std::printf("  broker CPU per agent %.3f ms (startup %.2f s not counted); by thread:",
              brokerCpu * 1000.0 / o.agents, brokerCpuBefore);
  for (const auto& [name, seconds] : threadCpu.items()) {
    std::printf(" %s %.3f ms", name.c_str(), seconds.get<double>() * 1000.0 / o.agents);
  }
  std::printf("\n");
  if (!check.problem.empty()) std::printf("    first gap: %s\n", check.problem.c_str());
  fs::remove_all(dir);
  return check.chainsComplete && allAcked ? 0 : 1;
}

}  // namespace
}  // namespace samband::bench

int main(int argc, char** argv) {
  using namespace samband::bench;
  samband::common::initSodium();
  CLI::App app{"ingest_bench: load benchmarks of the broker's signed status path"};
  app.require_subcommand(1);

  double verifySeconds = 3;
  std::string json = "bench-results.jsonl";
  auto* verifyCmd = app.add_subcommand("verify", "Raw crypto_sign_verify_detached rate");
  verifyCmd->add_option("--seconds", verifySeconds, "How long to verify");
  verifyCmd->add_option("--json", json, "Append the result to this JSON-lines file");

  IngestOptions ingest;
  auto* ingestCmd = app.add_subcommand("ingest", "K agents against samband-broker serve");
  ingestCmd->add_option("--broker", ingest.brokerBin, "Path to samband-broker")->required();
  ingestCmd->add_option("--work", ingest.work, "Scratch directory (on the disk under test)")
      ->required();
  ingestCmd->add_option("--json", ingest.json, "Append results to this JSON-lines file")
      ->required();
  ingestCmd->add_option("--agents", ingest.agents, "Simulated agents (providers)");
  ingestCmd->add_option("--verify-threads", ingest.verifyThreads,
                        "Comma-separated [ingest] verify_threads settings, one run each");
  ingestCmd->add_option("--window", ingest.window, "Unacknowledged reports per agent at most");
  ingestCmd->add_option("--total", ingest.total, "Reports per saturation run (all agents)");
  ingestCmd->add_option("--reports-per-agent", ingest.reportsPerAgent,
                        "Reports per agent per saturation run (overrides --total)");
  ingestCmd->add_option("--light-rate", ingest.lightRate, "Reports per second at light load");
  ingestCmd->add_option("--light-seconds", ingest.lightSeconds, "Duration of the light load");
  ingestCmd->add_option("--timeout-s", ingest.timeoutS, "Give up a phase after this long");
  ingestCmd->add_option("--batch-delay-ms", ingest.batchDelayMs,
                        "[ingest] batch_delay_ms (default: as init writes it)");
  ingestCmd->add_option("--batch-max", ingest.batchMax,
                        "[ingest] batch_max, frames per transaction (default: the broker's)");
  ingestCmd->add_option("--batch", ingest.batch,
                        "Issue 16: at saturation, send each agent's backlog as signed batches of "
                        "this many reports (0: one envelope each)");
  ingestCmd->add_flag("--no-checkpoints", ingest.noCheckpoints,
                      "[ingest] checkpoints = false (to measure what checkpoints cost)");

  ConnectOptions connect;
  DrainOptions drain;
  auto* drainCmd = app.add_subcommand("drain", "K agents with N queued reports each (batches)");
  drainCmd->add_option("--broker", drain.brokerBin, "Path to samband-broker")->required();
  drainCmd->add_option("--work", drain.work, "Scratch directory")->required();
  drainCmd->add_option("--json", drain.json, "Append results to this JSON-lines file")->required();
  drainCmd->add_option("--agents", drain.agents, "Agents with a backlog");
  drainCmd->add_option("--reports", drain.reports, "Queued reports per agent");
  drainCmd->add_option("--batch", drain.batch, "Reports per signed batch");
  drainCmd->add_option("--window", drain.window, "Unacknowledged reports per agent at most");
  drainCmd->add_option("--verify-threads", drain.verifyThreads, "[ingest] verify_threads");
  drainCmd->add_option("--timeout-s", drain.timeoutS, "Give up after this long");

  auto* connectCmd = app.add_subcommand("connect", "K agents connecting at once");
  connectCmd->add_option("--broker", connect.brokerBin, "Path to samband-broker")->required();
  connectCmd->add_option("--work", connect.work, "Scratch directory")->required();
  connectCmd->add_option("--json", connect.json, "Append results to this JSON-lines file")
      ->required();
  connectCmd->add_option("--agents", connect.agents, "Agents connecting at once");
  connectCmd->add_option("--timeout-s", connect.timeoutS, "Give up after this long");
  connectCmd->add_option("--verify-threads", connect.verifyThreads, "[ingest] verify_threads");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*verifyCmd) return runVerify(verifySeconds, json);
    if (*ingestCmd) return runIngest(ingest);
    if (*drainCmd) return runDrain(drain);
    return runConnect(connect);
  } catch (const std::exception& e) {
    // Unwinding stops the broker under test (ChildProcess's destructor).
    std::cerr << "ingest_bench: " << e.what() << "\n";
    return 2;
  }
}
