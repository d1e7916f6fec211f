// Tests of the takeover planner on hand-worked cases: the objective (most placed, then fewest
// pieces, then least pupil-km), headroom, scope, fritidshem totals, reasons for unplaced pupils,
// the time limit and contingency on top of today's situation. The cross-checks against
// independent solvers are in planner_crosscheck_test.cpp.
#include "broker/planning/planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
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

// Every free seat usable: the hand-worked cases below count seats exactly.
PlanOptions allSeats() {
  PlanOptions options;
  options.fill = 1.0;
  return options;
}

Plan planOrFail(const Planner& planner, const std::vector<std::string>& failing,
                const PlanOptions& options = allSeats()) {
  auto result = planner.plan(failing, options);
  if (!result) {
    ADD_FAILURE() << result.error().message;
    return {};
  }
  return *result;
}

Plan planOrFail(const Planner& planner, const PlanScope& scope, const PlanOptions& options) {
  auto result = planner.plan(scope, options);
  if (!result) {
    ADD_FAILURE() << result.error().message;
    return {};
  }
  return *result;
}

double kmForDegrees(double degrees) {
  return std::llround(degrees * 3.14159265358979323846 / 180.0 * kEarthRadiusKm * 1000.0) / 1000.0;
}

std::map<std::string, int> intakeOf(const Plan& plan) {
  std::map<std::string, int> intake;
  for (const Placement& p : plan.placements) intake[p.toUnit] += p.pupils;
  return intake;
}

TEST(Haversine, MatchesKnownDistances) {
  EXPECT_NEAR(haversineKm({0, 0}, {0, 1}), 111.195, 0.001);
  // Stockholm (Sergels torg) to Göteborg (Brunnsparken), about 398 km.
  EXPECT_NEAR(haversineKm({59.3326, 18.0649}, {57.7072, 11.9668}), 398.0, 2.0);
  EXPECT_DOUBLE_EQ(haversineKm({59.0, 18.0}, {59.0, 18.0}), 0.0);
}

TEST(Planner, TheIssuesSmallestCaseUsesThreePieces) {
  // Groups of 15, 15 and 13; five receivers at one address with 27, 29, 26, 37 and 8 seats.
  // Any split costs the same pupil-km, so only the pieces decide: each group goes whole.
  PlanningInput input;
  const std::vector<int> groups{15, 15, 13};
  const std::vector<int> seats{27, 29, 26, 37, 8};
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::string code = "1000000" + std::to_string(g);
    input.units.push_back(unitAt(code, 0.001 * static_cast<double>(g)));
    input.cohorts.push_back(cohort(code, groups[g], 0));
  }
  for (std::size_t r = 0; r < seats.size(); ++r) {
    const std::string code = "1100000" + std::to_string(r);
    input.units.push_back(unitAt(code, 0.05));
    input.cohorts.push_back(cohort(code, 0, seats[r]));
  }
  const Planner planner = makePlanner(input);
  for (double fill : {1.0, 0.95}) {
    PlanOptions options;
    options.fill = fill;
    const Plan plan = planOrFail(planner, {"10000000", "10000001", "10000002"}, options);
    EXPECT_EQ(plan.totals.placed, 43) << fill;
    EXPECT_EQ(plan.totals.pieces, 3) << fill;
    EXPECT_EQ(plan.totals.splitGroups, 0) << fill;
    EXPECT_EQ(plan.placements.size(), 3u) << fill;
    EXPECT_TRUE(plan.solver.optimal) << fill;
    EXPECT_EQ(plan.solver.gapPieces, 0) << fill;
    EXPECT_EQ(plan.solver.name, "lemon+cbc");
    for (const auto& [unit, pupils] : intakeOf(plan)) EXPECT_NE(unit, "11000004") << "8 seats";
  }
}

