// Tests of SourceTable, the one-group relaxation: its optimum and its per-receiver bound against
// enumeration of every subset of receivers.
#include "broker/planning/source_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace samband::broker {
namespace {

// Least metres to place `supply` pupils with at most `most` receivers, optionally forcing at
// least one pupil onto receiver `forced`, by enumerating subsets (fill nearest first).
std::int64_t enumerate(int supply, int most, const std::vector<SourceCandidate>& c, int forced) {
  const int n = static_cast<int>(c.size());
  std::int64_t best = SourceTable::kNone;
  for (int mask = 1; mask < (1 << n); ++mask) {
    if (__builtin_popcount(mask) > most) continue;
    if (forced >= 0 && !(mask & (1 << forced))) continue;
    std::vector<int> chosen;
    int seats = 0;
    for (int t = 0; t < n; ++t) {
      if (mask & (1 << t)) {
        chosen.push_back(t);
        seats += std::min(c[t].seats, supply);
      }
    }
    if (seats < supply || static_cast<int>(chosen.size()) > supply) continue;
    // Each chosen receiver takes at least one pupil; the rest fill nearest first.
    std::sort(chosen.begin(), chosen.end(),
              [&](int a, int b) { return c[a].metres < c[b].metres; });
    int left = supply - static_cast<int>(chosen.size());
    std::int64_t metres = 0;
    for (int t : chosen) {
      const int more = std::min(left, std::min(c[t].seats, supply) - 1);
      left -= more;
      metres += (1 + more) * c[t].metres;
    }
    if (left == 0) best = std::min(best, metres);
  }
  return best;
}

TEST(SourceTable, MatchesEnumerationOfEverySubset) {
  std::mt19937 rng(3);
  for (int round = 0; round < 400; ++round) {
    const int n = 1 + static_cast<int>(rng() % 7);
    std::vector<SourceCandidate> c;
    for (int t = 0; t < n; ++t) {
      c.push_back({static_cast<std::int64_t>(rng() % 5000),
                   1 + static_cast<int>(rng() % 9)});
    }
    std::sort(c.begin(), c.end(),
              [](const SourceCandidate& a, const SourceCandidate& b) { return a.metres < b.metres; });
    const int supply = 1 + static_cast<int>(rng() % 20);
    const int fewest = SourceTable::fewestReceivers(supply, c);
    const int most = fewest == 0 ? 1 : fewest + static_cast<int>(rng() % 2);
    const SourceTable table(supply, most, c);
    EXPECT_EQ(table.best(), enumerate(supply, most, c, -1)) << "round " << round;
    if (table.best() != SourceTable::kNone) {
      std::int64_t metres = 0;
      int placed = 0;
      for (const auto& [t, pupils] : table.choice()) {
        EXPECT_LE(pupils, c[t].seats);
        EXPECT_GT(pupils, 0);
        metres += pupils * c[t].metres;
        placed += pupils;
      }
      EXPECT_EQ(placed, supply);
      EXPECT_EQ(metres, table.best());
      EXPECT_LE(static_cast<int>(table.choice().size()), most);
    }
    for (int t = 0; t < n; ++t) {
      const std::int64_t exact = enumerate(supply, most, c, t);
      const std::int64_t bound = table.boundWith(c[t].metres, c[t].seats);
      if (exact == SourceTable::kNone) continue;
      EXPECT_LE(bound, exact) << "round " << round << " receiver " << t;
    }
  }
}

TEST(SourceTable, CountsTheFewestReceivers) {
  EXPECT_EQ(SourceTable::fewestReceivers(15, {{10, 27}, {20, 8}}), 1);
  EXPECT_EQ(SourceTable::fewestReceivers(20, {{10, 12}, {20, 12}, {30, 5}}), 2);
  EXPECT_EQ(SourceTable::fewestReceivers(29, {{10, 12}, {20, 12}, {30, 5}}), 3);
  EXPECT_EQ(SourceTable::fewestReceivers(30, {{10, 12}, {20, 12}, {30, 5}}), 0);
}

}  // namespace
}  // namespace samband::broker
