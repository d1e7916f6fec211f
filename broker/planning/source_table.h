// SourceTable: one sending year group on its own — the least pupil-metres of placing its pupils
// with at most K receiving units, found by dynamic programming over its receivers nearest first.
// The class solver uses it as the exact relaxation of the source-limited part of a class (every
// pupil placed): the sum over groups is a lower bound, and a bound per receiver tells which
// receivers an optimal plan can use at all. Model: docs/planning.md. Pure.
#pragma once

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace samband::broker {

struct SourceCandidate {
  std::int64_t metres = 0;  // distance of the receiver
  int seats = 0;            // seats it can give this group: min(free seats, group size), >= 1
};

class SourceTable {
 public:
  static constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();

  // The fewest receivers among `candidates` whose seats cover `supply`; 0 when all of them
  // together do not.
  static int fewestReceivers(int supply, const std::vector<SourceCandidate>& candidates);

  // Tables for `supply` >= 1 pupils and at most `maxReceivers` >= 1 receivers out of
  // `candidates`, sorted by metres (ties in the caller's order, which optimal choices follow).
  // O(candidates * supply^2) time, O(candidates * maxReceivers * supply) bytes.
  SourceTable(int supply, int maxReceivers, const std::vector<SourceCandidate>& candidates);

  // Least metres of placing all pupils with at most maxReceivers receivers; kNone if impossible.
  std::int64_t best() const { return best_; }
  // An optimal choice: (candidate index, pupils), nearest first; empty if impossible.
  const std::vector<std::pair<int, int>>& choice() const { return choice_; }

  // A lower bound on the metres of any choice (all pupils, at most maxReceivers receivers) that
  // sends at least one pupil to a receiver `metres` away with `seats` seats; kNone if none can.
  // Valid for receivers outside `candidates` too, provided the candidates hold the group's
  // optimum for every supply up to its own (see ClassSolver's stopping rule).
  std::int64_t boundWith(std::int64_t metres, int seats) const;

 private:
  int supply_;
  // fewer_[p]: least metres of placing exactly p pupils with at most maxReceivers - 1 receivers.
  std::vector<std::int64_t> fewer_;
  std::int64_t best_ = kNone;
  std::vector<std::pair<int, int>> choice_;
};

}  // namespace samband::broker
