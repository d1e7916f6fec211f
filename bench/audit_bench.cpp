// audit_bench (issue 16, part 5): how fast `samband-broker audit` re-verifies an archive, as a
// ratio to the raw Ed25519 verify rate of all cores measured in the same run (right before and
// right after the audit). The archive is written as the broker writes it (signed frames, chains,
// a checkpoint per commit): UNITS units (5 per provider) each reporting every 15 minutes for
// DAYS days. docs/performance.md says how the figure scales to a Stockholm-sized year.
//
//   audit_bench --work DIR [--units 1000] [--days 1] [--serial 1] [--json results.jsonl]
//               [--reports-per-checkpoint N]
//
// By default a round of every unit's report is one commit, so one checkpoint covers 1,000
// frames. A broker at a city's usual pace (a report a second or so) commits nearly every report
// on its own: `--reports-per-checkpoint 1` writes that archive (make bench runs both).
//
// For counting instructions under callgrind (bench/audit_instructions.sh), where time means
// nothing: `--only write` writes the archive and stops; `--only audit` (or `nosig`: everything
// but the signatures) audits the existing archive once on one thread, in auditArchive();
// `--only raw --raw-count N` verifies N of its reports (each once while there are enough) in
// rawVerifies().
#include <sodium.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

#include "broker/audit/audit.h"
#include "broker/city/city_chain.h"
#include "broker/city/key_records.h"
#include "broker/store/audit_store.h"
#include "common/batch_envelope.h"
#include "common/bytes.h"
#include "common/codec.h"
#include "common/signing.h"
#include "tests/broker/picture/archive_builder.h"

namespace {

using namespace samband;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// crypto_sign_verify_detached over a real signed frame of the archive on every core at once for
// `seconds`: the ceiling of any audit on this machine.
double cpuSeconds(int who) {
  struct rusage u {};
  getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Also adds the CPU seconds the verifying threads used to `*cpu`.
double allCoreVerifyRate(const common::Bytes& body, const common::Bytes& signature,
                         const common::PublicKey& pk, double seconds, unsigned cores, double* cpu,
                         uint64_t* verifies) {
  const common::Bytes message = common::bodySigningInput(body);
  std::atomic<uint64_t> total{0};
  std::atomic<int> failures{0};
  std::mutex cpuMutex;
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  for (unsigned c = 0; c < cores; ++c) {
    threads.emplace_back([&] {
      uint64_t n = 0;
      int bad = 0;
      while (secondsSince(t0) < seconds) {
        for (int i = 0; i < 128; ++i) {
          bad += crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                             pk.data()) != 0;
        }
        n += 128;
      }
      total += n;
      failures += bad;
      std::lock_guard<std::mutex> lock(cpuMutex);
      *cpu += cpuSeconds(RUSAGE_THREAD);
    });
  }
  for (auto& t : threads) t.join();
  if (failures > 0) return -1;
  *verifies += total.load();
  return static_cast<double>(total.load()) / secondsSince(t0);
}

// A signed report of the archive: its signed bytes, signature and proven key.
struct Signed {
  common::Bytes message;  // kBodySignDomain || body
  common::Bytes signature;
  common::PublicKey pk{};
};

// N verifies on the calling thread, cycling through `samples` (Ed25519 verification takes a
// different number of instructions for each signature, so the reference is a mix of the
// archive's reports, as the audit's is); its own function so that callgrind
// (--toggle-collect=*rawVerifies*) counts exactly these instructions. Returns the failures.
[[gnu::noinline]] int rawVerifies(const std::vector<Signed>& samples, uint64_t n) {
  int bad = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const Signed& s = samples[i % samples.size()];
    bad += crypto_sign_verify_detached(s.signature.data(), s.message.data(), s.message.size(),
                                       s.pk.data()) != 0;
  }
  return bad;
}

