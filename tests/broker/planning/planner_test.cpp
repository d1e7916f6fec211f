// Tests of the takeover planner: hand-worked optima, an exhaustive-search cross-check on
// tiny random instances, column generation against the dense network, and contingency.
// Over 500 lines on purpose: the planner's hand-worked optima and its cross-checks share the
// instance builders above them.
#include "broker/planning/planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace samband::broker {
namespace {

// Units on the equator: one degree of longitude is 111.195 km there.
Unit unitAt(const std::string& code, double lon, const std::string& provider = "556677-0001",
            const std::string& district = "Norr") {
  return Unit{code, "Skola " + code, provider, district, GeoPoint{0.0, lon}};
}

Cohort cohort(const std::string& code, int enrolled, int seatsNow, int seatsWithin72h = -1,
              const std::string& form = "grundskola", int year = 3) {
  return Cohort{code, ClassKey{form, year}, enrolled, seatsNow,
                seatsWithin72h < 0 ? seatsNow : seatsWithin72h};
}

Planner makePlanner(PlanningInput input) {
  auto result = Planner::create(std::move(input));
  if (!result) {
    ADD_FAILURE() << result.error().message;
    return std::move(Planner::create({})).value();
  }
  return std::move(result).value();
}

Plan planOrFail(const Planner& planner, const std::vector<std::string>& failing,
                const PlanOptions& options = {}) {
  auto result = planner.plan(failing, options);
  if (!result) {
    ADD_FAILURE() << result.error().message;
    return {};
  }
  return *result;
}

std::int64_t metresBetween(GeoPoint a, GeoPoint b) {
  return std::llround(haversineKm(a, b) * 1000.0);
}

double kmForDegrees(double degrees) {
  return std::llround(degrees * 3.14159265358979323846 / 180.0 * kEarthRadiusKm * 1000.0) / 1000.0;
}

TEST(Haversine, MatchesKnownDistances) {
  EXPECT_NEAR(haversineKm({0, 0}, {0, 1}), 111.195, 0.001);
  // Stockholm (Sergels torg) to Göteborg (Brunnsparken), about 398 km.
  EXPECT_NEAR(haversineKm({59.3326, 18.0649}, {57.7072, 11.9668}), 398.0, 2.0);
  EXPECT_DOUBLE_EQ(haversineKm({59.0, 18.0}, {59.0, 18.0}), 0.0);
}

TEST(Planner, FindsOptimumWhereGreedyNearestFails) {
  // A and D fail. Greedy nearest for A takes B, leaving D the far E (0.04 degrees in all);
  // the optimum sends A to C and D to B (0.02 degrees in all).
  const Planner planner =
      makePlanner({{unitAt("10000001", 0.00), unitAt("10000002", 0.01), unitAt("10000003", -0.01),
                    unitAt("10000004", 0.02), unitAt("10000005", 0.05)},
                   {cohort("10000001", 5, 0), cohort("10000002", 0, 5), cohort("10000003", 0, 5),
                    cohort("10000004", 5, 0), cohort("10000005", 0, 5)}});
  const Plan plan = planOrFail(planner, {"10000001", "10000004"});
  ASSERT_EQ(plan.placements.size(), 2u);
  EXPECT_EQ(plan.placements[0].fromUnit, "10000001");
  EXPECT_EQ(plan.placements[0].toUnit, "10000003");
  EXPECT_EQ(plan.placements[0].pupils, 5);
  EXPECT_EQ(plan.placements[0].form, "grundskola");
  EXPECT_EQ(plan.placements[0].year, 3);
  EXPECT_DOUBLE_EQ(plan.placements[0].km, kmForDegrees(0.01));
  EXPECT_EQ(plan.placements[1].fromUnit, "10000004");
  EXPECT_EQ(plan.placements[1].toUnit, "10000002");
  EXPECT_EQ(plan.placements[1].pupils, 5);
  EXPECT_TRUE(plan.unplaced.empty());
  EXPECT_EQ(plan.totals.pupilsToPlace, 10);
  EXPECT_EQ(plan.totals.placed, 10);
  EXPECT_EQ(plan.totals.unplaced, 0);
  EXPECT_NEAR(plan.totals.pupilKm, 10 * kmForDegrees(0.01), 1e-9);
}

TEST(Planner, SplitsAGroupOnlyWhenSeatsForceIt) {
  // 8 pupils; nearest receiver has 5 seats, next 10: 5 near + 3 further is optimal.
  const Planner planner = makePlanner(
      {{unitAt("20000001", 0.0), unitAt("20000002", 0.01), unitAt("20000003", 0.03)},
       {cohort("20000001", 8, 0), cohort("20000002", 0, 5), cohort("20000003", 0, 10)}});
  const Plan plan = planOrFail(planner, {"20000001"});
  ASSERT_EQ(plan.placements.size(), 2u);
  EXPECT_EQ(plan.placements[0].toUnit, "20000002");
  EXPECT_EQ(plan.placements[0].pupils, 5);
  EXPECT_EQ(plan.placements[1].toUnit, "20000003");
  EXPECT_EQ(plan.placements[1].pupils, 3);
}

TEST(Planner, KeepsYearGroupTogetherAmongEqualCostPlans) {
  // Three receivers in the same building: any split costs the same; the whole group fits
  // in the third, so the plan must use only that one.
  const Planner planner = makePlanner({{unitAt("30000001", 0.0), unitAt("30000002", 0.02),
                                        unitAt("30000003", 0.02), unitAt("30000004", 0.02)},
                                       {cohort("30000001", 10, 0), cohort("30000002", 0, 5),
                                        cohort("30000003", 0, 5), cohort("30000004", 0, 12)}});
  for (ArcSelection arcs : {ArcSelection::kColumnGeneration, ArcSelection::kDense}) {
    PlanOptions options;
    options.arcs = arcs;
    const Plan plan = planOrFail(planner, {"30000001"}, options);
    ASSERT_EQ(plan.placements.size(), 1u);
    EXPECT_EQ(plan.placements[0].toUnit, "30000004");
    EXPECT_EQ(plan.placements[0].pupils, 10);
  }
}

TEST(Planner, KeepsGroupTogetherWhenTheWholeFitReceiverIsNotAmongTheFirstCandidates) {
  // Eight small receivers come first in distance order (ties by code) and already hold the
  // group; the big one at the same spot is only found by pricing (zero reduced cost).
  PlanningInput input;
  input.units.push_back(unitAt("31000000", 0.0));
  input.cohorts.push_back(cohort("31000000", 10, 0));
  for (int i = 1; i <= 8; ++i) {
    const std::string code = "3100000" + std::to_string(i);
    input.units.push_back(unitAt(code, 0.01));
    input.cohorts.push_back(cohort(code, 0, 2));
  }
  input.units.push_back(unitAt("31000009", 0.01));
  input.cohorts.push_back(cohort("31000009", 0, 10));
  const Planner planner = makePlanner(input);
  const Plan plan = planOrFail(planner, {"31000000"});
  ASSERT_EQ(plan.placements.size(), 1u);
  EXPECT_EQ(plan.placements[0].toUnit, "31000009");
  EXPECT_EQ(plan.placements[0].pupils, 10);
  EXPECT_NEAR(plan.totals.pupilKm, 10 * kmForDegrees(0.01), 1e-9);
}

TEST(Planner, ReportsPupilsWithoutSeatsInsteadOfDroppingThem) {
  const Planner planner =
      makePlanner({{unitAt("40000001", 0.0), unitAt("40000002", 0.01), unitAt("40000003", 1.0)},
                   {cohort("40000001", 9, 0), cohort("40000002", 0, 4), cohort("40000003", 0, 50),
                    cohort("40000001", 6, 0, 0, "forskoleklass", 0)}});
  PlanOptions options;
  options.maxKm = 50.0;  // the unit one degree away (111 km) is out of reach
  const Plan plan = planOrFail(planner, {"40000001"}, options);
  ASSERT_EQ(plan.placements.size(), 1u);
  EXPECT_EQ(plan.placements[0].toUnit, "40000002");
  EXPECT_EQ(plan.placements[0].pupils, 4);
  ASSERT_EQ(plan.unplaced.size(), 2u);
  EXPECT_EQ(plan.unplaced[0].form, "forskoleklass");
  EXPECT_EQ(plan.unplaced[0].pupils, 6);
  EXPECT_EQ(plan.unplaced[0].reason, kReasonNoSeatsInReach);
  EXPECT_EQ(plan.unplaced[1].form, "grundskola");
  EXPECT_EQ(plan.unplaced[1].pupils, 5);
  EXPECT_EQ(plan.unplaced[1].reason, kReasonSeatsTaken);
  EXPECT_EQ(plan.totals.pupilsToPlace, 15);
  EXPECT_EQ(plan.totals.placed, 4);
  EXPECT_EQ(plan.totals.unplaced, 11);
}

TEST(Planner, RespectsMaxKm) {
  const Planner planner =
      makePlanner({{unitAt("50000001", 0.0), unitAt("50000002", 0.1)},  // 11.1 km apart
                   {cohort("50000001", 3, 0), cohort("50000002", 0, 3)}});
  PlanOptions options;
  options.maxKm = 11.0;
  EXPECT_EQ(planOrFail(planner, {"50000001"}, options).totals.placed, 0);
  options.maxKm = 11.2;
  EXPECT_EQ(planOrFail(planner, {"50000001"}, options).totals.placed, 3);
}

TEST(Planner, UsesTheSeatFigureOfTheChosenHorizon) {
  const Planner planner = makePlanner({{unitAt("60000001", 0.0), unitAt("60000002", 0.01)},
                                       {cohort("60000001", 7, 0), cohort("60000002", 0, 2, 7)}});
  PlanOptions options;
  options.horizon = Horizon::kNow;
  EXPECT_EQ(planOrFail(planner, {"60000001"}, options).totals.placed, 2);
  options.horizon = Horizon::kWithin72h;
  EXPECT_EQ(planOrFail(planner, {"60000001"}, options).totals.placed, 7);
}

TEST(Planner, PlacesOnlyIntoTheSameFormAndYear) {
  const Planner planner =
      makePlanner({{unitAt("70000001", 0.0), unitAt("70000002", 0.01), unitAt("70000003", 0.5)},
                   {cohort("70000001", 4, 0), cohort("70000002", 0, 9, 9, "grundskola", 4),
                    cohort("70000002", 0, 9, 9, "fritidshem", 3), cohort("70000003", 0, 9)}});
  PlanOptions options;
  options.maxKm = 100.0;
  const Plan plan = planOrFail(planner, {"70000001"}, options);
  ASSERT_EQ(plan.placements.size(), 1u);
  EXPECT_EQ(plan.placements[0].toUnit, "70000003");
}

TEST(Planner, FailingUnitsOfferNoSeats) {
  const Planner planner = makePlanner(
      {{unitAt("80000001", 0.0), unitAt("80000002", 0.01), unitAt("80000003", 0.05)},
       {cohort("80000001", 3, 0), cohort("80000002", 1, 10), cohort("80000003", 0, 10)}});
  const Plan plan = planOrFail(planner, {"80000001", "80000002"});
  ASSERT_EQ(plan.placements.size(), 2u);
  for (const Placement& p : plan.placements) EXPECT_EQ(p.toUnit, "80000003");
  EXPECT_EQ(plan.totals.placed, 4);
}

TEST(Planner, UnitsWithoutCoordinatesAreReportedAndNeverReceive) {
  Unit lost = unitAt("90000001", 0.0);
  lost.position.reset();
  Unit hidden = unitAt("90000003", 0.0);
  hidden.position.reset();
  const Planner planner =
      makePlanner({{lost, unitAt("90000002", 0.01), hidden, unitAt("90000004", 0.02)},
                   {cohort("90000001", 5, 0), cohort("90000002", 2, 0), cohort("90000003", 0, 50),
                    cohort("90000004", 0, 0)}});
  const Plan plan = planOrFail(planner, {"90000001", "90000002"});
  EXPECT_TRUE(plan.placements.empty());
  ASSERT_EQ(plan.unplaced.size(), 2u);
  EXPECT_EQ(plan.unplaced[0].reason, kReasonNoCoordinates);
  EXPECT_EQ(plan.unplaced[0].pupils, 5);
  EXPECT_EQ(plan.unplaced[1].reason, kReasonNoSeatsInReach);
  EXPECT_EQ(plan.totals.unplaced, 7);
}

TEST(Planner, HandlesEmptyInputAndZeroSeats) {
  const Planner empty = makePlanner({});
  const Plan plan = planOrFail(empty, {});
  EXPECT_TRUE(plan.placements.empty());
  EXPECT_TRUE(plan.unplaced.empty());
  EXPECT_EQ(plan.totals.pupilsToPlace, 0);
  auto rows = empty.contingency({});
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());

