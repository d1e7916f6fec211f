// What a plan covers (selectUnits: long closures planned, short ones and those without a date
// listed apart, only fresh normal units receive) and what its renderings say (per receiving unit,
// per sending year group, figure sources and ages, unknown enrolment, totals, solver), on a plan
// written by hand so the renderers are tested apart from the solver.
#include "broker/planning/planning_data.h"

#include <gtest/gtest.h>

#include <string>

namespace samband::broker {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1'795'000'000'000;  // 2026-11-18T08:53:20Z
constexpr int64_t kHour = 3'600'000;
const common::CivilDate kToday{2026, 11, 18};

std::string day(int fromToday) {
  return common::formatCivilDate(common::civilFromDays(common::daysFromCivil(kToday) + fromToday));
}

void addUnit(PlanningData& d, const std::string& code, const std::string& name,
             const std::string& provider) {
  Unit u;
  u.code = code;
  u.name = name;
  u.providerId = provider;
  u.district = "Norr";
  u.position = GeoPoint{59.3 + (code.back() - '0') * 0.001, 18.0};
  d.input.units.push_back(u);
  d.unitNames[code] = name;
  d.unitProviders[code] = provider;
  d.unitsByProvider[provider].push_back(code);
}

void situation(PlanningData& d, const std::string& code, const std::string& operational,
               int64_t ageMs = kHour, int closedForDays = -1) {
  UnitSituation s;
  s.operational = operational;
  s.reportAgeMs = ageMs;
  if (closedForDays >= 0) {
    s.closedUntil = common::civilFromDays(common::daysFromCivil(kToday) + closedForDays);
  }
  s.pupilsEnrolledReported = 240;
  if (operational == "closed") d.closedUnits.insert(code);
  d.situations[code] = s;
}

void cohort(PlanningData& d, const std::string& code, const std::string& form, int year,
            int enrolled, int seatsNow, int seats72h, bool imported, int64_t atMs) {
  d.input.cohorts.push_back({code, {form, year}, enrolled, seatsNow, seats72h});
  d.unitsWithCapacity.insert(code);
  d.figureOrigins[{code, form, year}] = {imported, atMs};
}

// Alfa (A) has closed units; Beta (B) has units in every state; Gamma (C) cannot continue.
PlanningData city() {
  PlanningData d;
  d.nowMs = kNow;
  d.today = kToday;
  d.providerNames = {{"556677-0001", "Alfa Skolor AB"},
                     {"556677-0002", "Beta Friskolor"},
                     {"556677-0003", "Gamma Utbildning"}};
  d.dutyContacts = {{"556677-0002", "IT-jour 08-123 456 78"}};
  addUnit(d, "10000001", "Ekskolan", "556677-0001");
  addUnit(d, "10000002", "Askskolan", "556677-0001");
  addUnit(d, "10000003", "Aspskolan", "556677-0001");
  addUnit(d, "20000001", "Björkskolan", "556677-0002");
  addUnit(d, "20000002", "Lindskolan", "556677-0002");
  addUnit(d, "20000003", "Almskolan", "556677-0002");
  addUnit(d, "20000004", "Granskolan", "556677-0002");
  addUnit(d, "20000005", "Tallskolan", "556677-0002");
  addUnit(d, "20000007", "Lönnskolan", "556677-0002");
  addUnit(d, "30000001", "Hasselskolan", "556677-0003");
  situation(d, "10000001", "closed", kHour, 10);  // a fire: closed beyond the horizon
  situation(d, "10000002", "closed", kHour, 1);   // a storm: back the day after tomorrow
  situation(d, "10000003", "closed");             // closed, no date given
  situation(d, "20000001", "normal");
  situation(d, "20000002", "reduced");
  situation(d, "20000003", "normal", 4 * 24 * kHour);  // older than the horizon
  // 20000004 never reported.
  situation(d, "20000005", "remote");
  situation(d, "20000007", "normal");
  situation(d, "30000001", "normal");
  for (const auto& code : d.unitsByProvider["556677-0003"]) d.cannotContinueUnits.insert(code);
  cohort(d, "10000001", "grundskola", 4, 30, 0, 0, false, kNow - 2 * kHour);
  cohort(d, "10000001", "grundskola", 5, 5, 0, 0, false, kNow - 2 * kHour);
  cohort(d, "10000001", "fritidshem", 0, 12, 0, 0, true, kNow - 3 * 24 * kHour);
  cohort(d, "20000001", "grundskola", 4, 28, 25, 25, true, kNow - 3 * 24 * kHour);
  cohort(d, "20000007", "grundskola", 4, 26, 12, 14, false, kNow - 30 * 60'000);
  cohort(d, "20000001", "fritidshem", 0, 40, 20, 20, false, kNow - kHour);
  return d;
}

bool hasText(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SelectUnits, PlansLongClosuresAndListsShortOnesAndThoseWithoutADate) {
  const PlanningData d = city();
  PlanSelection s = selectUnits(d, {}, ScopeRules{});
  EXPECT_EQ(common::formatCivilDate(s.horizonEnd), day(3));
  ASSERT_EQ(s.failing.size(), 2u);
  EXPECT_EQ(s.failing[0].code, "10000001");
  EXPECT_TRUE(s.failing[0].closedBeyondHorizon);
  EXPECT_FALSE(s.failing[0].unknownEnrolment);
  EXPECT_EQ(s.failing[1].code, "30000001");
  EXPECT_TRUE(s.failing[1].cannotContinue);
  EXPECT_TRUE(s.failing[1].unknownEnrolment) << "no capacity figure: never counted as 0";
  ASSERT_EQ(s.closedNotPlanned.size(), 2u);
  EXPECT_EQ(s.closedNotPlanned[0].code, "10000002");
  ASSERT_TRUE(s.closedNotPlanned[0].closedUntil.has_value());
  EXPECT_EQ(common::formatCivilDate(*s.closedNotPlanned[0].closedUntil), day(1));
  EXPECT_EQ(s.closedNotPlanned[1].code, "10000003");
  EXPECT_FALSE(s.closedNotPlanned[1].closedUntil.has_value());

  PlanSelection all = selectUnits(d, {}, ScopeRules{false, true, false});
  ASSERT_EQ(all.failing.size(), 4u);
  EXPECT_TRUE(all.failing[1].closedIncluded);
  EXPECT_TRUE(all.failing[2].closedIncluded);
  EXPECT_TRUE(all.closedNotPlanned.empty());
}

TEST(SelectUnits, ClosedUntilTheLastDayOfTheHorizonIsNotPlannedTheDayAfterIs) {
  PlanningData d = city();
  situation(d, "10000002", "closed", kHour, 3);
  EXPECT_EQ(selectUnits(d, {}, ScopeRules{}).failing.size(), 2u);
  situation(d, "10000002", "closed", kHour, 4);
  EXPECT_EQ(selectUnits(d, {}, ScopeRules{}).failing.size(), 3u);
}

TEST(SelectUnits, OnlyUnitsInNormalOperationWithAFreshReportReceive) {
  const PlanningData d = city();
  PlanSelection s = selectUnits(d, {}, ScopeRules{});
  const std::map<std::string, std::string> want = {
      {"10000002", "closed"},     {"10000003", "closed"},    {"20000002", "reduced"},
      {"20000003", "old_report"}, {"20000004", "no_report"}, {"20000005", "remote"}};
  EXPECT_EQ(s.notReceiving, want);
  const PlanScope scope = s.scope();
  EXPECT_EQ(scope.failing, (std::vector<std::string>{"10000001", "30000001"}));
  EXPECT_EQ(scope.notReceiving.size(), want.size());

  PlanSelection reduced = selectUnits(d, {}, ScopeRules{false, false, true});
  EXPECT_EQ(reduced.notReceiving.count("20000002"), 0u) << "--include-reduced";
  EXPECT_EQ(reduced.notReceiving.at("20000003"), "old_report");
}

TEST(SelectUnits, NamedAndWhatIfUnitsFailAndWhatIfOnlyWhenIncluded) {
  PlanningData d = city();
  d.whatIfUnits.insert("20000007");
  PlanSelection s = selectUnits(d, {"20000001"}, ScopeRules{});
  ASSERT_EQ(s.failing.size(), 3u);
  EXPECT_EQ(s.failing[1].code, "20000001");
  EXPECT_TRUE(s.failing[1].named);
  EXPECT_EQ(s.notReceiving.count("20000001"), 0u) << "a failing unit is not listed as such";
  PlanSelection w = selectUnits(d, {}, ScopeRules{true, false, false});
  ASSERT_EQ(w.failing.size(), 3u);
  EXPECT_EQ(w.failing[1].code, "20000007");
  EXPECT_TRUE(w.failing[1].whatIf);
}

// A plan as a solver would answer it for city(): year 4 of Ekskolan split over two schools,
// year 5 beyond reach, fritidshem placed.
Plan handMadePlan() {
  Plan p;
  p.placements = {{"10000001", "fritidshem", 0, "20000001", 12, 1.0},
                  {"10000001", "grundskola", 4, "20000001", 20, 1.0},
                  {"10000001", "grundskola", 4, "20000007", 10, 6.0}};
  Unplaced u;
  u.fromUnit = "10000001";
  u.form = "grundskola";
  u.year = 5;
  u.pupils = 5;
  u.reason =
      "nearest free seat in grundskola year 5 is 34 km away (limit 30); the 72-hour "
      "figures would place 3 more";
  u.code = UnplacedCode::kBeyondLimit;
  u.nearestKm = 34.0;
  u.horizonWouldPlace = 3;
  p.unplaced = {u};
  p.totals.pupilsToPlace = 35;
  p.totals.placed = 30;
  p.totals.unplaced = 5;
  p.totals.fritidshemToPlace = 12;
  p.totals.fritidshemPlaced = 12;
  p.totals.pupilKm = 92.0;
  p.totals.pieces = 3;
  p.totals.splitGroups = 1;
  p.totals.meanKm = 2.19;
  p.totals.maxKm = 6.0;
  p.solver = {"lemon+cbc", 0.25, false, 2, 1};
  return p;
}

TEST(PlanJson, KeepsEveryEarlierKeyAndAddsTheNewSections) {
  const PlanningData d = city();
  const PlanSelection s = selectUnits(d, {}, ScopeRules{});
  PlanOptions o;
  o.fill = 0.9;
  const json j = planToJson(handMadePlan(), d, s, o);
  for (const char* key :
       {"options", "failing_units", "placements", "unplaced", "totals", "groups", "receivers",
        "closed_not_planned", "unknown_enrolment", "not_receiving", "solver"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["options"]["max_km"], 30.0);
  EXPECT_EQ(j["options"]["horizon"], "now");
  EXPECT_EQ(j["options"]["fill"], 0.9);
  EXPECT_EQ(j["options"]["include_reduced"], false);
  EXPECT_EQ(j["options"]["horizon_end"], day(3));
  const json& f = j["failing_units"][0];
  for (const char* key :
       {"code", "name", "has_capacity_report", "closed", "provider_cannot_continue", "what_if"}) {
    EXPECT_TRUE(f.contains(key)) << key;
  }
  EXPECT_EQ(f["closed_until"], day(10));
  EXPECT_EQ(f["closed_beyond_horizon"], true);
  EXPECT_EQ(f["provider_name"], "Alfa Skolor AB");

  const json& p = j["placements"][1];
  EXPECT_EQ(p["from_unit"], "10000001");
  EXPECT_EQ(p["to_unit"], "20000001");
  EXPECT_EQ(p["to_name"], "Björkskolan");
  EXPECT_EQ(p["pupils"], 20);
  EXPECT_EQ(p["km"], 1.0);
  EXPECT_EQ(p["to_provider_id"], "556677-0002");
  EXPECT_EQ(p["to_provider_name"], "Beta Friskolor");
  EXPECT_EQ(p["to_duty_contact"], "IT-jour 08-123 456 78");
  EXPECT_EQ(p["split"], true);
  EXPECT_EQ(j["placements"][0]["split"], false) << "fritidshem went whole to one school";

  const json& u = j["unplaced"][0];
  EXPECT_EQ(u["pupils"], 5);
  EXPECT_EQ(u["code"], "beyond_limit");
  EXPECT_EQ(u["nearest_km"], 34.0);
  EXPECT_EQ(u["horizon_would_place"], 3);
  EXPECT_TRUE(hasText(u["reason"], "34 km away (limit 30)"));

  ASSERT_EQ(j["unknown_enrolment"].size(), 1u);
  EXPECT_EQ(j["unknown_enrolment"][0]["code"], "30000001");
  EXPECT_EQ(j["unknown_enrolment"][0]["reason"], "no enrolment figure");
  EXPECT_EQ(j["unknown_enrolment"][0]["pupils_enrolled_reported"], 240);
  EXPECT_EQ(j["totals"]["unknown_enrolment_units"], 1);

  ASSERT_EQ(j["closed_not_planned"].size(), 2u);
  EXPECT_EQ(j["closed_not_planned"][0]["closed_until"], day(1));
  EXPECT_TRUE(j["closed_not_planned"][1]["closed_until"].is_null());
  EXPECT_EQ(j["not_receiving"]["reduced"], 1);
  EXPECT_EQ(j["not_receiving"]["closed"], 2);

  EXPECT_EQ(j["totals"]["pupils_to_place"], 35);
  EXPECT_EQ(j["totals"]["fritidshem"], json({{"to_place", 12}, {"placed", 12}, {"unplaced", 0}}));
  EXPECT_EQ(j["totals"]["pieces"], 3);
  EXPECT_EQ(j["totals"]["split_groups"], 1);
  EXPECT_EQ(j["totals"]["mean_km"], 2.19);
  EXPECT_EQ(j["totals"]["max_km"], 6.0);
  EXPECT_EQ(j["solver"], json({{"name", "lemon+cbc"},
                               {"seconds", 0.25},
                               {"optimal", false},
                               {"gap_pieces", 2},
                               {"integer_programs", 1}}));
}

TEST(PlanJson, SaysWhereEachSendingYearGroupGoesAndWhatEachReceiverTakes) {
  const PlanningData d = city();
  const json j = planToJson(handMadePlan(), d, selectUnits(d, {}, ScopeRules{}), PlanOptions{});
  ASSERT_EQ(j["groups"].size(), 3u);
  const json& g4 = j["groups"][1];
  EXPECT_EQ(g4["from_unit"], "10000001");
  EXPECT_EQ(g4["from_name"], "Ekskolan");
  EXPECT_EQ(g4["form"], "grundskola");
  EXPECT_EQ(g4["year"], 4);
  EXPECT_EQ(g4["pupils"], 30);
  EXPECT_EQ(g4["placed"], 30);
  EXPECT_EQ(g4["split"], true);
  EXPECT_EQ(g4["pieces"], 2);
  EXPECT_EQ(g4["source"], "report");
  EXPECT_EQ(g4["age_s"], 7200);
  ASSERT_EQ(g4["destinations"].size(), 2u);
  EXPECT_EQ(g4["destinations"][0]["to_unit"], "20000001") << "largest piece first";
  EXPECT_EQ(g4["destinations"][0]["provider_name"], "Beta Friskolor");
  EXPECT_EQ(g4["destinations"][0]["duty_contact"], "IT-jour 08-123 456 78");
  const json& g5 = j["groups"][2];
  EXPECT_EQ(g5["year"], 5);
  EXPECT_EQ(g5["placed"], 0);
  EXPECT_EQ(g5["unplaced"], 5);
  EXPECT_EQ(g5["split"], false);
  EXPECT_EQ(j["groups"][0]["form"], "fritidshem");
  EXPECT_EQ(j["groups"][0]["source"], "import");
  EXPECT_EQ(j["groups"][0]["age_s"], 3 * 24 * 3600);

  ASSERT_EQ(j["receivers"].size(), 2u);
  const json& r = j["receivers"][0];
  EXPECT_EQ(r["code"], "20000001");
  EXPECT_EQ(r["provider_name"], "Beta Friskolor");
  EXPECT_EQ(r["pupils_in"], 32);
  ASSERT_EQ(r["classes"].size(), 2u);
  const json& c = r["classes"][1];
  EXPECT_EQ(c["form"], "grundskola");
  EXPECT_EQ(c["seats_before"], 25);
  EXPECT_EQ(c["pupils_in"], 20);
  EXPECT_EQ(c["seats_after"], 5);
  EXPECT_EQ(c["headroom_left"], 0.2);
  EXPECT_EQ(c["source"], "import");
  ASSERT_EQ(c["from"].size(), 1u);
  EXPECT_EQ(c["from"][0]["from_unit"], "10000001");
  EXPECT_EQ(c["from"][0]["pupils"], 20);
  EXPECT_EQ(c["from"][0]["km"], 1.0);
  EXPECT_EQ(r["seats_before"], 45);
  EXPECT_EQ(r["seats_after"], 13);
  const json& lonn = j["receivers"][1];
  EXPECT_EQ(lonn["code"], "20000007");
  EXPECT_EQ(lonn["classes"][0]["seats_before"], 12) << "seats free now";
  PlanOptions later;
  later.horizon = Horizon::kWithin72h;
  EXPECT_EQ(planToJson(handMadePlan(), d, selectUnits(d, {}, ScopeRules{}),
                       later)["receivers"][1]["classes"][0]["seats_before"],
            14)
      << "seats free within 72 h";
}

TEST(PlanText, HasEverySectionAPersonActsOn) {
  const PlanningData d = city();
  const std::string t =
      planToText(handMadePlan(), d, selectUnits(d, {}, ScopeRules{}), PlanOptions{});
  for (
      const std::string& part : std::vector<std::string>{
          "Takeover plan for 2 failing unit(s)",
          "10000001 Ekskolan (Alfa Skolor AB): closed until",
          "30000001 Hasselskolan (Gamma Utbildning): its provider cannot continue; UNKNOWN "
          "ENROLMENT",
          "Closed, not planned (--include-closed plans them too):",
          "10000002 Askskolan: closed until " + day(1) + " (within the horizon)",
          "10000003 Aspskolan: closed, no closed_until given",
          "By sending year group:",
          "10000001 Ekskolan, grundskola year 4: 30 pupils (report, 2 h old)  SPLIT over 2 units",
          "20 pupils -> 20000001 Björkskolan (1.0 km; Beta Friskolor; duty contact: IT-jour 08-123 "
          "456 78)",
          "By receiving unit:",
          "20000001 Björkskolan (Beta Friskolor; duty contact: IT-jour 08-123 456 78): receives 32 "
          "pupils",
          "grundskola year 4: seats 25 -> 5 (20% left; import, 3 d old)",
          "20 from 10000001 Ekskolan (1.0 km)",
          "Cannot be placed:",
          "5 pupils of 10000001 Ekskolan, grundskola year 5: nearest free seat",
          "? pupils of 30000001 Hasselskolan: no enrolment figure (its status report says 240",
          "Total: 35 to place, 30 placed, 5 unplaced, 92.0 pupil-km",
          "fritidshem (the same children, counted apart): 12 to place, 12 placed, 0 unplaced",
          "3 pieces, 1 year group(s) split; distance mean 2.2 km, max 6.0 km",
          "Solver: lemon+cbc, 0.25 s, time limit reached: up to 2 piece(s) more",
          "Not receiving:",
          "1 on reduced operation",
          "(--include-reduced lets reduced units"}) {
    EXPECT_TRUE(hasText(t, part)) << "missing: " << part << "\n" << t;
  }
}

TEST(PlanCsv, KeepsTheEarlierColumnsFirstAndNamesEachRowKind) {
  const PlanningData d = city();
  const std::string csv =
      planToCsv(handMadePlan(), d, selectUnits(d, {}, ScopeRules{}), PlanOptions{});
  std::vector<std::string> lines;
  for (size_t at = 0; at < csv.size();) {
    size_t end = csv.find('\n', at);
    lines.push_back(csv.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_EQ(lines.size(), 1u + 3 + 1 + 1 + 2);
  EXPECT_EQ(lines[0].rfind("from_unit,form,year,to_unit,pupils,km,unplaced_reason,row,", 0), 0u);
  EXPECT_EQ(lines[2],
            "10000001,grundskola,4,20000001,20,1.0,,placement,Ekskolan,Björkskolan,556677-0002,"
            "Beta Friskolor,IT-jour 08-123 456 78,yes,,report,7200,25,5");
  EXPECT_TRUE(hasText(lines[4], "10000001,grundskola,5,,5,,nearest free seat")) << lines[4];
  EXPECT_TRUE(hasText(lines[4], ",unplaced,Ekskolan,,,,,,beyond_limit,report,7200,,")) << lines[4];
  EXPECT_EQ(lines[5],
            "30000001,,,,,,no enrolment figure,unknown_enrolment,Hasselskolan,,,,,,"
            "unknown_enrolment,,,,");
  EXPECT_TRUE(hasText(lines[6], "10000002,,,,,,closed until " + day(1) +
                                    " (within the horizon),closed_not_planned,Askskolan"))
      << lines[6];
}

// city() with seats at units that do not receive: Granskolan (never reported; figures from the
// city's import), Lindskolan (reduced), Almskolan (report too old), Tallskolan (remote, but no
// usable seat in a class the plan needs), Rönnskolan (never reported, far away) and Enskolan
// (normal, but without coordinates).
PlanningData cityWithSeatsOutOfPlay() {
  PlanningData d = city();
  // 20000004 Granskolan never reported; the city imported its figures.
  cohort(d, "20000004", "grundskola", 4, 20, 9, 9, true, kNow - 5 * kHour);
  cohort(d, "20000002", "grundskola", 4, 25, 6, 6, false, kNow - kHour);       // reduced
  cohort(d, "20000003", "grundskola", 5, 25, 3, 3, false, kNow - 96 * kHour);  // old report
  cohort(d, "20000005", "grundskola", 7, 25, 8, 8, false, kNow - kHour);  // no one needs year 7
  cohort(d, "20000005", "grundskola", 4, 25, 1, 1, false, kNow - kHour);  // floor(0.95) = 0
  addUnit(d, "20000008", "Rönnskolan", "556677-0002");  // far away, never reported
  d.input.units.back().position = GeoPoint{63.8, 20.3};
  cohort(d, "20000008", "grundskola", 4, 20, 9, 9, true, kNow - kHour);
  addUnit(d, "20000009", "Enskolan", "556677-0002");  // normal, but no coordinates
  d.input.units.back().position.reset();
  situation(d, "20000009", "normal");
  cohort(d, "20000009", "grundskola", 4, 20, 4, 4, false, kNow - kHour);
  return d;
}

TEST(ExcludedReceivers, NamesEveryUnitWithSeatsInReachThatDoesNotReceiveAndWhy) {
  const PlanningData d = cityWithSeatsOutOfPlay();
  const PlanSelection s = selectUnits(d, {}, ScopeRules{});
  const std::vector<ExcludedReceiver> e = excludedReceivers(d, s, PlanOptions{});
  std::map<std::string, ExcludedReceiver> by;
  for (const auto& x : e) by[x.code] = x;
  ASSERT_EQ(by.size(), 4u) << "not the remote unit (no usable seat in a needed class), not the "
                              "far one";
  EXPECT_EQ(by.at("20000004").why, "no_report");
  EXPECT_EQ(by.at("20000004").seats, 8) << "floor(0.95 x 9)";
  EXPECT_TRUE(by.at("20000004").imported);
  ASSERT_TRUE(by.at("20000004").nearestKm.has_value());
  EXPECT_NEAR(*by.at("20000004").nearestKm, 0.3, 0.05);
  EXPECT_EQ(excludedReceiverReason(by.at("20000004"), s),
            "no status report: not known to be running (seat figures from the city's import)");
  EXPECT_EQ(by.at("20000002").why, "reduced");
  EXPECT_EQ(excludedReceiverReason(by.at("20000002"), s),
            "on reduced operation (--include-reduced lets it receive)");
  EXPECT_EQ(by.at("20000003").why, "old_report");
  EXPECT_EQ(excludedReceiverReason(by.at("20000003"), s),
            "its latest status report is older than the 3-day planning horizon");
  EXPECT_EQ(by.at("20000009").why, "no_position");
  EXPECT_FALSE(by.at("20000009").nearestKm.has_value());
  EXPECT_EQ(e.back().code, "20000009") << "unknown distance last";
  EXPECT_EQ(e.front().code, "20000002") << "nearest first";

  // --include-reduced: the reduced unit receives and is no longer listed.
  const PlanSelection reduced = selectUnits(d, {}, ScopeRules{false, false, true});
  for (const auto& x : excludedReceivers(d, reduced, PlanOptions{})) {
    EXPECT_NE(x.code, "20000002");
  }
  // Only units in reach: at 0.1 km nothing is near enough but the unit without coordinates.
  PlanOptions near;
  near.maxKm = 0.1;
  const auto few = excludedReceivers(d, s, near);
  ASSERT_EQ(few.size(), 1u);
  EXPECT_EQ(few[0].code, "20000009");
  // Nobody failing: nothing is needed, nothing is listed.
  PlanningData calm = cityWithSeatsOutOfPlay();
  calm.cannotContinueUnits.clear();
  calm.situations.erase("10000001");
  calm.closedUnits.erase("10000001");
  EXPECT_TRUE(excludedReceivers(calm, selectUnits(calm, {}, ScopeRules{}), PlanOptions{}).empty());
}

TEST(ExcludedReceivers, EveryRenderingNamesThem) {
  const PlanningData d = cityWithSeatsOutOfPlay();
  const PlanSelection s = selectUnits(d, {}, ScopeRules{});
  const json j = planToJson(handMadePlan(), d, s, PlanOptions{});
  ASSERT_EQ(j["excluded_receivers"].size(), 4u) << j["excluded_receivers"].dump(2);
  const json* gran = nullptr;
  for (const auto& x : j["excluded_receivers"]) {
    if (x["code"] == "20000004") gran = &x;
  }
  ASSERT_NE(gran, nullptr);
  EXPECT_EQ((*gran)["name"], "Granskolan");
  EXPECT_EQ((*gran)["reason_code"], "no_report");
  EXPECT_EQ((*gran)["reason"],
            "no status report: not known to be running (seat figures from the city's import)");
  EXPECT_EQ((*gran)["seats"], 8);
  EXPECT_EQ((*gran)["source"], "import");
  EXPECT_EQ((*gran)["provider_name"], "Beta Friskolor");
  EXPECT_EQ((*gran)["duty_contact"], "IT-jour 08-123 456 78");
  EXPECT_EQ(j["not_receiving"]["no_report"], 2) << "the counts stay as they were";

  const std::string t = planToText(handMadePlan(), d, s, PlanOptions{});
  for (const std::string& part : std::vector<std::string>{
           "Not receiving, though they have free seats for these pupils:",
           "20000004 Granskolan (Beta Friskolor): 8 seat(s), 0.",
           "km away; no status report: not known to be running (seat figures from the city's "
           "import)",
           "20000002 Lindskolan (Beta Friskolor): 5 seat(s)",
           "on reduced operation (--include-reduced lets it receive)",
           "20000009 Enskolan (Beta Friskolor): 3 seat(s); no coordinates in the roster"}) {
    EXPECT_TRUE(hasText(t, part)) << "missing: " << part << "\n" << t;
  }

  const std::string csv = planToCsv(handMadePlan(), d, s, PlanOptions{});
  EXPECT_TRUE(hasText(csv, ",,,20000004,,0.")) << csv;
  EXPECT_TRUE(hasText(csv,
                      ",no status report: not known to be running (seat figures from the city's "
                      "import),excluded_receiver,,Granskolan,556677-0002,Beta Friskolor,"
                      "IT-jour 08-123 456 78,,no_report,import,18000,8,\n"))
      << csv;
}

TEST(PlanText, StatesThePlanningHorizon) {
  const PlanningData d = city();
  const std::string t =
      planToText(handMadePlan(), d, selectUnits(d, {}, ScopeRules{}), PlanOptions{});
  EXPECT_TRUE(hasText(t, "Planning horizon: 3 days (to " + day(3) +
                             "): units closed beyond it are planned, and only units with a status "
                             "report at most 3 days old receive"))
      << t;
  const json j = planToJson(handMadePlan(), d, selectUnits(d, {}, ScopeRules{}), PlanOptions{});
  EXPECT_EQ(j["options"]["horizon_days"], 3);
}

TEST(PlanText, ReadsAsSentences) {
  const PlanningData d = city();
  Plan p = handMadePlan();
  p.placements[2].pupils = 1;
  const std::string t = planToText(p, d, selectUnits(d, {}, ScopeRules{}), PlanOptions{});
  for (const std::string& part : std::vector<std::string>{
           "   1 pupil -> 20000007 Lönnskolan",
           "10000001 Ekskolan, fritidshem: 12 pupils (import, 3 d old)",
           "  fritidshem: seats 20 -> 8 (40% left",
           "20000007 Lönnskolan (Beta Friskolor; duty contact: IT-jour 08-123 456 78): receives 1 "
           "pupil\n"}) {
    EXPECT_TRUE(hasText(t, part)) << "missing: " << part << "\n" << t;
  }
  EXPECT_FALSE(hasText(t, "year 0")) << "forms without years are named without one\n" << t;

  PlanningData calm = city();
  calm.cannotContinueUnits.clear();
  calm.situations.erase("10000001");
  calm.closedUnits.erase("10000001");
  const std::string none =
      planToText(Plan{}, calm, selectUnits(calm, {}, ScopeRules{}), PlanOptions{});
  EXPECT_TRUE(hasText(none,
                      "No unit is failing now: name units with --failing, or plan the closed "
                      "ones with --include-closed."))
      << none;
}

TEST(ContingencyJson, SaysWhichSituationItStartsFrom) {
  const PlanningData d = city();
  const PlanSelection today = selectUnits(d, {}, ScopeRules{});
  std::vector<ContingencyRow> rows(1);
  rows[0].id = "556677-0002";
  rows[0].pupilsAffected = 40;
  rows[0].pieces = 3;
  rows[0].optimal = false;
  rows[0].gapPieces = 1;
  const json j = contingencyToJson(rows, d, today, PlanOptions{});
  EXPECT_EQ(j["baseline"]["failing_units"], json({"10000001", "30000001"}));
  EXPECT_EQ(j["baseline"]["closed_not_planned"], json({"10000002", "10000003"}));
  EXPECT_EQ(j["baseline"]["not_receiving"]["reduced"], 1);
  EXPECT_EQ(j["rows"][0]["name"], "Beta Friskolor");
  EXPECT_EQ(j["rows"][0]["pieces"], 3);
  EXPECT_EQ(j["rows"][0]["optimal"], false);
  EXPECT_EQ(j["rows"][0]["gap_pieces"], 1);
  EXPECT_EQ(contingencyToCsv(rows),
            "rank,scope,id,pupils_affected,placed,unplaced,pupil_km,missing_seats_by_form,pieces,"
            "optimal,gap_pieces\n1,provider,556677-0002,40,0,0,0.0,,3,no,1\n");
  EXPECT_TRUE(hasText(contingencyToText(rows, d, today), "on top of today (2 unit(s) failing"));
}

TEST(ContingencyText, ColumnsLineUpWithSwedishNames) {
  const PlanningData d = city();
  std::vector<ContingencyRow> rows(2);
  rows[0].scope = rows[1].scope = ContingencyScope::kDistrict;
  rows[0].id = "Hägersten-Älvsjö";
  rows[0].pupilsAffected = 8587;
  rows[1].id = "Norrmalm";
  rows[1].pupilsAffected = 6908;
  const std::string t = contingencyToText(rows, d, selectUnits(d, {}, ScopeRules{}));
  // Where each row's affected count ends, in characters.
  auto endOf = [&](const std::string& number) {
    const size_t at = t.find(number);
    size_t chars = 0;
    for (size_t i = t.rfind('\n', at) + 1; i < at + number.size(); ++i) {
      chars += (static_cast<unsigned char>(t[i]) & 0xC0) != 0x80;
    }
    return chars;
  };
  EXPECT_EQ(endOf("8587"), endOf("6908")) << t;
  EXPECT_EQ(endOf("8587"), endOf("affected")) << t;
}

}  // namespace
}  // namespace samband::broker