TEST(Planner, SplitsAGroupExactlyOnceWhenNoReceiverHoldsIt) {
  // 20 pupils; receivers of 12, 12 and 5 seats at one address: 12 + 8 is the only way with two
  // pieces; 5 + ... would need three.
  const Planner planner = makePlanner({{unitAt("20000001", 0.0), unitAt("20000002", 0.02),
                                        unitAt("20000003", 0.02), unitAt("20000004", 0.02)},
                                       {cohort("20000001", 20, 0), cohort("20000002", 0, 12),
                                        cohort("20000003", 0, 12), cohort("20000004", 0, 5)}});
  const Plan plan = planOrFail(planner, {"20000001"});
  EXPECT_EQ(plan.totals.placed, 20);
  EXPECT_EQ(plan.totals.pieces, 2);
  EXPECT_EQ(plan.totals.splitGroups, 1);
  ASSERT_EQ(plan.placements.size(), 2u);
  EXPECT_EQ(intakeOf(plan).count("20000004"), 0u);
}

TEST(Planner, PrefersFewerPiecesOverFewerKilometres) {
  // 10 pupils. Near: two receivers of 5 seats 1 km away; far: one of 10 seats 2 km away.
  // Least pupil-km would split (10 km); fewest pieces sends the group whole (20 km).
  const Planner planner = makePlanner({{unitAt("21000001", 0.0), unitAt("21000002", 0.009),
                                        unitAt("21000003", -0.009), unitAt("21000004", 0.018)},
                                       {cohort("21000001", 10, 0), cohort("21000002", 0, 5),
                                        cohort("21000003", 0, 5), cohort("21000004", 0, 10)}});
  const Plan plan = planOrFail(planner, {"21000001"});
  ASSERT_EQ(plan.placements.size(), 1u);
  EXPECT_EQ(plan.placements[0].toUnit, "21000004");
  EXPECT_EQ(plan.totals.pieces, 1);
  EXPECT_NEAR(plan.totals.pupilKm, 10 * kmForDegrees(0.018), 1e-9);
}

TEST(Planner, PlacesMorePupilsBeforeAnythingElse) {
  // A's nearest receiver (27.8 km) is the only one B can reach, so A goes to its second (28.9
  // km) and both are placed.
  const Planner planner = makePlanner({{unitAt("22000001", 0.0), unitAt("22000002", 0.5),
                                        unitAt("22000003", 0.25), unitAt("22000004", -0.26)},
                                       {cohort("22000001", 5, 0), cohort("22000002", 5, 0),
                                        cohort("22000003", 0, 5), cohort("22000004", 0, 5)}});
  const Plan plan = planOrFail(planner, {"22000001", "22000002"});
  EXPECT_EQ(plan.totals.placed, 10);
  EXPECT_EQ(plan.totals.unplaced, 0);
  ASSERT_EQ(plan.placements.size(), 2u);
  EXPECT_EQ(plan.placements[0].toUnit, "22000004");
  EXPECT_EQ(plan.placements[1].toUnit, "22000003");
}

TEST(Planner, FindsLeastKilometresAmongPlansWithFewestPieces) {
  // A and D fail. Greedy nearest for A takes B, leaving D the far E; the optimum sends A to C
  // and D to B. Every plan here has two pieces.
  const Planner planner =
      makePlanner({{unitAt("23000001", 0.00), unitAt("23000002", 0.01), unitAt("23000003", -0.01),
                    unitAt("23000004", 0.02), unitAt("23000005", 0.05)},
                   {cohort("23000001", 5, 0), cohort("23000002", 0, 5), cohort("23000003", 0, 5),
                    cohort("23000004", 5, 0), cohort("23000005", 0, 5)}});
  const Plan plan = planOrFail(planner, {"23000001", "23000004"});
  ASSERT_EQ(plan.placements.size(), 2u);
  EXPECT_EQ(plan.placements[0].fromUnit, "23000001");
  EXPECT_EQ(plan.placements[0].toUnit, "23000003");
  EXPECT_DOUBLE_EQ(plan.placements[0].km, kmForDegrees(0.01));
  EXPECT_EQ(plan.placements[1].fromUnit, "23000004");
  EXPECT_EQ(plan.placements[1].toUnit, "23000002");
  EXPECT_EQ(plan.totals.pupilsToPlace, 10);
  EXPECT_EQ(plan.totals.placed, 10);
  EXPECT_NEAR(plan.totals.pupilKm, 10 * kmForDegrees(0.01), 1e-9);
  EXPECT_NEAR(plan.totals.meanKm, kmForDegrees(0.01), 1e-9);
  EXPECT_DOUBLE_EQ(plan.totals.maxKm, kmForDegrees(0.01));
}