  const Planner noSeats = makePlanner({{unitAt("11000001", 0.0), unitAt("11000002", 0.01)},
                                       {cohort("11000001", 3, 0), cohort("11000002", 0, 0)}});
  const Plan none = planOrFail(noSeats, {"11000001"});
  EXPECT_EQ(none.totals.unplaced, 3);
  EXPECT_EQ(none.unplaced.at(0).reason, kReasonNoSeatsInReach);
}

TEST(Planner, RejectsInvalidInput) {
  const auto errorOf = [](PlanningInput input) {
    auto result = Planner::create(std::move(input));
    if (result) return std::string();
    EXPECT_EQ(result.error().kind, common::ErrorKind::invalidInput);
    return result.error().message;
  };
  EXPECT_NE(errorOf({{unitAt("12000001", 0)}, {cohort("12000001", -1, 0)}}).find("enrolled"),
            std::string::npos);
  EXPECT_NE(errorOf({{unitAt("12000001", 0)}, {cohort("12000001", 1, -2)}}).find("seatsNow"),
            std::string::npos);
  EXPECT_NE(errorOf({{unitAt("12000001", 0)}, {Cohort{"12000001", {"grundskola", 3}, 1, 0, -3}}})
                .find("seatsWithin72h"),
            std::string::npos);
  EXPECT_NE(errorOf({{unitAt("12000001", 0)}, {cohort("12000001", 1, 0, 0, "grundskola", -1)}})
                .find("year"),
            std::string::npos);
  EXPECT_NE(errorOf({{unitAt("12000001", 0), unitAt("12000001", 1)}, {}}).find("more than once"),
            std::string::npos);
  EXPECT_NE(errorOf({{unitAt("12000001", 0)}, {cohort("12000009", 1, 0)}}).find("unknown unit"),
            std::string::npos);
  EXPECT_NE(errorOf({{unitAt("12000001", 0)}, {cohort("12000001", 1, 0), cohort("12000001", 2, 0)}})
                .find("more than once"),
            std::string::npos);
  Unit bad = unitAt("12000001", 0);
  bad.position = GeoPoint{91.0, 0.0};
  EXPECT_NE(errorOf({{bad}, {}}).find("lat"), std::string::npos);
  bad.position = GeoPoint{0.0, std::nan("")};
  EXPECT_NE(errorOf({{bad}, {}}).find("lon"), std::string::npos);

  const Planner planner = makePlanner({{unitAt("12000001", 0)}, {cohort("12000001", 1, 0)}});
  auto unknown = planner.plan({"99999999"}, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, common::ErrorKind::invalidInput);
  EXPECT_NE(unknown.error().message.find("99999999"), std::string::npos);
  PlanOptions options;
  options.maxKm = 0.0;
  EXPECT_FALSE(planner.plan({"12000001"}, options).ok());
  options.maxKm = std::nan("");
  EXPECT_FALSE(planner.contingency(options).ok());
}

