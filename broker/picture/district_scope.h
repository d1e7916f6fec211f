// DistrictScope: which districts' units one board user may see (`user add --district`). The one
// place the limit is applied to what lists units — the picture and everything built from it
// (units, providers, a provider's page and history, the CSV), the free seats, the what-if marks —
// and to the planner's input, so a district-limited user never sees another district's unit on
// any tab, API or export. A unit without a district belongs to no district: only an unlimited
// user sees it. Pure; the board builds one per request from the session.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "broker/planning/planning_data.h"

namespace samband::broker {

class DistrictScope {
 public:
  // Every district (and units without one): the default, and a user without districts.
  DistrictScope() = default;
  // Only `districts` (exact names as in the roster); an empty list means every district.
  explicit DistrictScope(std::vector<std::string> districts);

  bool isLimited() const { return !districts_.empty(); }
  const std::vector<std::string>& districts() const { return districts_; }
  // Whether a unit in `district` (nothing or "": none) may be shown.
  bool allows(const std::optional<std::string>& district) const;
  // The same for a JSON district (a string, or null for none).
  bool allowsJson(const nlohmann::json& district) const;

  // In a currentPicture()-shaped object: drops every unit outside the scope from each provider's
  // "units", then the providers left without a unit, and the "exercise" and "other_modes" rows of
  // other districts (other_modes rows carry only a code: they are kept when that code is among
  // the units kept). Does nothing when not limited. Summaries are the caller's to compute after.
  void restrictPicture(nlohmann::json& picture) const;
  // Whether a provider id is among the providers a restricted picture kept.
  static bool hasProvider(const nlohmann::json& picture, const std::string& providerId);

  // Leaves in `data` only the units of the scope (their cohorts, names, closures, what-if marks,
  // capacity flags) and the providers that still have a unit. Does nothing when not limited.
  // The planner then places pupils only within the scope.
  void restrictPlanningData(PlanningData& data) const;

 private:
  std::vector<std::string> districts_;  // sorted, unique
};

}  // namespace samband::broker