TEST(Planner, KeepsTheHeadroomOfEveryReceiver) {
  // 30 pupils, one receiver with 20 free seats: at fill 0.95 it takes floor(19.0) = 19, at
  // 0.5 it takes 10, at 1 it takes 20.
  const Planner planner = makePlanner({{unitAt("24000001", 0.0), unitAt("24000002", 0.01)},
                                       {cohort("24000001", 30, 0), cohort("24000002", 0, 20)}});
  for (const auto& [fill, placed] :
       std::vector<std::pair<double, int>>{{0.95, 19}, {0.5, 10}, {1.0, 20}, {0.04, 0}}) {
    PlanOptions options;
    options.fill = fill;
    const Plan plan = planOrFail(planner, {"24000001"}, options);
    EXPECT_EQ(plan.totals.placed, placed) << fill;
    EXPECT_EQ(plan.totals.unplaced, 30 - placed) << fill;
  }
}

TEST(Planner, UnitsThatDoNotReceiveOfferNoSeats) {
  const Planner planner = makePlanner(
      {{unitAt("25000001", 0.0), unitAt("25000002", 0.01), unitAt("25000003", 0.03)},
       {cohort("25000001", 6, 0), cohort("25000002", 0, 10), cohort("25000003", 0, 10)}});
  const Plan open = planOrFail(planner, PlanScope{{"25000001"}, {}}, allSeats());
  EXPECT_EQ(intakeOf(open).at("25000002"), 6);
  const Plan closed = planOrFail(planner, PlanScope{{"25000001"}, {"25000002"}}, allSeats());
  EXPECT_EQ(intakeOf(closed).count("25000002"), 0u);
  EXPECT_EQ(intakeOf(closed).at("25000003"), 6);
  auto unknown = planner.plan(PlanScope{{"25000001"}, {"99999999"}}, allSeats());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("99999999"), std::string::npos);
}

TEST(Planner, CountsFritidshemChildrenApart) {
  // The same children are in grundskola year 3 and in fritidshem: 20 pupils to place, and 15
  // fritidshem places on their own line; both are planned.
  const Planner planner =
      makePlanner({{unitAt("26000001", 0.0), unitAt("26000002", 0.01)},
                   {cohort("26000001", 20, 0), cohort("26000001", 15, 0, 0, "fritidshem", 0),
                    cohort("26000002", 0, 18), cohort("26000002", 0, 40, 40, "fritidshem", 0)}});
  const Plan plan = planOrFail(planner, {"26000001"});
  EXPECT_EQ(plan.totals.pupilsToPlace, 20);
  EXPECT_EQ(plan.totals.placed, 18);
  EXPECT_EQ(plan.totals.unplaced, 2);
  EXPECT_EQ(plan.totals.fritidshemToPlace, 15);
  EXPECT_EQ(plan.totals.fritidshemPlaced, 15);
  EXPECT_EQ(plan.totals.fritidshemUnplaced, 0);
  EXPECT_EQ(plan.totals.pieces, 2);
  EXPECT_NEAR(plan.totals.pupilKm, 33 * kmForDegrees(0.01), 1e-9);
}