long maxRssKiB() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"audit_bench: re-verifying an archive against the all-core raw verify rate"};
  std::string work, jsonPath;
  int units = 1000, days = 1, serial = 1;
  double verifySeconds = 2;
  app.add_option("--work", work, "Directory for the database")->required();
  app.add_option("--units", units, "School units (5 per provider)");
  app.add_option("--days", days, "Days of reports, one per unit every 15 minutes");
  app.add_option("--serial", serial, "Also audit with one thread (1) or not (0)");
  app.add_option("--verify-seconds", verifySeconds, "Raw verify measurement before and after");
  app.add_option("--json", jsonPath, "Append the result to this JSON Lines file");
  std::string only;
  uint64_t rawCount = 10000;
  app.add_option("--only", only, "For callgrind: write, audit, nosig or raw (see the top)")
      ->check(CLI::IsMember({"write", "audit", "nosig", "raw"}));
  app.add_option("--raw-count", rawCount, "Verifies for --only raw");
  int batched = 0;
  int reportsPerCheckpoint = 0;
  int allCheckpointSignatures = 0;
  app.add_option("--all-checkpoint-signatures", allCheckpointSignatures,
                 "1: audit as `audit --all-checkpoint-signatures` (every checkpoint's signature)");
  app.add_option("--reports-per-checkpoint", reportsPerCheckpoint,
                 "A checkpoint after every N reports, as a broker that commits them in groups of "
                 "N (1: every report, a city's usual pace); 0: one per round of all units");
  app.add_option("--batched", batched,
                 "1: each provider sends each round's reports as one signed batch (issue 16)");
  CLI11_PARSE(app, argc, argv);
  common::initSodium();

  std::filesystem::create_directories(work);
  const std::string db = work + "/audit.db";
  // --only audit/nosig/raw count the archive an earlier --only write left.
  const bool write = only.empty() || only == "write";
  if (write) {
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(db + ext);
  }
  const int64_t start = 1'803'800'000'000;
  auto t0 = Clock::now();
  common::PublicKey samplePk{};
  if (write) {
    broker::testing::ArchiveBuilder b(db, start);
    const int providers = (units + 4) / 5;
    std::vector<std::string> ids;
    for (int p = 0; p < providers; ++p) {
      char id[16];
      std::snprintf(id, sizeof id, "55%04d-%04d", p / 10000, p % 10000);
      std::vector<std::string> codes;
      for (int u = 0; u < 5 && p * 5 + u < units; ++u)
        codes.push_back(std::to_string(30000000 + p * 5 + u));
      b.enrol(id, codes);
      ids.emplace_back(id);
    }
    std::mt19937 rng(16);
    int64_t sinceCheckpoint = 0;
    for (int r = 0; r < days * 96; ++r) {
      b.advance(15 * 60'000);
      for (int p = 0; p < providers; ++p) {
        std::vector<common::Payload> round;
        for (int u = 0; u < 5 && p * 5 + u < units; ++u) {
          auto state = rng() % 20 == 0 ? common::OperationalState::REDUCED
                                       : common::OperationalState::NORMAL;
          round.push_back(
              broker::testing::ArchiveBuilder::status(std::to_string(30000000 + p * 5 + u), state,
                                                      static_cast<int32_t>(200 + rng() % 100)));
        }
        if (batched) {
          b.reportBatch(ids[p], round);
        } else {
          for (const auto& payload : round) {
            b.report(ids[p], payload);
            if (reportsPerCheckpoint > 0 && ++sinceCheckpoint % reportsPerCheckpoint == 0) {
              b.checkpoint();
            }
          }
        }
      }
      b.commit();
    }
  }
  const double writeS = secondsSince(t0);
  if (only == "write") return 0;
  auto store = broker::Store::open(db, broker::Store::Access::readOnly);
  if (!store) {
    std::cerr << store.error().message << "\n";
    return 1;
  }
  // A real report of the archive and its signer's key, for the raw reference (--only raw: up to
  // --raw-count of them).
  common::Bytes body, signature;
  std::vector<Signed> samples;
  {
    // The signers' keys as the audit proves them: from the city's records.
    auto cityHex = (*store)->meta(broker::kMetaCitySignPublic);
    common::PublicKey cityKey{};
    if (!cityHex || !*cityHex || !common::fromHex(**cityHex, cityKey.data(), cityKey.size())) {
      std::cerr << "audit_bench: no city key in the archive\n";
      return 1;
    }
    auto keys = broker::keysFromArchive(**store, cityKey);
    bool found = false;
    (void)broker::AuditStore(**store).forEachFrameById([&](const broker::StoredFrame& f) {
      if (f.kind != "unit_status" || !keys) return;
      auto parts = common::decodeEnvelope(f.envelope);
      auto k = keys->keys.find(f.keyId);
      if (only == "raw" && parts && k != keys->keys.end() && samples.size() < rawCount &&
          !common::isBatchMemberSignature(parts->signature)) {
        Signed one{common::bodySigningInput(parts->body), parts->signature, {}};
        std::copy(k->second.signPublic.begin(), k->second.signPublic.end(), one.pk.begin());
        samples.push_back(std::move(one));
      }
      if (found) return;
      if (parts && k != keys->keys.end() && k->second.signPublic.size() == 32) {
        body = parts->body;
        signature = parts->signature;
        std::copy(k->second.signPublic.begin(), k->second.signPublic.end(), samplePk.begin());
        found = true;
      }
    });
    if (!found) {
      std::cerr << "audit_bench: no report in the archive\n";
      return 1;
    }
    if (common::isBatchMemberSignature(signature)) {
      // A report stored from a batch carries no signature of its own: the reference is the same
      // body signed alone (what it would cost unbatched), with a key made for the purpose.
      auto signer = common::Identity::generate("556677-0000");
      signature = common::signBody(*signer, body);
      samplePk = signer->signPublic();
    }
  }
  const int64_t frames = *broker::AuditStore(**store).maxFrameId();
  if (only == "audit" || only == "nosig") {
    broker::AuditOptions o;
    o.threads = 1;
    o.since = only == "nosig" ? frames + 1 : 0;
    const broker::AuditReport r = broker::auditArchive(**store, o);
    std::cout << "audited frames: " << r.frames << "\n";
    return r.badSignatures + r.chainBreaks + r.checkpointProblems + r.undecodable +
                       r.columnMismatches ==
                   0
               ? 0
               : 1;
  }
  if (only == "raw") {
    if (samples.empty()) samples.push_back({common::bodySigningInput(body), signature, samplePk});
    const int bad = rawVerifies(samples, rawCount);
    std::cout << "raw verifies: " << rawCount << "\n";
    return bad == 0 ? 0 : 1;
  }
  const int64_t dbBytes = static_cast<int64_t>(std::filesystem::file_size(db));
  std::cout << "archive: " << frames << " frames (" << units << " units, " << days << " days), "
            << dbBytes / (1 << 20) << " MiB, written in " << writeS << " s\n";

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  // Wall seconds and process CPU seconds of one audit.
  auto timedAudit = [&](int threads, int64_t since, broker::AuditReport* out, double* cpu) {
    broker::AuditOptions o;
    o.threads = threads;
    o.since = since;
    o.allCheckpointSignatures = allCheckpointSignatures != 0;
    const double cpu0 = cpuSeconds(RUSAGE_SELF);
    auto t = Clock::now();
    *out = broker::auditArchive(**store, o);
    const double wall = secondsSince(t);
    *cpu = cpuSeconds(RUSAGE_SELF) - cpu0;
    return wall;
  };
  // The page cache warm for all runs: the first audit reads the file once, untimed. An archive
  // from the builder has no keys table and no picture (the broker writes those), so the audit
  // reports those two kinds of problem and no other; the benchmark checks that.
  broker::AuditReport warm;
  double cpu = 0;
  (void)timedAudit(static_cast<int>(cores), 0, &warm, &cpu);
  if (warm.badSignatures + warm.chainBreaks + warm.checkpointProblems + warm.undecodable +
          warm.columnMismatches !=
      0) {
    std::cerr << "audit_bench: the archive did not verify\n" << warm.toText();
    return 1;
  }
  double rawCpu = 0;
  uint64_t rawVerifies = 0;
  const double rawBefore =
      allCoreVerifyRate(body, signature, samplePk, verifySeconds, cores, &rawCpu, &rawVerifies);
  broker::AuditReport parallelReport;
  double parallelCpu = 0;
  const double parallelS = timedAudit(0, 0, &parallelReport, &parallelCpu);
  const double rawAfter =
      allCoreVerifyRate(body, signature, samplePk, verifySeconds, cores, &rawCpu, &rawVerifies);
  const double raw = (rawBefore + rawAfter) / 2;
  const double rawCpuUs = rawCpu * 1e6 / static_cast<double>(rawVerifies);
  const double parallelRate = static_cast<double>(parallelReport.frames) / parallelS;
  const double auditCpuUs = parallelCpu * 1e6 / static_cast<double>(parallelReport.frames);
  // Everything but the signatures: --since past the last frame, one thread.
  broker::AuditReport noSig;
  double noSigCpu = 0;
  const double noSigS = timedAudit(1, frames + 1, &noSig, &noSigCpu);
  const double noSigCpuUs = noSigCpu * 1e6 / static_cast<double>(noSig.frames);
  double serialS = 0, serialRate = 0, serialCpu = 0;
  if (serial) {
    broker::AuditReport serialReport;
    serialS = timedAudit(1, 0, &serialReport, &serialCpu);
    serialRate = static_cast<double>(serialReport.frames) / serialS;
    if (serialReport.toJson() != parallelReport.toJson()) {
      std::cerr << "audit_bench: the serial and the parallel audit disagree\n";
      return 1;
    }
  }
  const double ratio = raw > 0 ? parallelRate / raw : 0;
  const double yearFrames = 35.04e6;  // 1,000 units, every 15 minutes, 365 days
  std::cout << "raw verify, all " << cores << " cores: " << rawBefore << " /s before, " << rawAfter
            << " /s after; " << rawCpuUs << " µs of CPU per verify\n"
            << "audit (" << cores << " threads): " << parallelReport.frames << " frames in "
            << parallelS << " s = " << parallelRate << " frames/s = " << ratio
            << " x the all-core raw rate (target >= 0.9); " << auditCpuUs
            << " µs of CPU per frame = " << rawCpuUs / auditCpuUs
            << " x the raw verify's CPU per verify\n"
            << "audit without signatures (--since past the end, 1 thread): " << noSigS << " s, "
            << noSigCpuUs << " µs of CPU per frame\n";
  if (serial) {
    std::cout << "audit (1 thread): " << serialS << " s = " << serialRate << " frames/s; "
              << (serialS > 0 ? serialS / parallelS : 0) << " x slower than " << cores
              << " threads\n";
  }
  std::cout << "a Stockholm-sized year (35 M frames) at this rate: ~"
            << yearFrames / parallelRate / 60 << " min; peak RSS " << maxRssKiB() / 1024
            << " MiB\n";
  if (!jsonPath.empty()) {
    nlohmann::json j{{"bench", "audit"},
                     {"units", units},
                     {"batched", batched != 0},
                     {"reports_per_checkpoint", reportsPerCheckpoint},
                     {"all_checkpoint_signatures", allCheckpointSignatures != 0},
                     {"checkpoints", parallelReport.checkpoints},
                     {"checkpoint_signatures_checked", parallelReport.checkpointSignaturesChecked},
                     {"days", days},
                     {"frames", parallelReport.frames},
                     {"db_bytes", dbBytes},
                     {"write_s", writeS},
                     {"cores", cores},
                     {"raw_all_cores_before", rawBefore},
                     {"raw_all_cores_after", rawAfter},
                     {"audit_s", parallelS},
                     {"audit_rate", parallelRate},
                     {"ratio", ratio},
                     {"serial_s", serialS},
                     {"serial_rate", serialRate},
                     {"serial_cpu_s", serialCpu},
                     {"raw_cpu_us_per_verify", rawCpuUs},
                     {"audit_cpu_us_per_frame", auditCpuUs},
                     {"cpu_ratio", rawCpuUs / auditCpuUs},
                     {"no_signatures_s", noSigS},
                     {"no_signatures_cpu_us_per_frame", noSigCpuUs},
                     {"intact", parallelReport.intact()},
                     {"year_minutes", yearFrames / parallelRate / 60},
                     {"max_rss_kib", maxRssKiB()}};
    std::ofstream(jsonPath, std::ios::app) << j.dump() << "\n";
  }
  return 0;
}