// --- Cross-check against exhaustive search on tiny random instances ---------------------

struct TinyInstance {
  PlanningInput input;
  std::vector<std::string> failing;
};

// Units on a small patch around Stockholm; some fail; one or two classes.
TinyInstance randomTiny(std::mt19937& rng) {
  std::uniform_real_distribution<double> lat(59.30, 59.40);
  std::uniform_real_distribution<double> lon(17.95, 18.15);
  std::uniform_int_distribution<int> small(0, 4);
  TinyInstance t;
  const int sources = 1 + static_cast<int>(rng() % 3);
  const int sinks = 1 + static_cast<int>(rng() % 3);
  const int classes = 1 + static_cast<int>(rng() % 2);
  for (int u = 0; u < sources + sinks; ++u) {
    const std::string code = std::to_string(13000000 + u);
    t.input.units.push_back(
        Unit{code, "Skola", "556677-0001", "Norr", GeoPoint{lat(rng), lon(rng)}});
    if (u < sources) t.failing.push_back(code);
    for (int c = 0; c < classes; ++c) {
      if (rng() % 5 == 0) continue;  // not every unit teaches every class
      const int seats = small(rng);
      t.input.cohorts.push_back(
          Cohort{code, ClassKey{"grundskola", c + 1}, small(rng), seats, seats + small(rng)});
    }
  }
  return t;
}