TEST(Planner, SaysWhyPupilsStayUnplacedInWordsAndNumbers) {
  // Year 4: the only seats are 34 km away (limit 30). Year 5: no seat anywhere. Year 6: 3
  // seats now within reach, 21 within 72 hours. A unit without coordinates.
  Unit lost = unitAt("27000009", 0.0);
  lost.position.reset();
  const Planner planner = makePlanner(
      {{unitAt("27000001", 0.0), unitAt("27000002", 0.30578), unitAt("27000003", 0.01), lost},
       {cohort("27000001", 10, 0, 0, "grundskola", 4),
        cohort("27000002", 0, 40, 40, "grundskola", 4),
        cohort("27000001", 7, 0, 0, "grundskola", 5), cohort("27000002", 0, 0, 0, "grundskola", 5),
        cohort("27000001", 25, 0, 0, "grundskola", 6),
        cohort("27000003", 0, 3, 21, "grundskola", 6),
        cohort("27000009", 4, 0, 0, "grundskola", 6)}});
  const Plan plan = planOrFail(planner, {"27000001", "27000009"});
  ASSERT_EQ(plan.unplaced.size(), 4u);
  const Unplaced& far = plan.unplaced[0];
  EXPECT_EQ(far.year, 4);
  EXPECT_EQ(far.code, UnplacedCode::kBeyondLimit);
  EXPECT_EQ(std::string(unplacedCodeName(far.code)), "beyond_limit");
  ASSERT_TRUE(far.nearestKm.has_value());
  EXPECT_NEAR(*far.nearestKm, 34.0, 0.01);
  EXPECT_EQ(far.reason, "nearest free seat in grundskola year 4 is 34 km away (limit 30)");
  EXPECT_EQ(far.horizonWouldPlace, 0);
  const Unplaced& none = plan.unplaced[1];
  EXPECT_EQ(none.code, UnplacedCode::kNoSeats);
  EXPECT_EQ(none.reason, "no free seat in grundskola year 5 anywhere");
  EXPECT_FALSE(none.nearestKm.has_value());
  const Unplaced& taken = plan.unplaced[2];
  EXPECT_EQ(taken.year, 6);
  EXPECT_EQ(taken.pupils, 22);
  EXPECT_EQ(taken.code, UnplacedCode::kSeatsTaken);
  EXPECT_EQ(taken.horizonWouldPlace, 18);
  EXPECT_NE(taken.reason.find("; the 72-hour figures would place 18 more"), std::string::npos)
      << taken.reason;
  EXPECT_EQ(taken.reason.find("every free seat in grundskola year 6 within 30 km is taken"), 0u)
      << taken.reason;
  const Unplaced& nowhere = plan.unplaced[3];
  EXPECT_EQ(nowhere.fromUnit, "27000009");
  EXPECT_EQ(nowhere.code, UnplacedCode::kNoCoordinates);
  EXPECT_EQ(nowhere.reason, "sending unit has no coordinates");

  PlanOptions later = allSeats();
  later.horizon = Horizon::kWithin72h;
  const Plan plan72 = planOrFail(planner, {"27000001"}, later);
  EXPECT_EQ(plan72.totals.placed, 21);
  for (const Unplaced& row : plan72.unplaced) EXPECT_EQ(row.horizonWouldPlace, 0);
}

TEST(Planner, RespectsMaxKm) {
  const Planner planner =
      makePlanner({{unitAt("50000001", 0.0), unitAt("50000002", 0.1)},  // 11.1 km apart
                   {cohort("50000001", 3, 0), cohort("50000002", 0, 3)}});
  PlanOptions options = allSeats();
  options.maxKm = 11.0;
  EXPECT_EQ(planOrFail(planner, {"50000001"}, options).totals.placed, 0);
  options.maxKm = 11.2;
  EXPECT_EQ(planOrFail(planner, {"50000001"}, options).totals.placed, 3);
}

