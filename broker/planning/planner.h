// Takeover planning: places the pupils of failing school units into free seats of running
// units (same school form and year) at minimum total pupil-kilometres, and runs the same plan
// for every provider and every district failing (N-1 contingency). Pure: no I/O, no database.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace samband::broker {

// Mean Earth radius (IUGG) used for all great-circle distances.
inline constexpr double kEarthRadiusKm = 6371.0088;

// Reasons given for pupils that cannot be placed.
inline constexpr const char* kReasonNoCoordinates = "sending unit has no coordinates";
inline constexpr const char* kReasonNoSeatsInReach = "no seats within max-km";
inline constexpr const char* kReasonSeatsTaken = "not enough seats within max-km";

// An expected failure: invalid input or options. `message` says what to fix.
struct PlanError {
  std::string message;
};

// Either a value or the reason it could not be produced.
template <typename T>
using PlanResult = std::variant<T, PlanError>;

// A WGS84 position in decimal degrees.
struct GeoPoint {
  double lat = 0.0;
  double lon = 0.0;
};

// Great-circle distance in kilometres (haversine formula, kEarthRadiusKm).
double haversineKm(GeoPoint a, GeoPoint b);

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

// Validated input plus spatial indexes; defined in planner.cpp.
struct PlannerIndex;

class Planner {
 public:
  // Validates `input` and builds the spatial indexes. Errors (with what to fix): empty or
  // duplicate unit codes, coordinates out of range, cohorts of unknown units, duplicate
  // (unit, form, year) cohorts, negative counts or years.
  [[nodiscard]] static PlanResult<Planner> create(PlanningInput input);

  Planner(Planner&&) noexcept;
  Planner& operator=(Planner&&) noexcept;
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;
  ~Planner();

  // Plans the takeover of every pupil of `failingUnitCodes` (duplicates ignored). Failing
  // units offer no seats. The plan has minimum total pupil-km among the plans that place the
  // most pupils; among those it prefers keeping a year group together (docs/planning.md).
  // Errors: unknown unit code, maxKm not > 0. Thread-safe: may run concurrently on one
  // Planner.
  [[nodiscard]] PlanResult<Plan> plan(const std::vector<std::string>& failingUnitCodes,
                                      const PlanOptions& options) const;

  // Runs plan() for every provider failing alone (all its units) and for every non-empty
  // district failing at once, on `threads` threads (0 = hardware concurrency). Rows are
  // ranked by unplaced desc, then pupilsAffected desc, then scope (provider first), then id.
  // Errors: as plan() for options.
  [[nodiscard]] PlanResult<std::vector<ContingencyRow>> contingency(const PlanOptions& options,
                                                                    unsigned threads = 0) const;

  // Number of units and of distinct classes known to the planner.
  std::size_t unitCount() const;
  std::size_t classCount() const;

 private:
  explicit Planner(std::unique_ptr<PlannerIndex> index);

  std::unique_ptr<PlannerIndex> index_;
};

}  // namespace samband::broker
