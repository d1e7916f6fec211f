// The class solver: places the pupils of the failing units of one class (form, year) into the
// free seats of that class at minimum total pupil-km, as a min-cost flow solved with LEMON's
// network simplex. Arcs are chosen by column generation over the class's GeoIndex; a second
// pass on the optimal face keeps year groups together. Model: docs/planning.md. Pure.
#pragma once

#include <cstdint>
#include <vector>

#include "broker/planning/plan.h"
#include "broker/planning/planner_index.h"
#include "common/result.h"

namespace samband::broker {

// Per-thread working memory, reused across plans; see makeSolverScratch().
struct SolverScratch {
  std::vector<char> failing;   // per unit
  std::vector<int> localSink;  // per slot of the class being solved; -1 = not in network
};

// Scratch sized for `index`, all clear: no unit failing, no slot in a network.
SolverScratch makeSolverScratch(const PlannerIndex& index);

// Places the pupils of `slots` (sorted slots of `data`, a class of `index`) into the seats of
// the class's other slots whose units are not marked in scratch.failing, and appends the
// placements and unplaced rows to `plan` and the placed pupil-metres to `metreSum`. Phase 1
// finds the minimum cost among the flows that place the most pupils; phase 2 keeps that cost
// and prefers receivers that can take a whole year group. Leaves scratch.localSink clear.
// Errors: internal when the flow solver finds no optimum, which is a bug. Not thread-safe on
// one `scratch`; any number of calls may share `index`.
[[nodiscard]] common::Status solveClass(const PlannerIndex& index, const ClassData& data,
                                        const std::vector<int>& slots, const PlanOptions& options,
                                        SolverScratch& scratch, Plan& plan, std::int64_t& metreSum);

}  // namespace samband::broker