TEST(Planner, PlacesOnlyIntoTheSameFormAndYear) {
  const Planner planner =
      makePlanner({{unitAt("70000001", 0.0), unitAt("70000002", 0.01), unitAt("70000003", 0.5)},
                   {cohort("70000001", 4, 0), cohort("70000002", 0, 9, 9, "grundskola", 4),
                    cohort("70000002", 0, 9, 9, "fritidshem", 3), cohort("70000003", 0, 9)}});
  PlanOptions options = allSeats();
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

TEST(Planner, UnitsWithoutCoordinatesNeverReceive) {
  Unit hidden = unitAt("90000003", 0.0);
  hidden.position.reset();
  const Planner planner = makePlanner(
      {{unitAt("90000002", 0.01), hidden}, {cohort("90000002", 2, 0), cohort("90000003", 0, 50)}});
  const Plan plan = planOrFail(planner, {"90000002"});
  EXPECT_TRUE(plan.placements.empty());
  ASSERT_EQ(plan.unplaced.size(), 1u);
  EXPECT_EQ(plan.unplaced[0].code, UnplacedCode::kNoSeats);
}

TEST(Planner, HandlesEmptyInput) {
  const Planner empty = makePlanner({});
  const Plan plan = planOrFail(empty, std::vector<std::string>{});
  EXPECT_TRUE(plan.placements.empty());
  EXPECT_TRUE(plan.unplaced.empty());
  EXPECT_EQ(plan.totals.pupilsToPlace, 0);
  EXPECT_TRUE(plan.solver.optimal);
  auto rows = empty.contingency({});
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
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
  Unit bad = unitAt("12000001", 0);
  bad.position = GeoPoint{91.0, 0.0};
  EXPECT_NE(errorOf({{bad}, {}}).find("lat"), std::string::npos);

  const Planner planner = makePlanner({{unitAt("12000001", 0)}, {cohort("12000001", 1, 0)}});
  auto unknown = planner.plan({"99999999"}, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, common::ErrorKind::invalidInput);
  EXPECT_NE(unknown.error().message.find("99999999"), std::string::npos);
  for (auto change : std::vector<void (*)(PlanOptions&)>{
           [](PlanOptions& o) { o.maxKm = 0.0; }, [](PlanOptions& o) { o.maxKm = std::nan(""); },
           [](PlanOptions& o) { o.fill = 0.0; }, [](PlanOptions& o) { o.fill = 1.01; },
           [](PlanOptions& o) { o.fill = std::nan(""); },
           [](PlanOptions& o) { o.timeLimitMs = 0; }}) {
    PlanOptions options;
    change(options);
    auto plan = planner.plan({"12000001"}, options);
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.error().kind, common::ErrorKind::invalidInput);
    EXPECT_FALSE(planner.contingency(options).ok());
  }
  PlanOptions generous;
  generous.timeLimitMs = std::numeric_limits<std::int64_t>::max();
  EXPECT_TRUE(planner.plan({"12000001"}, generous).ok()) << "a huge limit must not overflow";
}

// A city where one scenario needs integer programs: many groups, scarce seats of 1 to 5.
PlanningInput crowdedCity(unsigned seed, int units) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> lat(59.30, 59.36);
  std::uniform_real_distribution<double> lon(18.00, 18.10);
  std::uniform_int_distribution<int> pupils(8, 24);
  std::uniform_int_distribution<int> seats(0, 6);
  PlanningInput input;
  for (int u = 0; u < units; ++u) {
    const std::string code = std::to_string(28000000 + u);
    input.units.push_back(Unit{code, "Skola", u % 3 == 0 ? "556600-0001" : "556600-0002",
                               u % 2 ? "Öst" : "Väst", GeoPoint{lat(rng), lon(rng)}});
    input.cohorts.push_back(Cohort{code, ClassKey{"grundskola", 1}, pupils(rng), seats(rng), 5});
  }
  return input;
}

