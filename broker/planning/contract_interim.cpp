// INTERIM, branch i12-inputs only: stand-ins for the issue-12 contract functions of plan.h and
// planner.h until branch i12-solver lands with the real ones. They ignore notReceiving, fill and
// the baseline. Delete this file (and its CMake line) when merging i12-solver.
#include "broker/planning/planner.h"

namespace samband::broker {

const char* unplacedCodeName(UnplacedCode code) {
  switch (code) {
    case UnplacedCode::kNoCoordinates:
      return "no_coordinates";
    case UnplacedCode::kBeyondLimit:
      return "beyond_limit";
    case UnplacedCode::kNoSeats:
      return "no_seats";
    case UnplacedCode::kSeatsTaken:
      return "seats_taken";
  }
  return "seats_taken";
}

common::Result<Plan> Planner::plan(const PlanScope& scope, const PlanOptions& options) const {
  return plan(scope.failing, options);
}

common::Result<std::vector<ContingencyRow>> Planner::contingency(const PlanOptions& options,
                                                                 const PlanScope& baseline,
                                                                 unsigned threads) const {
  (void)baseline;
  return contingency(options, threads);
}

}  // namespace samband::broker
