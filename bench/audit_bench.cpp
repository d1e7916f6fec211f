// audit_bench (issue 16, part 5): how fast `samband-broker audit` re-verifies an archive, as a
// ratio to the raw Ed25519 verify rate of all cores measured in the same run (right before and
// right after the audit). The archive is written as the broker writes it (signed frames, chains,
// a checkpoint per commit): UNITS units (5 per provider) each reporting every 15 minutes for
// DAYS days. docs/performance.md says how the figure scales to a Stockholm-sized year.
//
//   audit_bench --work DIR [--units 1000] [--days 1] [--serial 1] [--json results.jsonl]
#include <sodium.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

#include "broker/audit/audit.h"
#include "broker/store/audit_store.h"
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
double allCoreVerifyRate(const common::Bytes& body, const common::Bytes& signature,
                         const common::PublicKey& pk, double seconds, unsigned cores) {
  const common::Bytes message = common::bodySigningInput(body);
  std::atomic<uint64_t> total{0};
  std::atomic<int> failures{0};
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
    });
  }
  for (auto& t : threads) t.join();
  if (failures > 0) return -1;
  return static_cast<double>(total.load()) / secondsSince(t0);
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
  CLI11_PARSE(app, argc, argv);
  common::initSodium();

  std::filesystem::create_directories(work);
  const std::string db = work + "/audit.db";
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(db + ext);
  const int64_t start = 1'803'800'000'000;
  auto t0 = Clock::now();
  common::PublicKey samplePk{};
  {
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
    for (int r = 0; r < days * 96; ++r) {
      b.advance(15 * 60'000);
      for (int p = 0; p < providers; ++p) {
        for (int u = 0; u < 5 && p * 5 + u < units; ++u) {
          auto state = rng() % 20 == 0 ? common::OperationalState::REDUCED
                                       : common::OperationalState::NORMAL;
          b.report(ids[p], broker::testing::ArchiveBuilder::status(
                               std::to_string(30000000 + p * 5 + u), state,
                               static_cast<int32_t>(200 + rng() % 100)));
        }
      }
      b.commit();
    }
  }
  const double writeS = secondsSince(t0);
  auto store = broker::Store::open(db, broker::Store::Access::readOnly);
  if (!store) {
    std::cerr << store.error().message << "\n";
    return 1;
  }
  // A real report of the archive and its signer's key, for the raw reference.
  common::Bytes body, signature;
  {
    auto keys = broker::AuditStore(**store).keys();
    bool found = false;
    (void)broker::AuditStore(**store).forEachFrameById([&](const broker::StoredFrame& f) {
      if (found || f.kind != "unit_status") return;
      auto parts = common::decodeEnvelope(f.envelope);
      for (const auto& k : *keys) {
        if (parts && k.keyId == f.keyId && k.signPublic.size() == 32) {
          body = parts->body;
          signature = parts->signature;
          std::copy(k.signPublic.begin(), k.signPublic.end(), samplePk.begin());
          found = true;
        }
      }
    });
    if (!found) {
      std::cerr << "audit_bench: no report in the archive\n";
      return 1;
    }
  }
  const int64_t frames = *broker::AuditStore(**store).maxFrameId();
  const int64_t dbBytes = static_cast<int64_t>(std::filesystem::file_size(db));
  std::cout << "archive: " << frames << " frames (" << units << " units, " << days
            << " days), " << dbBytes / (1 << 20) << " MiB, written in " << writeS << " s\n";

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  auto timedAudit = [&](int threads, broker::AuditReport* out) {
    broker::AuditOptions o;
    o.threads = threads;
    auto t = Clock::now();
    *out = broker::auditArchive(**store, o);
    return secondsSince(t);
  };
  // The page cache warm for both: the first audit reads the file once untimed.
  broker::AuditReport warm;
  (void)timedAudit(static_cast<int>(cores), &warm);
  if (!warm.intact()) std::cerr << "audit_bench: the archive is not intact?\n" << warm.toText();
  const double rawBefore = allCoreVerifyRate(body, signature, samplePk, verifySeconds, cores);
  broker::AuditReport parallelReport;
  const double parallelS = timedAudit(0, &parallelReport);
  const double rawAfter = allCoreVerifyRate(body, signature, samplePk, verifySeconds, cores);
  const double raw = (rawBefore + rawAfter) / 2;
  const double parallelRate = static_cast<double>(parallelReport.frames) / parallelS;
  double serialS = 0, serialRate = 0;
  if (serial) {
    broker::AuditReport serialReport;
    serialS = timedAudit(1, &serialReport);
    serialRate = static_cast<double>(serialReport.frames) / serialS;
    if (serialReport.toJson() != parallelReport.toJson()) {
      std::cerr << "audit_bench: the serial and the parallel audit disagree\n";
      return 1;
    }
  }
  const double ratio = raw > 0 ? parallelRate / raw : 0;
  const double yearFrames = 35.04e6;  // 1,000 units, every 15 minutes, 365 days
  std::cout << "raw verify, all " << cores << " cores: " << rawBefore << " /s before, "
            << rawAfter << " /s after\n"
            << "audit (" << cores << " threads): " << parallelReport.frames << " frames in "
            << parallelS << " s = " << parallelRate << " frames/s = " << ratio
            << " x the all-core raw rate (target >= 0.9)\n";
  if (serial) {
    std::cout << "audit (1 thread): " << serialS << " s = " << serialRate << " frames/s\n";
  }
  std::cout << "a Stockholm-sized year (35 M frames) at this rate: ~" << yearFrames / parallelRate / 60
            << " min; peak RSS " << maxRssKiB() / 1024 << " MiB\n";
  if (!jsonPath.empty()) {
    nlohmann::json j{{"bench", "audit"},
                     {"units", units},
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
                     {"intact", parallelReport.intact()},
                     {"year_minutes", yearFrames / parallelRate / 60},
                     {"max_rss_kib", maxRssKiB()}};
    std::ofstream(jsonPath, std::ios::app) << j.dump() << "\n";
  }
  return 0;
}
