// Takeover planning on the board (GET /api/plan and /api/contingency): the current plan for the
// units that fail now — of a provider that cannot continue, closed beyond the horizon, and
// (unless left out) those an operator marked for a what-if run — and the N-1 contingency ranking
// on top of today's situation. Both run the same Planner as `samband-broker plan takeover
// --what-if` and `plan contingency` and answer the same JSON (planToJson, contingencyToJson of
// planning_data.h). The ranking runs one plan per provider and district, so ContingencyCache
// computes it at most once per planning input.
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "broker/planning/planner.h"
#include "broker/planning/planning_data.h"
#include "common/result.h"

namespace samband::broker {

// The takeover plan for `data`: the units selectUnits() picks under `rules`.
// Errors: internal when the roster or capacity data cannot be planned with (the message says
// what is wrong), invalidInput for bad options, internal when the solver fails (a bug). Pure.
common::Result<nlohmann::json> boardPlan(const PlanningData& data, const PlanOptions& options,
                                         const ScopeRules& rules);

class ContingencyCache {
 public:
  // `threads`: planner threads per computation (the board shares the machine with ingest).
  explicit ContingencyCache(unsigned threads = 2) : threads_(threads) {}
  ContingencyCache(const ContingencyCache&) = delete;
  ContingencyCache& operator=(const ContingencyCache&) = delete;

  // contingencyToJson() of the ranking for `data` and `options` on top of today's situation
  // (selectUnits() under `rules`, what-if marks left out), plus "computed_at". Answers from the
  // cache when the planning input (units, positions, capacity, provider names, today's failing
  // and non-receiving units) and the options are the same as for an earlier answer; otherwise
  // computes it. One computation
  // runs at a time, so a room of pages refreshing together costs one. Thread-safe. Errors: as
  // boardPlan().
  common::Result<nlohmann::json> ranking(const PlanningData& data, const PlanOptions& options,
                                         const ScopeRules& rules, int64_t nowMs);

 private:
  struct Entry {
    std::string key;
    nlohmann::json body;
  };
  static constexpr size_t kEntries = 4;  // now/72h and a few max-km values

  unsigned threads_;
  std::mutex mutex_;
  std::vector<Entry> entries_;  // most recently used last
};

}  // namespace samband::broker