struct Optimum {
  std::int64_t placed = -1;
  std::int64_t metres = 0;
};

// Lexicographic optimum (most pupils placed, then fewest pupil-metres) by enumerating every
// integer assignment of every sending unit's pupils to receivers or to "unplaced".
Optimum exhaustive(const TinyInstance& t, const PlanOptions& options) {
  std::map<std::string, GeoPoint> where;
  for (const Unit& u : t.input.units) where[u.code] = *u.position;
  const std::set<std::string> failing(t.failing.begin(), t.failing.end());
  std::map<int, std::vector<const Cohort*>> byYear;
  for (const Cohort& c : t.input.cohorts) byYear[c.key.year].push_back(&c);

  Optimum total{0, 0};
  for (const auto& [year, cohorts] : byYear) {
    std::vector<int> supply;
    std::vector<GeoPoint> from;
    std::vector<int> capacity;
    std::vector<GeoPoint> to;
    for (const Cohort* c : cohorts) {
      if (failing.count(c->unitCode)) {
        supply.push_back(c->enrolled);
        from.push_back(where[c->unitCode]);
      } else {
        capacity.push_back(options.horizon == Horizon::kNow ? c->seatsNow : c->seatsWithin72h);
        to.push_back(where[c->unitCode]);
      }
    }
    Optimum best;
    std::vector<int> left = capacity;
    std::function<void(std::size_t, std::size_t, int, std::int64_t, std::int64_t)> go =
        [&](std::size_t i, std::size_t j, int remaining, std::int64_t placed, std::int64_t metres) {
          if (i == supply.size()) {
            if (placed > best.placed || (placed == best.placed && metres < best.metres)) {
              best = {placed, metres};
            }
            return;
          }
          if (j == to.size()) {  // whatever remains of source i is unplaced
            go(i + 1, 0, i + 1 < supply.size() ? supply[i + 1] : 0, placed, metres);
            return;
          }
          const bool reachable = haversineKm(from[i], to[j]) <= options.maxKm;
          const int most = reachable ? std::min(remaining, left[j]) : 0;
          const std::int64_t d = metresBetween(from[i], to[j]);
          for (int x = 0; x <= most; ++x) {
            left[j] -= x;
            go(i, j + 1, remaining - x, placed + x, metres + x * d);
            left[j] += x;
          }
        };
    go(0, 0, supply.empty() ? 0 : supply[0], 0, 0);
    total.placed += best.placed;
    total.metres += best.metres;
  }
  return total;
}

