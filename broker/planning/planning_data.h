// PlanningData: what the planner needs — the roster's unit metadata, the latest actual capacity
// reports, closed units, providers that cannot continue and the board's what-if marks (read by
// picture/planning_source.h) — plus rendering of plans and contingency rows for the CLI and the
// board (text, JSON, CSV).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "broker/planning/planner.h"
#include "broker/planning/roster_csv.h"
#include "common/result.h"

namespace samband::broker {

struct PlanningData {
  PlanningInput input;
  std::map<std::string, std::string> providerNames;                 // id -> name
  std::map<std::string, std::vector<std::string>> unitsByProvider;  // id -> unit codes
  std::map<std::string, std::string> unitNames;                     // code -> name
  std::set<std::string> closedUnits;                                // actual status "closed"
  std::set<std::string> cannotContinueUnits;  // units of providers that cannot continue
  std::set<std::string> whatIfUnits;          // marked failing on the board (what-if)
  std::set<std::string> unitsWithCapacity;    // units that sent a capacity report
};

// Resolves --failing arguments (organisation numbers or unit codes) to unit codes.
common::Result<std::set<std::string>> resolveFailing(const PlanningData& data,
                                                     const std::vector<std::string>& args);

// The failing set of a takeover plan: the named units plus every closed unit and every unit
// of a provider that cannot continue (plus what-if marks when `includeWhatIf`).
std::set<std::string> failingUnits(const PlanningData& data, const std::set<std::string>& named,
                                   bool includeWhatIf);

nlohmann::json planToJson(const Plan& plan, const PlanningData& data,
                          const std::set<std::string>& failing, const PlanOptions& options);
std::string planToText(const Plan& plan, const PlanningData& data,
                       const std::set<std::string>& failing);
std::string planToCsv(const Plan& plan);

nlohmann::json contingencyToJson(const std::vector<ContingencyRow>& rows, const PlanningData& data,
                                 const PlanOptions& options);
std::string contingencyToText(const std::vector<ContingencyRow>& rows, const PlanningData& data);
std::string contingencyToCsv(const std::vector<ContingencyRow>& rows);

}  // namespace samband::broker
