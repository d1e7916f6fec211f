// See source_table.h. For a fixed set of receivers the cheapest way to place the pupils fills the
// nearest ones and gives the remainder to the farthest, so the tables count receivers that are
// "full" (F) and add the farthest, possibly partial, one last (H).
#include "broker/planning/source_table.h"

#include <algorithm>
#include <functional>

namespace samband::broker {

int SourceTable::fewestReceivers(int supply, const std::vector<SourceCandidate>& candidates) {
  std::vector<int> seats;
  seats.reserve(candidates.size());
  for (const SourceCandidate& c : candidates) seats.push_back(std::min(c.seats, supply));
  std::sort(seats.begin(), seats.end(), std::greater<int>());
  int covered = 0;
  for (std::size_t k = 0; k < seats.size(); ++k) {
    covered += seats[k];
    if (covered >= supply) return static_cast<int>(k + 1);
  }
  return 0;
}

SourceTable::SourceTable(int supply, int maxReceivers,
                         const std::vector<SourceCandidate>& candidates)
    : supply_(supply) {
  const int s = supply;
  const int k = maxReceivers;
  const int n = static_cast<int>(candidates.size());
  // full[m * s + p]: m receivers, all full, p < s pupils. last[m * (s + 1) + p]: m receivers,
  // the farthest possibly partial, p pupils.
  std::vector<std::int64_t> full(static_cast<std::size_t>(k) * s, kNone);
  std::vector<std::int64_t> last(static_cast<std::size_t>(k + 1) * (s + 1), kNone);
  full[0] = 0;
  last[0] = 0;
  std::vector<unsigned char> took(k >= 2 ? static_cast<std::size_t>(n) * k * s : 0, 0);
  int bestCandidate = -1;
  int bestCount = 0;
  int bestPupils = 0;
  for (int t = 0; t < n; ++t) {
    const int u = std::min(candidates[t].seats, s);
    const std::int64_t d = candidates[t].metres;
    if (u <= 0) continue;
    for (int m = 0; m < k; ++m) {
      for (int p = 0; p < s; ++p) {
        const std::int64_t f = full[static_cast<std::size_t>(m) * s + p];
        if (f == kNone) continue;
        const int most = std::min(u, s - p);
        for (int r = 1; r <= most; ++r) {
          const std::int64_t v = f + r * d;
          std::int64_t& h = last[static_cast<std::size_t>(m + 1) * (s + 1) + p + r];
          if (v < h) h = v;
          if (p + r == s && v < best_) {
            best_ = v;
            bestCandidate = t;
            bestCount = m;
            bestPupils = p;
          }
        }
      }
    }
    for (int m = k - 2; m >= 0; --m) {
      for (int p = s - 1 - u; p >= 0; --p) {
        const std::int64_t f = full[static_cast<std::size_t>(m) * s + p];
        if (f == kNone) continue;
        std::int64_t& target = full[static_cast<std::size_t>(m + 1) * s + p + u];
        if (f + u * d < target) {
          target = f + u * d;
          took[(static_cast<std::size_t>(t) * k + m + 1) * s + p + u] = 1;
        }
      }
    }
  }
  fewer_.assign(static_cast<std::size_t>(s) + 1, kNone);
  for (int m = 0; m < k; ++m) {
    for (int p = 0; p <= s; ++p) {
      fewer_[p] = std::min(fewer_[p], last[static_cast<std::size_t>(m) * (s + 1) + p]);
    }
  }
  if (bestCandidate < 0) return;
  choice_.emplace_back(bestCandidate, s - bestPupils);
  int m = bestCount;
  int p = bestPupils;
  for (int t = bestCandidate - 1; t >= 0 && m > 0; --t) {
    if (!took[(static_cast<std::size_t>(t) * k + m) * s + p]) continue;
    const int u = std::min(candidates[t].seats, s);
    choice_.emplace_back(t, u);
    --m;
    p -= u;
  }
  std::reverse(choice_.begin(), choice_.end());
}

std::int64_t SourceTable::boundWith(std::int64_t metres, int seats) const {
  std::int64_t bound = kNone;
  const int most = std::min(seats, supply_);
  for (int x = 1; x <= most; ++x) {
    const std::int64_t rest = fewer_[supply_ - x];
    if (rest == kNone) continue;
    bound = std::min(bound, rest + x * metres);
  }
  return bound;
}

}  // namespace samband::broker