// Checks a plan against the rules every plan must keep; returns its pupil-metres.
std::int64_t checkFeasible(const TinyInstance& t, const Plan& plan, const PlanOptions& options) {
  std::map<std::pair<std::string, int>, const Cohort*> cohortOf;
  for (const Cohort& c : t.input.cohorts) cohortOf[{c.unitCode, c.key.year}] = &c;
  std::map<std::string, GeoPoint> where;
  for (const Unit& u : t.input.units) where[u.code] = *u.position;
  const std::set<std::string> failing(t.failing.begin(), t.failing.end());
  std::map<std::pair<std::string, int>, int> received;
  std::map<std::pair<std::string, int>, int> sent;
  std::int64_t metres = 0;
  for (const Placement& p : plan.placements) {
    EXPECT_TRUE(failing.count(p.fromUnit));
    EXPECT_FALSE(failing.count(p.toUnit));
    EXPECT_GT(p.pupils, 0);
    EXPECT_TRUE(cohortOf.count({p.toUnit, p.year})) << "placed into a class the unit lacks";
    EXPECT_LE(haversineKm(where[p.fromUnit], where[p.toUnit]), options.maxKm);
    received[{p.toUnit, p.year}] += p.pupils;
    sent[{p.fromUnit, p.year}] += p.pupils;
    metres += p.pupils * metresBetween(where[p.fromUnit], where[p.toUnit]);
  }
  for (const Unplaced& u : plan.unplaced) sent[{u.fromUnit, u.year}] += u.pupils;
  for (const auto& [key, pupils] : received) {
    const Cohort* c = cohortOf[key];
    EXPECT_LE(pupils, options.horizon == Horizon::kNow ? c->seatsNow : c->seatsWithin72h)
        << "seats over capacity at " << key.first;
  }
  for (const Cohort& c : t.input.cohorts) {
    if (failing.count(c.unitCode)) {
      const int expected = c.enrolled;
      EXPECT_EQ((sent[{c.unitCode, c.key.year}]), expected) << "pupils lost or invented";
    }
  }
  return metres;
}

