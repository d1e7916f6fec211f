// The class solver: places the pupils of the failing units of one class (form, year) into the
// free seats of that class, lexicographically optimal — most pupils placed, then fewest pieces
// (sending year group, receiving unit), then least pupil-km. Stage 1 is a min-cost flow (LEMON,
// column generation over the class's GeoIndex); the minimum cut of that flow splits the class
// into a part where seats run short and one where every pupil is placed, and each part is settled
// by exact bounds (the flow's duals, SourceTable) or, where those leave a gap, by an integer
// program on the few arcs the bounds cannot exclude (piece_problem.h). Model: docs/planning.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "broker/planning/plan.h"
#include "broker/planning/planner_index.h"
#include "common/result.h"

namespace samband::broker {

// Per-thread working memory, reused across plans; see makeSolverScratch().
struct SolverScratch {
  std::vector<char> failing;       // per unit: its pupils are placed, it offers no seats
  std::vector<char> notReceiving;  // per unit: offers no seats
  std::vector<int> localSink;      // per slot of the class being solved; -1 = not in use
};

// Scratch sized for `index`, all clear: no unit failing or excluded, no slot in use.
SolverScratch makeSolverScratch(const PlannerIndex& index);

// What solving classes adds up to, for SolverInfo and the benchmark.
struct SolveReport {
  bool optimal = true;           // every stage of every class proven optimal
  std::int64_t gapPieces = 0;    // pieces above the proven lower bound
  std::int64_t pieceBound = 0;   // proven lower bound on pieces
  std::int64_t integerPrograms = 0;  // integer programs solved
  std::int64_t boundRounds = 0;      // rounds of the gap loop (see docs/planning.md)
};

struct ClassRequest {
  const PlanOptions* options = nullptr;
  std::chrono::steady_clock::time_point deadline;
  bool explain = true;  // fill Unplaced reasons, nearestKm and horizonWouldPlace
};

// Places the pupils of `slots` (sorted sending slots of `data`, a class of `index`) into the
// seats of the class's other slots whose units are neither failing nor notReceiving (marked in
// `scratch`), and appends placements and unplaced rows to `plan`, the placed pupil-metres to
// `metreSum`, and the solve's bounds to `report`. Past request.deadline the best plan found so
// far is kept and report.optimal becomes false. Leaves scratch.localSink clear. Errors: internal
// when a solver fails in a way that is a bug. Not thread-safe on one `scratch`; any number of
// calls may share `index`.
[[nodiscard]] common::Status solveClass(const PlannerIndex& index, const ClassData& data,
                                        const std::vector<int>& slots,
                                        const ClassRequest& request, SolverScratch& scratch,
                                        Plan& plan, std::int64_t& metreSum, SolveReport& report);

}  // namespace samband::broker
