// Takeover planning: places the pupils of failing school units into free seats of running
// units (same school form and year) at minimum total pupil-kilometres, and runs the same plan
// for every provider and every district failing (N-1 contingency). Pure: no I/O, no database.
// The facade over PlannerIndex (validated input) and the class solver; errors are common::Result.
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

  // Plans the takeover of every pupil of `failingUnitCodes` (duplicates ignored). Failing
  // units offer no seats. The plan has minimum total pupil-km among the plans that place the
  // most pupils; among those it prefers keeping a year group together (docs/planning.md).
  // Errors: invalidInput for an unknown unit code or maxKm not > 0; internal when the flow
  // solver fails (a bug). Thread-safe: may run concurrently on one Planner.
  [[nodiscard]] common::Result<Plan> plan(const std::vector<std::string>& failingUnitCodes,
                                          const PlanOptions& options) const;

  // As above, with units that offer no seats beyond the failing ones (scope.notReceiving).
  // Objective, in order: most pupils placed; fewest (sending year group, receiving unit)
  // pieces; least pupil-km (docs/planning.md). Each stage exact within options.timeLimitMs.
  [[nodiscard]] common::Result<Plan> plan(const PlanScope& scope, const PlanOptions& options) const;

  // Runs plan() for every provider failing alone (all its units) and for every non-empty
  // district failing at once, on `threads` threads (0 = hardware concurrency). Rows are
  // ranked by unplaced desc, then pupilsAffected desc, then scope (provider first), then id.
  // Errors: as plan() for options; a scenario's internal error, prefixed with its scope and id.
  // As contingency() below, on top of today's situation: `baseline.failing` units fail and
  // `baseline.notReceiving` units offer no seats in every scenario; each scenario adds one
  // provider (or district). Pupils of the baseline's failing units count in every row.
  [[nodiscard]] common::Result<std::vector<ContingencyRow>> contingency(
      const PlanOptions& options, const PlanScope& baseline, unsigned threads = 0) const;
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
