// asof_bench (issue 13): how long rebuilding the picture at one past moment takes, on an archive
// written as the broker writes it (signed frames, chains, checkpoints): UNITS units (5 per
// provider) each reporting every 15 minutes for DAYS days. Measures writing the picture
// snapshots, then rebuilding random moments with them and, for comparison, without them (a
// replay from the first frame). docs/performance.md records the figures and how they scale.
//
//   asof_bench --work DIR [--units 1000] [--days 7] [--every 50000] [--moments 20]
//              [--full 3] [--json results.jsonl]
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "broker/city/readiness_schedule.h"
#include "broker/picture/as_of.h"
#include "broker/picture/snapshotter.h"
#include "broker/picture/view.h"
#include "broker/store/snapshot_store.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "tests/broker/picture/archive_builder.h"

namespace {

using namespace samband;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"asof_bench: rebuilding the picture at a past moment"};
  std::string work, jsonPath;
  int units = 1000, days = 7, moments = 20, full = 3;
  int64_t every = broker::kDefaultSnapshotEveryFrames;
  app.add_option("--work", work, "Directory for the database")->required();
  app.add_option("--units", units, "School units (5 per provider)");
  app.add_option("--days", days, "Days of reports, one per unit every 15 minutes");
  app.add_option("--every", every, "Frames between picture snapshots");
  app.add_option("--moments", moments, "Moments rebuilt with snapshots");
  app.add_option("--full", full, "Moments rebuilt from the first frame (0: none)");
  app.add_option("--json", jsonPath, "Append the result to this JSON Lines file");
  CLI11_PARSE(app, argc, argv);
  common::initSodium();
  broker::applyTimeZone("Europe/Stockholm");

  std::filesystem::create_directories(work);
  const std::string db = work + "/asof.db";
  std::filesystem::remove(db);
  std::filesystem::remove(db + "-wal");
  std::filesystem::remove(db + "-shm");
  const int64_t start = 1'803'800'000'000;  // 2027-02-28
  broker::testing::ArchiveBuilder b(db, start);
  const int providers = (units + 4) / 5;
  std::vector<std::string> ids;
  auto t0 = Clock::now();
  for (int p = 0; p < providers; ++p) {
    char id[16];
    std::snprintf(id, sizeof id, "55%04d-%04d", p / 10000, p % 10000);
    std::vector<std::string> codes;
    for (int u = 0; u < 5 && p * 5 + u < units; ++u)
      codes.push_back(std::to_string(30000000 + p * 5 + u));
    b.enrol(id, codes);
    ids.emplace_back(id);
  }
  std::mt19937 rng(13);
  const int rounds = days * 96;
  for (int r = 0; r < rounds; ++r) {
    b.advance(15 * 60'000);
    for (int p = 0; p < providers; ++p) {
      for (int u = 0; u < 5 && p * 5 + u < units; ++u) {
        auto state =
            rng() % 20 == 0 ? common::OperationalState::REDUCED : common::OperationalState::NORMAL;
        b.report(ids[p], broker::testing::ArchiveBuilder::status(
                             std::to_string(30000000 + p * 5 + u), state,
                             static_cast<int32_t>(200 + rng() % 100)));
      }
    }
    b.commit();
  }
  const double writeMs = msSince(t0);
  auto frames = broker::SnapshotStore(b.store()).newestFrameId();
  const int64_t dbBytes = static_cast<int64_t>(std::filesystem::file_size(db));
  std::cout << "archive: " << *frames << " frames (" << units << " units, " << days << " days), "
            << dbBytes / (1 << 20) << " MiB, written in " << writeMs / 1000 << " s\n";

  common::SystemClock clock;
  t0 = Clock::now();
  auto stored = broker::catchUpSnapshots(b.store(), every, clock);
  const double snapMs = msSince(t0);
  if (!stored) {
    std::cerr << stored.error().message << "\n";
    return 1;
  }
  auto list = broker::SnapshotStore(b.store()).list();
  int64_t snapBytes = 0;
  for (const auto& s : *list) snapBytes += s.bytes;
  std::cout << "snapshots: " << *stored << " every " << every << " frames, "
            << (list->empty() ? 0 : snapBytes / static_cast<int64_t>(list->size()) / 1024)
            << " KiB each, made in " << snapMs / 1000 << " s\n";

  auto rebuild = [&](int64_t at, bool snapshots, int64_t* replayed) {
    auto t = Clock::now();
    auto past = broker::pictureAsOf(b.store(), at, b.now(), broker::AsOfOptions{snapshots});
    if (!past) throw std::runtime_error(past.error().message);
    auto p = broker::currentPicture((*past)->store(), broker::LivenessRules{}, at, {},
                                    &(*past)->moment());
    if (!p) throw std::runtime_error(p.error().message);
    *replayed = (*past)->moment().frames - (*past)->fromSnapshot();
    return msSince(t);
  };
  std::vector<double> with;
  int64_t maxReplayed = 0;
  std::uniform_int_distribution<int64_t> when(start + 3600'000, b.now());
  for (int i = 0; i < moments; ++i) {
    int64_t replayed = 0;
    with.push_back(rebuild(when(rng), true, &replayed));
    maxReplayed = std::max(maxReplayed, replayed);
  }
  std::sort(with.begin(), with.end());
  const double median = with.empty() ? 0 : with[with.size() / 2];
  const double worst = with.empty() ? 0 : with.back();
  std::cout << "as of a moment, with snapshots: median " << median << " ms, max " << worst
            << " ms (at most " << maxReplayed << " frames replayed)\n";
  std::vector<double> without;
  for (int i = 0; i < full; ++i) {
    int64_t replayed = 0;
    // Late moments: a replay from the first frame costs the most there.
    without.push_back(rebuild(b.now() - i * 3600'000, false, &replayed));
    std::cout << "  from the first frame: " << without.back() << " ms (" << replayed
              << " frames)\n";
  }
  const double perFrameUs =
      without.empty() ? 0 : without.front() * 1000 / static_cast<double>(*frames);
  if (!without.empty()) {
    std::cout << "replay cost: " << perFrameUs << " µs per frame; a year of 1,000 units "
              << "(35 M frames) from the first frame: ~" << perFrameUs * 35.04e6 / 1e6
              << " s; with snapshots every " << every << " frames: ~" << median
              << " ms whatever the archive's length\n";
  }
  if (!jsonPath.empty()) {
    nlohmann::json out{
        {"bench", "as_of"},
        {"units", units},
        {"days", days},
        {"frames", *frames},
        {"db_bytes", dbBytes},
        {"write_s", writeMs / 1000},
        {"every", every},
        {"snapshots", *stored},
        {"snapshot_bytes", list->empty() ? 0 : snapBytes / static_cast<int64_t>(list->size())},
        {"snapshots_s", snapMs / 1000},
        {"median_ms", median},
        {"max_ms", worst},
        {"max_replayed", maxReplayed},
        {"full_ms", without},
        {"replay_us_per_frame", perFrameUs}};
    std::ofstream(jsonPath, std::ios::app) << out.dump() << "\n";
  }
  return 0;
}
