// board_view_bench (issue 16, part 3): what one `GET /api/units` costs the board for a city of
// UNITS units, without HTTP or a simulated city: a picture of UNITS units (PROVIDERS providers,
// 20 districts, one report each) written straight into a new database, then the answer rendered
// afresh (BoardView::units + dump, the tree freed) REPEAT times, the same answer served from the
// per-version cache (BoardViewCache, with the copy into the response httplib makes), and the
// resident size after THREADS threads each rendered it at once (glibc gives each thread an
// arena), before and after malloc_trim. docs/performance.md records the figures.
//
//   board_view_bench --work DIR [--units 10000] [--providers 400] [--repeat 20] [--threads 8]
//                    [--mmap-threshold BYTES] [--json results.jsonl]
#include <malloc.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>
#include <vector>

#include "broker/board/board_office_gauges.h"
#include "broker/board/board_view_cache.h"
#include "broker/city/readiness_schedule.h"
#include "broker/picture/board_view.h"
#include "broker/picture/unit_text_cache.h"
#include "broker/store/archive_store.h"
#include "broker/store/picture_store.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "broker/store/write_transaction.h"
#include "common/messages.h"

namespace {

using namespace samband;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// CPU time of this thread: the machine's other load does not count.
double cpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int64_t rssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

void check(const common::Status& s, const char* what) {
  if (!s) {
    std::cerr << what << ": " << s.error().message << "\n";
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"board_view_bench: GET /api/units rendered afresh and from the per-version cache"};
  std::string work, jsonPath;
  int units = 10000, providers = 400, repeat = 20, threads = 8, mmapThreshold = 0, changed = 250;
  app.add_option("--work", work, "Directory for the database")->required();
  app.add_option("--units", units, "School units");
  app.add_option("--providers", providers, "Providers (units spread evenly)");
  app.add_option("--repeat", repeat, "Renders timed");
  app.add_option("--changed", changed,
                 "Units given a new report before each render with kept unit texts");
  app.add_option("--threads", threads, "Threads rendering at once for the memory figure");
  app.add_option("--mmap-threshold", mmapThreshold,
                 "mallopt(M_MMAP_THRESHOLD) in bytes, as the board sets it (0: glibc's default, "
                 "which grows with every large block freed)");
  app.add_option("--json", jsonPath, "Append the result to this JSON Lines file");
  CLI11_PARSE(app, argc, argv);
  broker::applyTimeZone("Europe/Stockholm");
  if (mmapThreshold > 0) mallopt(M_MMAP_THRESHOLD, mmapThreshold);

  std::filesystem::create_directories(work);
  const std::string db = work + "/board_view.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  auto opened = broker::Store::open(db, broker::Store::Access::readWrite);
  if (!opened) {
    std::cerr << opened.error().message << "\n";
    return 1;
  }
  broker::Store& store = **opened;
  const int64_t now = 1'803'800'000'000;  // 2027-02-28
  auto t0 = Clock::now();
  std::vector<broker::UnitRosterRow> roster;
  std::vector<std::string> ownerOf;
  for (int u = 0; u < units; ++u) {
    char provider[32];
    std::snprintf(provider, sizeof provider, "55%04d-%04d", 0, u % providers);
    broker::UnitRosterRow row;
    row.code = std::to_string(30000000 + u);
    row.providerId = provider;
    row.name = "Skolan nummer " + std::to_string(u);
    row.district = "Stadsdel " + std::to_string(u % 20);
    row.lat = 59.3 + (u % 100) * 0.001;
    row.lon = 18.0 + (u / 100) * 0.001;
    row.schoolForms = u % 3 == 0 ? "forskoleklass:0;grundskola:1;grundskola:2;fritidshem:0"
                                 : "grundskola:7;grundskola:8;grundskola:9";
    roster.push_back(row);
    ownerOf.emplace_back(provider);
  }
  check(broker::RosterStore(store).importUnits(roster, false), "roster");
  {
    auto tx = broker::WriteTransaction::begin(store);
    if (!tx) return 1;
    broker::ArchiveStore archive(store);
    std::unordered_map<std::string, int64_t> lastSeen;
    for (int u = 0; u < units; ++u) {
      if (u % 50 == 7) continue;  // a unit that never reported
      common::UnitStatusMsg s;
      s.unitCode = roster[u].code;
      s.operational =
          u % 17 == 0 ? common::OperationalState::REDUCED : common::OperationalState::NORMAL;
      s.pupilsEnrolled = 300;
      s.pupilsPresent = 250 + u % 50;
      s.staffTotal = 40;
      s.staffAvailable = 35;
      s.note = u % 17 == 0 ? "Personalbrist, lågstadiet hem efter lunch" : "";
      if (u % 101 == 0) {
        s.operational = common::OperationalState::CLOSED;
        s.note = "Vattenläcka i \"gamla huset\"\nStängt tills vidare";
        s.closedUntil = "2027-03-03";
      }
      if (u % 13 == 0) s.validUntil = now - 60'000;  // expired
      const int64_t sentAt = now - (u % 3600) * 1000;
      check(archive.upsertUnitStatus("actual", ownerOf[u], u + 1, sentAt, sentAt + 20, s),
            "unit status");
      lastSeen[ownerOf[u]] = now - 5000;
    }
    check(archive.noteLastSeen(lastSeen), "last seen");
    check(tx->commit(), "commit");
  }
  std::cout << "picture: " << units << " units, " << providers << " providers, written in "
            << msSince(t0) / 1000 << " s\n";

  const broker::BoardViewRules rules;
  // Afresh, as every request without `v` (and every viewer before the cache) costs.
  std::vector<double> total, totalCpu, build, dump, release;
  size_t bytes = 0;
  std::string treeText;
  for (int i = 0; i < repeat; ++i) {
    const double c = cpuMs();
    auto t = Clock::now();
    auto answer = broker::BoardView(store, rules, now).units({});
    if (!answer) {
      std::cerr << answer.error().message << "\n";
      return 1;
    }
    build.push_back(msSince(t));
    auto d = Clock::now();
    std::string text = answer->dump();
    dump.push_back(msSince(d));
    auto r = Clock::now();
    *answer = nlohmann::json();
    release.push_back(msSince(r));
    total.push_back(msSince(t));
    totalCpu.push_back(cpuMs() - c);
    bytes = text.size();
    if (i == 0) treeText = std::move(text);
  }
  // Written as text without a tree (BoardView::unitsText with no kept texts: since 2026-12-08 the
  // text of a cold UnitTextCache, every unit read and written), what /api/units costs when no unit
  // text is kept yet.
  std::vector<double> direct, directCpu;
  bool identical = true;
  for (int i = 0; i < repeat; ++i) {
    const double c = cpuMs();
    auto t = Clock::now();
    auto text = broker::BoardView(store, rules, now).unitsText({});
    if (!text) {
      std::cerr << text.error().message << "\n";
      return 1;
    }
    direct.push_back(msSince(t));
    directCpu.push_back(cpuMs() - c);
    if (*text != treeText) identical = false;
  }
  if (!identical) std::cerr << "unitsText differs from units().dump()\n";
  // Afresh with each unit's text kept between renders (UnitTextCache), as the board renders
  // /api/units now: before each render CHANGED units get a new report (at 1,000 reports/s, about
  // what arrives between two requests a quarter of a second apart), and the answer is compared
  // with the direct text of the same database.
  broker::UnitTextCache unitTexts;
  auto cachedText = [&]() {
    broker::BoardView view(store, rules, now);
    view.useUnitTexts(&unitTexts);
    return view.unitsText({});
  };
  double coldMs = 0, coldCpu = 0;
  {
    const double c = cpuMs();
    auto t = Clock::now();
    auto text = cachedText();
    coldMs = msSince(t);
    coldCpu = cpuMs() - c;
    if (!text || *text != treeText) identical = false;
  }
  int64_t nextFrame = units + 1;
  auto changeUnits = [&](int i) {
    auto tx = broker::WriteTransaction::begin(store);
    if (!tx) return false;
    broker::ArchiveStore archive(store);
    for (int k = 0; k < changed; ++k) {
      const int u = static_cast<int>((static_cast<int64_t>(i) * changed + k) * 7919 % units);
      common::UnitStatusMsg s;
      s.unitCode = roster[u].code;
      s.operational =
          k % 2 == 0 ? common::OperationalState::REDUCED : common::OperationalState::NORMAL;
      s.pupilsEnrolled = 300;
      s.pupilsPresent = 200 + (i + k) % 100;
      s.staffTotal = 40;
      s.staffAvailable = 30 + k % 10;
      s.note = "Ändrad " + std::to_string(i);
      const int64_t sentAt = now - 1000 * (k % 60);
      check(archive.upsertUnitStatus("actual", ownerOf[u], nextFrame++, sentAt, sentAt + 20, s),
            "unit status");
    }
    check(tx->commit(), "commit");
    return true;
  };
  std::vector<double> kept, keptCpu;
  bool keptIdentical = true;
  for (int i = 0; i < repeat; ++i) {
    if (!changeUnits(i)) return 1;
    const double c = cpuMs();
    auto t = Clock::now();
    auto text = cachedText();
    kept.push_back(msSince(t));
    keptCpu.push_back(cpuMs() - c);
    auto reference = broker::BoardView(store, rules, now).unitsText({});
    if (!text || !reference || *text != *reference) keptIdentical = false;
  }
  if (!keptIdentical) std::cerr << "unitsText with kept unit texts differs from the direct text\n";
  // The picture changed above: the tree's text for the sections below.
  {
    auto answer = broker::BoardView(store, rules, now).units({});
    if (!answer) return 1;
    treeText = answer->dump();
  }
  // GET /api/picture (issue 16): the tree (picture() + dump(), freed) before, the units written
  // directly (pictureText()) now; the same bytes.
  std::vector<double> pictureTree, pictureTreeCpu, pictureDirect, pictureDirectCpu;
  bool pictureIdentical = true;
  size_t pictureBytes = 0;
  for (int i = 0; i < repeat; ++i) {
    double c = cpuMs();
    auto t = Clock::now();
    std::string treeDump;
    {
      auto answer = broker::BoardView(store, rules, now).picture();
      if (!answer) {
        std::cerr << answer.error().message << "\n";
        return 1;
      }
      treeDump = answer->dump();
    }
    pictureTree.push_back(msSince(t));
    pictureTreeCpu.push_back(cpuMs() - c);
    c = cpuMs();
    t = Clock::now();
    auto text = broker::BoardView(store, rules, now).pictureText();
    if (!text) {
      std::cerr << text.error().message << "\n";
      return 1;
    }
    pictureDirect.push_back(msSince(t));
    pictureDirectCpu.push_back(cpuMs() - c);
    if (*text != treeDump) pictureIdentical = false;
    pictureBytes = text->size();
  }
  if (!pictureIdentical) std::cerr << "pictureText differs from picture().dump()\n";
  // The picture with each unit's text kept (the board's UnitTextCache), CHANGED units changed
  // before each render as above; the first three compared with the tree.
  std::vector<double> pictureKept, pictureKeptCpu;
  for (int i = 0; i < repeat; ++i) {
    if (!changeUnits(repeat + i)) return 1;
    const double c = cpuMs();
    auto t = Clock::now();
    broker::BoardView view(store, rules, now);
    view.useUnitTexts(&unitTexts);
    auto text = view.pictureText();
    if (!text) return 1;
    pictureKept.push_back(msSince(t));
    pictureKeptCpu.push_back(cpuMs() - c);
    if (i < 3) {
      auto tree = broker::BoardView(store, rules, now).picture();
      if (!tree || tree->dump() != *text) pictureIdentical = false;
    }
  }
  if (!pictureIdentical) std::cerr << "pictureText with kept unit texts differs from the tree\n";
  // The database work of one GET /metrics scrape (Board::metricsPage): the counters and the
  // office's gauges.
  std::vector<double> scrape, scrapeCpu;
  for (int i = 0; i < repeat; ++i) {
    const double c = cpuMs();
    auto t = Clock::now();
    auto counts = broker::PictureStore(store).counts();
    auto gauges = broker::officeGauges(store, rules, now);
    if (!counts || !gauges) {
      std::cerr << "the /metrics gauges could not be read\n";
      return 1;
    }
    scrape.push_back(msSince(t));
    scrapeCpu.push_back(cpuMs() - c);
  }

  // From the cache: every viewer of the same version after the first.
  broker::BoardViewCache cache;
  broker::BoardViewKey key{"units", "viewer", {}, "[\"\",\"\",\"\",\"\",\"\"]"};
  auto render = [&]() -> common::Result<std::string> {
    return broker::BoardView(store, rules, now).unitsText({});
  };
  (void)cache.get(key, 1, 1, now, render);
  std::vector<double> hit;
  for (int i = 0; i < repeat * 10; ++i) {
    auto t = Clock::now();
    auto body = cache.get(key, 1, 1, now, render);
    std::string response = **body;  // httplib's set_content copies the bytes
    hit.push_back(msSince(t));
  }

  // Memory: `threads` viewers at once rendering afresh with the tree (the board before the
  // cache: each HTTP thread built its own), each holding its answer until all have one.
  std::atomic<int64_t> peak{0};
  auto atOnce = [&](bool tree) {
    peak = 0;
    std::atomic<int> rendered{0};
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) {
      pool.emplace_back([&] {
        auto lease = broker::Store::open(db, broker::Store::Access::readOnly);
        if (!lease) {
          std::cerr << "open: " << lease.error().message << "\n";
          ++rendered;
          return;
        }
        broker::BoardView view(**lease, rules, now);
        std::string text;
        if (tree) {
          auto answer = view.units({});
          if (answer) text = answer->dump();
          if (!answer) std::cerr << "units: " << answer.error().message << "\n";
        } else {
          auto answer = view.unitsText({});
          if (answer) text = std::move(answer).value();
          if (!answer) std::cerr << "unitsText: " << answer.error().message << "\n";
        }
        peak = std::max<int64_t>(peak.load(), rssKiB());
        ++rendered;
        while (rendered.load() < threads) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      });
    }
    for (auto& t : pool) t.join();
  };
  malloc_trim(0);
  const int64_t rssBefore = rssKiB();
  atOnce(true);
  const int64_t peakTree = peak.load();
  const int64_t rssAfter = rssKiB();
  auto tt = Clock::now();
  malloc_trim(0);
  const double trimMs = msSince(tt);
  const int64_t rssTrimmed = rssKiB();
  atOnce(false);
  const int64_t peakDirect = peak.load();
  const int64_t rssDirect = rssKiB();
  malloc_trim(0);
  const int64_t rssDirectTrimmed = rssKiB();

