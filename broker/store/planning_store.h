// PlanningStore: the rows the takeover planner reads (providers and their duty contacts, units
// with positions, the newest capacity figures, the units' actual statuses, providers that cannot
// continue, what-if marks), all from one read transaction so they agree.
// picture/planning_source.cpp maps them to planning types; the store does not know the planner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/capacity_store.h"
#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

struct PlanningUnitRow {
  std::string code;
  std::string providerId;
  std::string name;      // empty: none
  std::string district;  // empty: none
  std::optional<double> lat, lon;
};

// A unit's latest actual status, as far as planning needs it.
struct PlanningStatusRow {
  std::string code;
  std::string operational;  // normal | reduced | remote | closed | relocated | unknown
  int64_t sentAt = 0;       // when the unit made the report (its clock)
  std::string closedUntil;  // "YYYY-MM-DD"; empty: not given
  int pupilsEnrolled = -1;  // as reported in the status; -1: not given
};

struct PlanningRows {
  std::vector<std::pair<std::string, std::string>> providers;     // id, name
  std::vector<std::pair<std::string, std::string>> dutyContacts;  // provider id, contact
  std::vector<PlanningUnitRow> units;                             // by code
  std::vector<CapacityFigureRow> capacity;  // newest figure (report or import), by code, form, year
  std::vector<PlanningStatusRow> statuses;  // actual, units of the roster that reported, by code
  std::vector<std::string> cannotContinueProviders;  // actual continuity
  std::vector<std::string> whatIfUnits;
};

// Calls on the connection of `store`; use from the thread that holds it.
class PlanningStore {
 public:
  explicit PlanningStore(Store& store) : store_(store) {}

  // Errors: database (unavailable, with the database's message).
  common::Result<PlanningRows> read();

 private:
  Store& store_;
};

}  // namespace samband::broker
