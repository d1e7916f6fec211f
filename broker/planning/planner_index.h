// PlannerIndex: the planner's input validated and arranged for solving — units sorted by code
// with their unit vectors, and per class (form, year) one slot per unit with a cohort in it plus
// a GeoIndex of the slots that offer seats. Built once per Planner, read-only afterwards. Pure.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/planning/geo_index.h"
#include "broker/planning/plan.h"
#include "common/result.h"

namespace samband::broker {

// Everything known about one class: one slot per unit that has a cohort in it.
struct ClassData {
  ClassKey key;
  std::vector<int> unitOf;  // slot -> unit index
  std::vector<int> enrolled;
  std::vector<int> seatsNow;
  std::vector<int> seatsWithin72h;
  GeoIndex receivers;  // slots with a position and seats at either horizon
  int mostSeatsNow = 0;  // the largest seatsNow of any slot
  int mostSeatsWithin72h = 0;

  int seats(int slot, Horizon horizon) const {
    return horizon == Horizon::kNow ? seatsNow[slot] : seatsWithin72h[slot];
  }
  int mostSeats(Horizon horizon) const {
    return horizon == Horizon::kNow ? mostSeatsNow : mostSeatsWithin72h;
  }
};

struct PlannerIndex {
  std::vector<Unit> units;  // sorted by code, so unit index order is code order
  std::vector<Vec3> unitVectors;
  std::vector<std::vector<std::pair<int, int>>> cohortsOfUnit;  // (class, slot) per unit
  std::vector<ClassData> classes;                               // sorted by key
  std::size_t maxSlots = 0;

  int findUnit(const std::string& code) const {
    auto it = std::lower_bound(units.begin(), units.end(), code,
                               [](const Unit& u, const std::string& c) { return u.code < c; });
    return (it != units.end() && it->code == code) ? static_cast<int>(it - units.begin()) : -1;
  }
};

// Validates `input` and builds its index. Errors: invalidInput, saying what to fix: empty or
// duplicate unit codes, coordinates out of range, cohorts of unknown units, duplicate
// (unit, form, year) cohorts, empty forms, negative counts or years.
[[nodiscard]] common::Result<std::unique_ptr<PlannerIndex>> buildPlannerIndex(PlanningInput input);

}  // namespace samband::broker