  std::printf(
      "GET /api/units, %d units (%.1f MiB), afresh: p50 %.1f ms, min %.1f ms, max %.1f ms "
      "(BoardView::units %.1f, dump %.1f, freeing the tree %.1f; p50 of %d)\n",
      units, bytes / 1048576.0, percentile(total, 0.5),
      *std::min_element(total.begin(), total.end()), *std::max_element(total.begin(), total.end()),
      percentile(build, 0.5), percentile(dump, 0.5), percentile(release, 0.5), repeat);
  std::printf(
      "GET /api/units, written directly: p50 %.1f ms (CPU %.1f ms), min %.1f ms; the tree "
      "took CPU %.1f ms p50; identical bytes: %s\n",
      percentile(direct, 0.5), percentile(directCpu, 0.5),
      *std::min_element(direct.begin(), direct.end()), percentile(totalCpu, 0.5),
      identical ? "yes" : "NO");
  std::printf(
      "GET /api/units with each unit's text kept (UnitTextCache): first render %.1f ms (CPU %.1f "
      "ms), then with %d units changed before each: p50 %.1f ms (CPU %.1f ms); identical bytes: "
      "%s\n",
      coldMs, coldCpu, changed, percentile(kept, 0.5), percentile(keptCpu, 0.5),
      keptIdentical ? "yes" : "NO");
  std::printf(
      "GET /api/picture with each unit's text kept, %d units changed before each: p50 %.1f ms "
      "(CPU %.1f ms)\n",
      changed, percentile(pictureKept, 0.5), percentile(pictureKeptCpu, 0.5));
  std::printf(
      "GET /api/picture, %d units (%.1f MiB): tree p50 %.1f ms (CPU %.1f ms), units written "
      "directly p50 %.1f ms (CPU %.1f ms); identical bytes: %s\n",
      units, pictureBytes / 1048576.0, percentile(pictureTree, 0.5),
      percentile(pictureTreeCpu, 0.5), percentile(pictureDirect, 0.5),
      percentile(pictureDirectCpu, 0.5), pictureIdentical ? "yes" : "NO");
  std::printf("GET /metrics, its database gauges: p50 %.1f ms (CPU %.1f ms), max %.1f ms\n",
              percentile(scrape, 0.5), percentile(scrapeCpu, 0.5),
              *std::max_element(scrape.begin(), scrape.end()));
  std::printf("GET /api/units?v=N from the cache: p50 %.3f ms, p99 %.3f ms (%d)\n",
              percentile(hit, 0.5), percentile(hit, 0.99), repeat * 10);
  std::printf(
      "RSS: %lld MiB; %d threads rendering the tree at once: peak %lld MiB, after %lld MiB, "
      "after malloc_trim (%.1f ms) %lld MiB; writing it directly: peak %lld MiB, after %lld "
      "MiB, after malloc_trim %lld MiB\n",
      static_cast<long long>(rssBefore / 1024), threads, static_cast<long long>(peakTree / 1024),
      static_cast<long long>(rssAfter / 1024), trimMs, static_cast<long long>(rssTrimmed / 1024),
      static_cast<long long>(peakDirect / 1024), static_cast<long long>(rssDirect / 1024),
      static_cast<long long>(rssDirectTrimmed / 1024));
  if (!jsonPath.empty()) {
    std::ofstream out(jsonPath, std::ios::app);
    out << nlohmann::json{{"bench", "board_view"},
                          {"units", units},
                          {"bytes", bytes},
                          {"fresh_p50_ms", percentile(total, 0.5)},
                          {"fresh_min_ms", *std::min_element(total.begin(), total.end())},
                          {"build_p50_ms", percentile(build, 0.5)},
                          {"dump_p50_ms", percentile(dump, 0.5)},
                          {"free_p50_ms", percentile(release, 0.5)},
                          {"fresh_cpu_p50_ms", percentile(totalCpu, 0.5)},
                          {"direct_p50_ms", percentile(direct, 0.5)},
                          {"direct_cpu_p50_ms", percentile(directCpu, 0.5)},
                          {"direct_identical", identical},
                          {"kept_changed_per_render", changed},
                          {"kept_cold_ms", coldMs},
                          {"kept_cold_cpu_ms", coldCpu},
                          {"kept_p50_ms", percentile(kept, 0.5)},
                          {"kept_cpu_p50_ms", percentile(keptCpu, 0.5)},
                          {"kept_identical", keptIdentical},
                          {"picture_bytes", pictureBytes},
                          {"picture_tree_p50_ms", percentile(pictureTree, 0.5)},
                          {"picture_tree_cpu_p50_ms", percentile(pictureTreeCpu, 0.5)},
                          {"picture_direct_p50_ms", percentile(pictureDirect, 0.5)},
                          {"picture_direct_cpu_p50_ms", percentile(pictureDirectCpu, 0.5)},
                          {"picture_identical", pictureIdentical},
                          {"picture_kept_p50_ms", percentile(pictureKept, 0.5)},
                          {"picture_kept_cpu_p50_ms", percentile(pictureKeptCpu, 0.5)},
                          {"metrics_gauges_p50_ms", percentile(scrape, 0.5)},
                          {"metrics_gauges_cpu_p50_ms", percentile(scrapeCpu, 0.5)},
                          {"cached_p50_ms", percentile(hit, 0.5)},
                          {"cached_p99_ms", percentile(hit, 0.99)},
                          {"rss_before_mib", rssBefore / 1024},
                          {"rss_after_threads_mib", rssAfter / 1024},
                          {"rss_trimmed_mib", rssTrimmed / 1024},
                          {"rss_peak_tree_mib", peakTree / 1024},
                          {"rss_peak_direct_mib", peakDirect / 1024},
                          {"rss_direct_threads_mib", rssDirect / 1024},
                          {"rss_direct_trimmed_mib", rssDirectTrimmed / 1024},
                          {"threads", threads},
                          {"mmap_threshold", mmapThreshold}}
               .dump()
        << "\n";
  }
  return identical && pictureIdentical ? 0 : 1;
}
