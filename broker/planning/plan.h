// The vocabulary of a takeover plan: the planner's input (units, cohorts), its options and the
// plan it answers (placements, unplaced pupils, totals). Plain data, shared by the index, the
// class solver, the Planner facade and the formats of planning_data.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/planning/geo_index.h"

namespace samband::broker {

// Reasons given for pupils that cannot be placed.
inline constexpr const char* kReasonNoCoordinates = "sending unit has no coordinates";
inline constexpr const char* kReasonNoSeatsInReach = "no seats within max-km";
inline constexpr const char* kReasonSeatsTaken = "not enough seats within max-km";

// A class key: pupils are only ever placed into the same school form and year.
// `form` is e.g. "grundskola"; `year` is 0 where the form has no years.
struct ClassKey {
  std::string form;
  int year = 0;

  friend bool operator==(const ClassKey& a, const ClassKey& b) {
    return a.year == b.year && a.form == b.form;
  }
  friend bool operator!=(const ClassKey& a, const ClassKey& b) { return !(a == b); }
  friend bool operator<(const ClassKey& a, const ClassKey& b) {
    return a.form != b.form ? a.form < b.form : a.year < b.year;
  }
};

// A school unit (skolenhet). A unit without `position` can neither send pupils by distance
// nor receive them: its pupils are reported unplaced (kReasonNoCoordinates) when it fails,
// and its seats are never offered.
struct Unit {
  std::string code;        // 8-digit school-unit code
  std::string name;        // display name, UTF-8
  std::string providerId;  // organisation number "NNNNNN-NNNN"
  std::string district;    // district (stadsdel/kommun); empty = none
  std::optional<GeoPoint> position;
};

// One unit's figures for one class.
struct Cohort {
  std::string unitCode;
  ClassKey key;
  int enrolled = 0;        // pupils enrolled now
  int seatsNow = 0;        // seats it can take in now
  int seatsWithin72h = 0;  // seats it can take in within 72 h (cumulative, includes seatsNow)
};

struct PlanningInput {
  std::vector<Unit> units;
  std::vector<Cohort> cohorts;
};

// Which seat figure a plan uses.
enum class Horizon { kNow, kWithin72h };

// How arcs (sending unit -> receiving unit) enter the flow network. Both give the same
// optimal cost; kDense builds every arc within maxKm and exists as a reference for tests.
enum class ArcSelection { kColumnGeneration, kDense };

struct PlanOptions {
  double maxKm = 30.0;  // only receiving units within this great-circle distance; > 0
  Horizon horizon = Horizon::kNow;
  ArcSelection arcs = ArcSelection::kColumnGeneration;
};

// `pupils` pupils of `fromUnit`'s class (form, year) go to `toUnit`, `km` away.
struct Placement {
  std::string fromUnit;
  std::string form;
  int year = 0;
  std::string toUnit;
  int pupils = 0;
  double km = 0.0;  // rounded to whole metres, as used in the cost
};

// `pupils` pupils of `fromUnit`'s class that no plan can place, and why.
struct Unplaced {
  std::string fromUnit;
  std::string form;
  int year = 0;
  int pupils = 0;
  std::string reason;
};

struct PlanTotals {
  std::int64_t pupilsToPlace = 0;
  std::int64_t placed = 0;
  std::int64_t unplaced = 0;
  double pupilKm = 0.0;  // sum of pupils * km over placements
};

// A takeover plan. Placements are ordered by (fromUnit, form, year, toUnit), unplaced rows
// by (fromUnit, form, year); equal input gives byte-identical output.
struct Plan {
  std::vector<Placement> placements;
  std::vector<Unplaced> unplaced;
  PlanTotals totals;
};

}  // namespace samband::broker
