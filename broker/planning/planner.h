// Takeover planning: places the pupils of failing school units into free seats of running
// units (same school form and year) — most pupils placed, then fewest (year group, receiving
// unit) pieces, then least pupil-kilometres — and runs the same plan for every provider and
// every district failing (N-1 contingency). Pure: no I/O, no database. The facade over
// PlannerIndex (validated input) and the class solver; errors are common::Result.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/planning/geo_index.h"
#include "broker/planning/plan.h"
#include "common/result.h"

namespace samband::broker {

enum class ContingencyScope { kProvider, kDistrict };

// "provider" or "district".
const char* scopeName(ContingencyScope scope);

// The outcome of one scenario: everything of one provider, or of one district, fails.
struct ContingencyRow {
  ContingencyScope scope = ContingencyScope::kProvider;
  std::string id;  // provider id or district name
  std::int64_t pupilsAffected = 0;
  std::int64_t placed = 0;
  std::int64_t unplaced = 0;
  double pupilKm = 0.0;
  std::map<std::string, std::int64_t> missingSeatsByForm;  // form -> unplaced pupils; > 0 only
  // Added with issue 12: the scenario plan's pieces and how it was solved (as SolverInfo).
  std::int64_t pieces = 0;
  bool optimal = true;
  std::int64_t gapPieces = 0;
};

// Validated input plus spatial indexes; defined in planner_index.h.
struct PlannerIndex;

class Planner {
 public:
  // Validates `input` and builds the spatial indexes. Errors: invalidInput, saying what to fix
  // (see buildPlannerIndex() in planner_index.h): empty or duplicate unit codes, coordinates
  // out of range, cohorts of unknown units, duplicate (unit, form, year) cohorts, negative
  // counts or years.
  [[nodiscard]] static common::Result<Planner> create(PlanningInput input);

  Planner(Planner&&) noexcept;
  Planner& operator=(Planner&&) noexcept;
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;
  ~Planner();

  // Plans the takeover of every pupil of `failingUnitCodes` (duplicates ignored): as
  // plan(PlanScope{failingUnitCodes, {}}, options) below.
  [[nodiscard]] common::Result<Plan> plan(const std::vector<std::string>& failingUnitCodes,
                                          const PlanOptions& options) const;

  // Plans the takeover of every pupil of scope.failing (duplicates ignored). Failing units and
  // scope.notReceiving offer no seats; a receiver gives at most floor(fill * free seats) per
  // class. Objective, in order: most pupils placed; fewest (sending year group, receiving unit)
  // pieces; least pupil-km (docs/planning.md). Each stage is exact; past options.timeLimitMs
  // the best plan found is returned with solver.optimal false and the proven gap in pieces.
  // Errors: invalidInput for an unknown unit code, maxKm not > 0, fill outside (0, 1] or
  // timeLimitMs not > 0; internal when a solver fails (a bug). Thread-safe: may run concurrently
  // on one Planner.
  [[nodiscard]] common::Result<Plan> plan(const PlanScope& scope, const PlanOptions& options) const;

  // Runs plan() for every provider failing alone (all its units) and for every non-empty
  // district failing at once, on `threads` threads (0 = hardware concurrency), on top of
  // today's situation: `baseline.failing` units fail and `baseline.notReceiving` units offer no
  // seats in every scenario; each scenario adds one provider (or district). Pupils of the
  // baseline's failing units count in every row. options.timeLimitMs applies to each scenario.
  // Rows are ranked by unplaced desc, then pupilsAffected desc, then scope (provider first),
  // then id. Errors: as plan() for options and codes; a scenario's internal error, prefixed
  // with its scope and id.
  [[nodiscard]] common::Result<std::vector<ContingencyRow>> contingency(
      const PlanOptions& options, const PlanScope& baseline, unsigned threads = 0) const;
  // As above with an empty baseline.
  [[nodiscard]] common::Result<std::vector<ContingencyRow>> contingency(const PlanOptions& options,
                                                                        unsigned threads = 0) const;

  // Number of units and of distinct classes known to the planner.
  std::size_t unitCount() const;
  std::size_t classCount() const;

 private:
  explicit Planner(std::unique_ptr<PlannerIndex> index);

  std::unique_ptr<PlannerIndex> index_;
};

}  // namespace samband::broker