TEST(Planner, PastTheTimeLimitReturnsAFeasiblePlanWithItsGap) {
  const PlanningInput input = crowdedCity(4, 300);
  const Planner planner = makePlanner(input);
  std::vector<std::string> failing;
  for (const Unit& u : input.units) {
    if (u.providerId == "556600-0001") failing.push_back(u.code);
  }
  PlanOptions options;
  const Plan full = planOrFail(planner, failing, options);
  ASSERT_TRUE(full.solver.optimal);
  EXPECT_GT(full.solver.integerPrograms, 0) << "the case must need CBC to test the limit";
  options.timeLimitMs = 1;
  const Plan rushed = planOrFail(planner, failing, options);
  EXPECT_EQ(rushed.totals.placed, full.totals.placed) << "stage 1 never stops early";
  EXPECT_GE(rushed.totals.pieces, full.totals.pieces);
  EXPECT_FALSE(rushed.solver.optimal);
  EXPECT_GE(rushed.solver.gapPieces, rushed.totals.pieces - full.totals.pieces);
  std::map<std::string, int> seatsOf;
  for (const Cohort& c : input.cohorts) seatsOf[c.unitCode] = c.seatsNow * 95 / 100;
  for (const auto& [unit, pupils] : intakeOf(rushed)) EXPECT_LE(pupils, seatsOf[unit]) << unit;
}

TEST(Planner, IsDeterministic) {
  const PlanningInput input = crowdedCity(5, 90);
  const Planner planner = makePlanner(input);
  std::vector<std::string> failing;
  for (std::size_t i = 0; i < input.units.size(); i += 3) failing.push_back(input.units[i].code);
  const Plan a = planOrFail(planner, failing, PlanOptions{});
  std::reverse(failing.begin(), failing.end());
  const Plan b = planOrFail(planner, failing, PlanOptions{});
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
  // Provider 222222-0002: two units next to plenty of seats.
  // District Syd holds both of 222222's units and its best receiver.
  const Planner planner =
      makePlanner({{unitAt("15000001", 10.0, "111111-0001", "Norr"),
                    unitAt("15000002", 0.00, "222222-0002", "Syd"),
                    unitAt("15000003", 0.01, "222222-0002", "Syd"),
                    unitAt("15000004", 0.02, "333333-0003", "Syd"),
                    unitAt("15000005", 0.03, "333333-0003", "Väst")},
                   {cohort("15000001", 9, 0), cohort("15000002", 2, 0),
                    cohort("15000003", 3, 0, 0, "forskoleklass", 0), cohort("15000004", 0, 10),
                    cohort("15000005", 0, 1), cohort("15000005", 0, 1, 1, "forskoleklass", 0)}});
  PlanOptions options = allSeats();
  options.maxKm = 20.0;
  for (unsigned threads : {1u, 2u}) {
    auto result = planner.contingency(options, threads);
    ASSERT_TRUE(result.ok());
    const auto& rows = *result;
    ASSERT_EQ(rows.size(), 6u);  // 3 providers + 3 districts
    EXPECT_EQ(rows[0].id, "111111-0001");
    EXPECT_EQ(rows[0].unplaced, 9);
    EXPECT_EQ(rows[0].missingSeatsByForm.at("grundskola"), 9);
    EXPECT_EQ(rows[1].id, "Norr");
    EXPECT_EQ(rows[2].id, "Syd");
    EXPECT_EQ(rows[2].pupilsAffected, 5);
    EXPECT_EQ(rows[2].placed, 2);
    EXPECT_EQ(rows[2].unplaced, 3);
    EXPECT_EQ(rows[2].missingSeatsByForm.at("forskoleklass"), 2);
    EXPECT_EQ(rows[2].missingSeatsByForm.at("grundskola"), 1);
    EXPECT_EQ(rows[3].id, "222222-0002");
    EXPECT_EQ(rows[3].unplaced, 2);
    EXPECT_EQ(rows[3].placed, 3);
    EXPECT_EQ(rows[3].pieces, 2);
    EXPECT_TRUE(rows[3].optimal);
    EXPECT_EQ(rows[4].id, "333333-0003");  // equal unplaced and affected: providers first
    EXPECT_EQ(rows[5].id, "Väst");
  }
}

