// PlanningStore: the rows the takeover planner reads (providers, units with positions, actual
// capacity, closed units, providers that cannot continue, what-if marks), all from one read
// transaction so they agree. picture/planning_source.cpp maps them to planning types; the store
// does not know the planner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

struct PlanningCapacityRow {
  std::string code;
  std::string form;
  int year = 0;
  int enrolled = 0, seatsNow = 0, seats72h = 0;
};

struct PlanningRows {
  std::vector<std::pair<std::string, std::string>> providers;  // id, name
  std::vector<PlanningUnitRow> units;                          // by code
  std::vector<PlanningCapacityRow> capacity;                   // actual, by code, form, year
  std::vector<std::string> closedUnits;                        // actual status "closed"
  std::vector<std::string> cannotContinueProviders;            // actual continuity
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
