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

// The reason given for pupils of a unit without a position (UnplacedCode::kNoCoordinates).
inline constexpr const char* kReasonNoCoordinates = "sending unit has no coordinates";
// The words of issue 5, no longer written: since issue 12 Unplaced::reason carries the
// numbers ("nearest free seat in grundskola year 4 is 34 km away (limit 30)") and
// Unplaced::code the kind (docs/planning.md, "Unplaced pupils").
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
  // Headroom: a receiver takes at most floor(fill * free seats) of each class; in (0, 1].
  double fill = 0.95;
  // Wall-clock limit for the exact stages together; past it the best plan found is returned
  // with its proven gap (SolverInfo::gapPieces). > 0.
  std::int64_t timeLimitMs = 20000;
};

// Which units take part in a plan beyond the ones failing: units that stay failing (and offer
// no seats) and units that do not receive (reduced operation, report older than the horizon,
// closed for a day). Contingency keeps this baseline in every scenario.
struct PlanScope {
  std::vector<std::string> failing;       // unit codes whose pupils are to be placed
  std::vector<std::string> notReceiving;  // unit codes that offer no seats (failing ones never do)
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

// Why pupils stay unplaced, as a code for programs (the words are in Unplaced::reason).
enum class UnplacedCode {
  kNoCoordinates,  // the sending unit has no position
  kBeyondLimit,    // the nearest free seat of the class is farther than maxKm (nearestKm says)
  kNoSeats,        // no unit anywhere has a free seat in the class
  kSeatsTaken,     // seats within maxKm exist but were given to other pupils
};
// "no_coordinates" | "beyond_limit" | "no_seats" | "seats_taken".
const char* unplacedCodeName(UnplacedCode code);

// `pupils` pupils of `fromUnit`'s class that no plan can place, and why.
struct Unplaced {
  std::string fromUnit;
  std::string form;
  int year = 0;
  int pupils = 0;
  // In words with the numbers, e.g. "nearest free seat in grundskola year 4 is 34 km away
  // (limit 30)"; "; the 72-hour figures would place 18 more" is appended when they would.
  std::string reason;
  UnplacedCode code = UnplacedCode::kSeatsTaken;
  std::optional<double> nearestKm;  // nearest unit with a free seat in the class, any distance
  int horizonWouldPlace = 0;        // of these pupils, placed by a plan on the 72 h figures
};

struct PlanTotals {
  // Pupils of grundskola, förskoleklass and every form except fritidshem: a fritidshem child is
  // the same child as in grundskola, so fritidshem places are counted on their own lines.
  std::int64_t pupilsToPlace = 0;
  std::int64_t placed = 0;
  std::int64_t unplaced = 0;
  std::int64_t fritidshemToPlace = 0;
  std::int64_t fritidshemPlaced = 0;
  std::int64_t fritidshemUnplaced = 0;
  double pupilKm = 0.0;          // sum of pupils * km over placements (all forms)
  std::int64_t pieces = 0;       // (sending year group, receiving unit) pairs with pupils
  std::int64_t splitGroups = 0;  // sending year groups placed in more than one piece
  double meanKm = 0.0;           // pupil-weighted mean distance of placed pupils
  double maxKm = 0.0;            // longest placement
};

// How the plan was found.
struct SolverInfo {
  std::string name;                  // e.g. "lemon+cbc"
  double seconds = 0.0;              // wall-clock time of the solve
  bool optimal = true;               // every stage proven optimal
  std::int64_t gapPieces = 0;        // pieces above the proven lower bound (0 when optimal)
  std::int64_t integerPrograms = 0;  // integer programs the plan needed (most need none)
};

// A takeover plan. Placements are ordered by (fromUnit, form, year, toUnit), unplaced rows
// by (fromUnit, form, year); equal input gives byte-identical output (except solver.seconds).
struct Plan {
  std::vector<Placement> placements;
  std::vector<Unplaced> unplaced;
  PlanTotals totals;
  SolverInfo solver;
};

}  // namespace samband::broker