TEST(Planner, MatchesExhaustiveSearchOnTinyRandomInstances) {
  std::mt19937 rng(20240917);
  for (int round = 0; round < 300; ++round) {
    const TinyInstance t = randomTiny(rng);
    const Planner planner = makePlanner(t.input);
    PlanOptions options;
    options.maxKm = round % 3 == 0 ? 4.0 : 30.0;
    options.horizon = round % 2 == 0 ? Horizon::kNow : Horizon::kWithin72h;
    const Plan plan = planOrFail(planner, t.failing, options);
    const Optimum best = exhaustive(t, options);
    EXPECT_EQ(plan.totals.placed, best.placed) << "round " << round;
    const std::int64_t metres = checkFeasible(t, plan, options);
    EXPECT_EQ(metres, best.metres) << "round " << round;
    EXPECT_NEAR(plan.totals.pupilKm, best.metres / 1000.0, 1e-6) << "round " << round;
    EXPECT_EQ(plan.totals.placed + plan.totals.unplaced, plan.totals.pupilsToPlace);
  }
}

// --- Column generation against the dense network -----------------------------------------

PlanningInput randomCity(std::mt19937& rng, int units, int providers, int years) {
  std::uniform_real_distribution<double> lat(59.20, 59.45);
  std::uniform_real_distribution<double> lon(17.80, 18.30);
  std::uniform_int_distribution<int> pupils(0, 28);
  std::uniform_int_distribution<int> seats(0, 6);
  PlanningInput input;
  for (int u = 0; u < units; ++u) {
    const std::string code = std::to_string(14000000 + u);
    const std::string provider = "5566" + std::to_string(10 + u % providers) + "-0001";
    const std::string district = "D" + std::to_string(u % 7);
    input.units.push_back(Unit{code, "Skola", provider, district, GeoPoint{lat(rng), lon(rng)}});
    if (u % 31 == 30) input.units.back().position.reset();  // unknown position
    if (u % 13 == 12 && input.units[u - 1].position) {      // same building: ties in cost
      input.units.back().position = input.units[u - 1].position;
    }
    for (int y = 1; y <= years; ++y) {
      const int now = seats(rng);
      input.cohorts.push_back(
          Cohort{code, ClassKey{"grundskola", y}, pupils(rng), now, now + seats(rng)});
    }
  }
  return input;
}