TEST(Contingency, StartsFromTodaysSituation) {
  // Today 16000004 is closed (baseline failing) and 16000005 is on reduced operation (does
  // not receive). Provider 444444-0004's unit 16000002 fails on top in its scenario.
  const Planner planner =
      makePlanner({{unitAt("16000001", 0.00, "111111-0001", "Norr"),
                    unitAt("16000002", 0.01, "444444-0004", "Norr"),
                    unitAt("16000003", 0.02, "333333-0003", "Syd"),
                    unitAt("16000004", 0.03, "555555-0005", "Syd"),
                    unitAt("16000005", 0.04, "666666-0006", "Syd")},
                   {cohort("16000001", 0, 4), cohort("16000002", 6, 0), cohort("16000003", 0, 3),
                    cohort("16000004", 5, 20), cohort("16000005", 0, 20)}});
  PlanOptions options = allSeats();
  const PlanScope today{{"16000004"}, {"16000005"}};
  auto result = planner.contingency(options, today, 2);
  ASSERT_TRUE(result.ok()) << result.error().message;
  std::map<std::string, ContingencyRow> byId;
  for (const ContingencyRow& row : *result) byId[row.id] = row;
  // The closed school's 20 seats and the reduced school's 20 never count; its 5 pupils are
  // in every row.
  const ContingencyRow& provider = byId.at("444444-0004");
  EXPECT_EQ(provider.pupilsAffected, 11);
  EXPECT_EQ(provider.placed, 7);
  EXPECT_EQ(provider.unplaced, 4);
  const ContingencyRow& nothing = byId.at("666666-0006");
  EXPECT_EQ(nothing.pupilsAffected, 5);
  EXPECT_EQ(nothing.placed, 5);
  // With 16000001 failing too only 16000003's 3 seats are left: the closed school's 20 would
  // have placed all 5.
  EXPECT_EQ(byId.at("111111-0001").placed, 3);
  EXPECT_EQ(byId.at("111111-0001").unplaced, 2);
  for (const ContingencyRow& row : *result) {
    EXPECT_LE(row.placed, 4 + 3) << row.id << ": only the two open schools have seats to give";
    EXPECT_GE(row.pupilsAffected, 5) << row.id << ": today's failing pupils count in every row";
  }
  // Each row equals the takeover plan of its scenario on top of today.
  for (const ContingencyRow& row : *result) {
    PlanScope scope = today;
    for (const std::string code : {"16000001", "16000002", "16000003", "16000004", "16000005"}) {
      const std::string provider = code == std::string("16000001")   ? "111111-0001"
                                   : code == std::string("16000002") ? "444444-0004"
                                   : code == std::string("16000003") ? "333333-0003"
                                   : code == std::string("16000004") ? "555555-0005"
                                                                     : "666666-0006";
      const std::string district =
          code == std::string("16000001") || code == std::string("16000002") ? "Norr" : "Syd";
      if ((row.scope == ContingencyScope::kProvider ? provider : district) == row.id) {
        scope.failing.push_back(code);
      }
    }
    const Plan plan = planOrFail(planner, scope, options);
    EXPECT_EQ(row.pupilsAffected, plan.totals.pupilsToPlace) << row.id;
    EXPECT_EQ(row.placed, plan.totals.placed) << row.id;
    EXPECT_EQ(row.pieces, plan.totals.pieces) << row.id;
    EXPECT_DOUBLE_EQ(row.pupilKm, plan.totals.pupilKm) << row.id;
  }
  auto unknown = planner.contingency(options, PlanScope{{"99999999"}, {}}, 1);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, common::ErrorKind::invalidInput);
}

TEST(Contingency, EveryRowEqualsThePlanOfItsScenario) {
  const PlanningInput input = crowdedCity(6, 60);
  const Planner planner = makePlanner(input);
  PlanOptions options;
  options.maxKm = 2.5;
  auto result = planner.contingency(options, 2);
  ASSERT_TRUE(result.ok());
  const auto& rows = *result;
  EXPECT_EQ(rows.size(), 2u + 2u);
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
    EXPECT_EQ(row.pieces, plan.totals.pieces) << row.id;
    EXPECT_DOUBLE_EQ(row.pupilKm, plan.totals.pupilKm) << row.id;
  }
}

}  // namespace
}  // namespace samband::broker