TEST(Planner, ColumnGenerationCostEqualsDenseNetworkCost) {
  std::mt19937 rng(7);
  for (int round = 0; round < 18; ++round) {
    const PlanningInput input = randomCity(rng, 250, 60, 3);
    const Planner planner = makePlanner(input);
    // Scattered failures, or a whole district at once (many units competing for seats).
    const std::string district = round % 3 == 0 ? "D" + std::to_string(round % 7) : "";
    std::vector<std::string> failing;
    for (const Unit& u : input.units) {
      if (district.empty() ? rng() % 8 == 0 : u.district == district) failing.push_back(u.code);
    }
    PlanOptions options;
    options.maxKm =
        std::vector<double>{3.0, 8.0, 40.0, std::numeric_limits<double>::infinity()}[round % 4];
    options.horizon = round % 2 ? Horizon::kNow : Horizon::kWithin72h;
    options.arcs = ArcSelection::kColumnGeneration;
    const Plan sparse = planOrFail(planner, failing, options);
    options.arcs = ArcSelection::kDense;
    const Plan dense = planOrFail(planner, failing, options);
    EXPECT_EQ(sparse.totals.placed, dense.totals.placed) << "round " << round;
    EXPECT_EQ(sparse.totals.pupilKm, dense.totals.pupilKm) << "round " << round;
    EXPECT_EQ(sparse.totals.pupilsToPlace, dense.totals.pupilsToPlace);
    EXPECT_GT(sparse.totals.placed, 0);
  }
}

TEST(Planner, SendersAndReceiversOfAClassFormAForest) {
  // Basic solutions: no two sending units share two receivers (no cycle of splits).
  std::mt19937 rng(11);
  for (int round = 0; round < 6; ++round) {
    const PlanningInput input = randomCity(rng, 200, 50, 2);
    const Planner planner = makePlanner(input);
    std::vector<std::string> failing;
    for (const Unit& u : input.units) {
      if (rng() % 5 == 0) failing.push_back(u.code);
    }
    const Plan plan = planOrFail(planner, failing);
    std::map<std::string, std::string> parent;
    std::function<std::string(const std::string&)> find = [&](const std::string& x) {
      auto it = parent.find(x);
      if (it == parent.end() || it->second == x) return x;
      return it->second = find(it->second);
    };
    for (const Placement& p : plan.placements) {
      const std::string a = find(p.fromUnit + "/" + std::to_string(p.year));
      const std::string b = find("to:" + p.toUnit + "/" + std::to_string(p.year));
      EXPECT_NE(a, b) << "cycle through " << p.fromUnit << " -> " << p.toUnit;
      parent[a] = b;
    }
  }
}

TEST(Planner, IsDeterministic) {
  std::mt19937 rng(3);
  const PlanningInput input = randomCity(rng, 150, 40, 2);
  const Planner planner = makePlanner(input);
  std::vector<std::string> failing;
  for (std::size_t i = 0; i < input.units.size(); i += 6) failing.push_back(input.units[i].code);
  const Plan a = planOrFail(planner, failing);
  std::reverse(failing.begin(), failing.end());
  const Plan b = planOrFail(planner, failing);
  ASSERT_EQ(a.placements.size(), b.placements.size());
  for (std::size_t i = 0; i < a.placements.size(); ++i) {
    EXPECT_EQ(a.placements[i].fromUnit, b.placements[i].fromUnit);
    EXPECT_EQ(a.placements[i].toUnit, b.placements[i].toUnit);
    EXPECT_EQ(a.placements[i].pupils, b.placements[i].pupils);
  }
  EXPECT_TRUE(std::is_sorted(a.placements.begin(), a.placements.end(),
                             [](const Placement& x, const Placement& y) {
                               return std::tie(x.fromUnit, x.form, x.year, x.toUnit) <
                                      std::tie(y.fromUnit, y.form, y.year, y.toUnit);
                             }));
}

// --- Contingency --------------------------------------------------------------------------

TEST(Contingency, RanksScenariosByUnplacedPupils) {
  // Provider 111111-0001: one unit far from everything (all 9 unplaced).
  // Provider 222222-0002: two units next to plenty of seats (none unplaced).
  // District Syd holds both of 222222's units and its best receiver: 3 unplaced when it
  // fails, against 2 when 222222 fails alone.
  const Planner planner =
      makePlanner({{unitAt("15000001", 10.0, "111111-0001", "Norr"),
                    unitAt("15000002", 0.00, "222222-0002", "Syd"),
                    unitAt("15000003", 0.01, "222222-0002", "Syd"),
                    unitAt("15000004", 0.02, "333333-0003", "Syd"),
                    unitAt("15000005", 0.03, "333333-0003", "Väst")},
                   {cohort("15000001", 9, 0), cohort("15000002", 2, 0),
                    cohort("15000003", 3, 0, 0, "forskoleklass", 0), cohort("15000004", 0, 10),
                    cohort("15000005", 0, 1), cohort("15000005", 0, 1, 1, "forskoleklass", 0)}});
  PlanOptions options;
  options.maxKm = 20.0;
  for (unsigned threads : {1u, 2u}) {
    auto result = planner.contingency(options, threads);
    ASSERT_TRUE(result.ok());
    const auto& rows = *result;
    ASSERT_EQ(rows.size(), 6u);  // 3 providers + 3 districts
    EXPECT_EQ(rows[0].scope, ContingencyScope::kProvider);
    EXPECT_EQ(rows[0].id, "111111-0001");
    EXPECT_EQ(rows[0].unplaced, 9);
    EXPECT_EQ(rows[0].missingSeatsByForm.at("grundskola"), 9);
    EXPECT_EQ(rows[1].scope, ContingencyScope::kDistrict);
    EXPECT_EQ(rows[1].id, "Norr");
    EXPECT_EQ(rows[1].unplaced, 9);
    EXPECT_EQ(std::string(scopeName(rows[2].scope)), "district");
    EXPECT_EQ(rows[2].id, "Syd");
    EXPECT_EQ(rows[2].pupilsAffected, 5);
    EXPECT_EQ(rows[2].placed, 2);
    EXPECT_EQ(rows[2].unplaced, 3);
    EXPECT_EQ(rows[2].missingSeatsByForm.size(), 2u);
    EXPECT_EQ(rows[2].missingSeatsByForm.at("forskoleklass"), 2);
    EXPECT_EQ(rows[2].missingSeatsByForm.at("grundskola"), 1);
    EXPECT_EQ(rows[3].id, "222222-0002");
    EXPECT_EQ(rows[3].unplaced, 2);
    EXPECT_EQ(rows[3].placed, 3);
    EXPECT_NEAR(rows[3].pupilKm, 3 * kmForDegrees(0.02), 1e-9);
    EXPECT_EQ(rows[4].unplaced, 0);
    EXPECT_EQ(rows[5].unplaced, 0);
    EXPECT_EQ(rows[4].id, "333333-0003");  // equal unplaced and affected: providers first
    EXPECT_EQ(rows[5].id, "Väst");
  }
}

TEST(Contingency, EveryRowEqualsThePlanOfItsScenario) {
  std::mt19937 rng(5);
  const PlanningInput input = randomCity(rng, 120, 30, 2);
  const Planner planner = makePlanner(input);
  PlanOptions options;
  options.maxKm = 6.0;
  auto result = planner.contingency(options, 2);
  ASSERT_TRUE(result.ok());
  const auto& rows = *result;
  EXPECT_EQ(rows.size(), 30u + 7u);
  for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_GE(rows[i - 1].unplaced, rows[i].unplaced);
  for (const ContingencyRow& row : rows) {
    std::vector<std::string> failing;
    for (const Unit& u : input.units) {
      if ((row.scope == ContingencyScope::kProvider ? u.providerId : u.district) == row.id) {
        failing.push_back(u.code);
      }
    }
    const Plan plan = planOrFail(planner, failing, options);
    EXPECT_EQ(row.pupilsAffected, plan.totals.pupilsToPlace) << row.id;
    EXPECT_EQ(row.placed, plan.totals.placed) << row.id;
    EXPECT_EQ(row.unplaced, plan.totals.unplaced) << row.id;
    EXPECT_DOUBLE_EQ(row.pupilKm, plan.totals.pupilKm) << row.id;
  }
}

}  // namespace
}  // namespace samband::broker
