// Takeover planning through the real CLI, on a city that real agents reported into: a closure of
// a day (or without a date) is listed, not planned, and one beyond the horizon is planned; only
// units in normal operation receive unless --include-reduced; figures come from the units'
// reports and from `capacity import`, the newer of the two; a failing unit without figures is
// "unknown enrolment"; `plan contingency` starts from today's situation.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "common/clock.h"
#include "common/school_calendar.h"
#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

using nlohmann::json;

constexpr const char* kAlfa = "556677-0001";         // its schools are closed
constexpr const char* kRunningBeta = "556677-0002";  // its schools run
constexpr const char* kEk = "10000001";              // closed for ten days (a fire)
constexpr const char* kAsk = "10000002";             // closed until tomorrow (a storm)
constexpr const char* kAsp = "10000003";             // closed, no date given
constexpr const char* kBjork = "20000001";  // normal; its figures come from the city's import
constexpr const char* kLind = "20000002";   // reduced, and nearer to Ekskolan than Björkskolan
constexpr const char* kGran = "20000003";   // normal, no capacity figure at all

class PlanningCli : public CityFixture {
 protected:
  // The city above, every report delivered, Beta's duty contact on file.
  void buildCity() {
    startBroker();
    alfa_ = makeAgent("alfa", kAlfa, {kEk, kAsk, kAsp});
    beta_ = makeAgent("beta", kRunningBeta, {kBjork, kLind, kGran});
    runs_.push_back(runAgent(alfa_));
    runs_.push_back(runAgent(beta_));
    writeFile("roster.csv",
              "unit_code,unit_name,provider_id,district,lat,lon,school_forms\n"
              "10000001,Ekskolan,556677-0001,Norr,59.3300,18.0500,grundskola:4;fritidshem:0\n"
              "10000002,Askskolan,556677-0001,Norr,59.3320,18.0600,grundskola:4\n"
              "10000003,Aspskolan,556677-0001,Norr,59.3340,18.0700,grundskola:4\n"
              "20000001,Björkskolan,556677-0002,Söder,59.3400,18.0500,grundskola:4;fritidshem:0\n"
              "20000002,Lindskolan,556677-0002,Söder,59.3310,18.0510,grundskola:4;fritidshem:0\n"
              "20000003,Granskolan,556677-0002,Söder,59.3500,18.0500,grundskola:4\n");
    cli({"roster", "import", "--config", brokerConfig(), dir("roster.csv")});
    report(alfa_, kEk,
           {"--operational", "closed", "--reason", "Brand", "--closed-until", dayFromToday(10),
            "--capacity", "grundskola:4:20:0:0", "--capacity", "fritidshem:0:15:0:0"});
    report(alfa_, kAsk,
           {"--operational", "closed", "--reason", "Storm", "--closed-until", dayFromToday(1),
            "--capacity", "grundskola:4:18:30:30"});
    report(alfa_, kAsp, {"--operational", "closed", "--reason", "Vattenläcka"});
    report(beta_, kBjork, {"--operational", "normal"});
    report(beta_, kLind,
           {"--operational", "reduced", "--reason", "Personalbrist", "--capacity",
            "grundskola:4:25:30:30", "--capacity", "fritidshem:0:40:20:20"});
    report(beta_, kGran, {"--operational", "normal", "--pupils-enrolled", "240"});
    writeFile("register.csv",
              "unit,school_form,year,enrolled,seats_now,seats_72h\n"
              "20000001,grundskola,4,25,30,30\n"
              "20000001,fritidshem,0,40,20,20\n");
    cli({"capacity", "import", "--config", brokerConfig(), dir("register.csv")});
    cli({"contact", "set", "--config", brokerConfig(), "--provider", kRunningBeta, "--text",
         "IT-jour 08-123 456 78"});
    ASSERT_TRUE(waitUntil([&] {
      return agentStatus(alfa_)["outbox_pending"] == 0 && agentStatus(beta_)["outbox_pending"] == 0;
    }));
  }

  std::string dir(const std::string& name) const { return tmp_.path() + "/" + name; }
  void writeFile(const std::string& name, const std::string& text) {
    std::ofstream(dir(name)) << text;
  }

  CommandResult cli(std::vector<std::string> args, int expectExit = 0) {
    args.insert(args.begin(), brokerBin());
    auto r = runCommand(args);
    EXPECT_EQ(r.exitCode, expectExit) << r.out << r.err;
    return r;
  }

  json plan(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"plan",         "takeover", "--config",
                                  brokerConfig(), "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = cli(args);
    return json::parse(r.out, nullptr, false);
  }

  static std::set<std::string> codes(const json& list, const char* key = "code") {
    std::set<std::string> out;
    for (const auto& x : list) out.insert(x[key].get<std::string>());
    return out;
  }

  std::string alfa_, beta_;
  std::vector<std::unique_ptr<Process>> runs_;
};

TEST_F(PlanningCli, PlansALongClosureListsShortOnesAndPlacesOnlyInUnitsRunningNormally) {
  buildCity();
  json p = plan();
  ASSERT_FALSE(p.is_discarded());
  ASSERT_EQ(p["failing_units"].size(), 1u) << p.dump(2);
  const json& ek = p["failing_units"][0];
  EXPECT_EQ(ek["code"], kEk);
  EXPECT_EQ(ek["closed_until"], dayFromToday(10));
  EXPECT_EQ(ek["closed_beyond_horizon"], true);
  EXPECT_EQ(ek["closed"], true);
  EXPECT_EQ(p["options"]["horizon_end"], dayFromToday(3));
  EXPECT_EQ(p["options"]["fill"], 0.95);
  ASSERT_EQ(p["closed_not_planned"].size(), 2u);
  EXPECT_EQ(p["closed_not_planned"][0]["code"], kAsk);
  EXPECT_EQ(p["closed_not_planned"][0]["closed_until"], dayFromToday(1)) << "a storm's day";
  EXPECT_EQ(p["closed_not_planned"][1]["code"], kAsp);
  EXPECT_TRUE(p["closed_not_planned"][1]["closed_until"].is_null());
  EXPECT_EQ(p["not_receiving"], json({{"closed", 2}, {"reduced", 1}}));

  // Twenty pupils of year 4, and fritidshem's fifteen on their own line.
  EXPECT_EQ(p["totals"]["pupils_to_place"], 20);
  EXPECT_EQ(p["totals"]["placed"], 20);
  EXPECT_EQ(p["totals"]["fritidshem"], json({{"to_place", 15}, {"placed", 15}, {"unplaced", 0}}));
  ASSERT_FALSE(p["placements"].empty());
  for (const auto& x : p["placements"]) {
    EXPECT_EQ(x["to_unit"], kBjork) << "Lindskolan runs reduced: " << x.dump();
    EXPECT_EQ(x["to_provider_id"], kRunningBeta);
    EXPECT_EQ(x["to_duty_contact"], "IT-jour 08-123 456 78");
    EXPECT_EQ(x["split"], false);
  }
  ASSERT_EQ(p["receivers"].size(), 1u);
  const json& bjork = p["receivers"][0];
  EXPECT_EQ(bjork["name"], "Björkskolan");
  EXPECT_EQ(bjork["provider_name"], "Skolbolaget beta");
  for (const auto& c : bjork["classes"]) {
    EXPECT_EQ(c["source"], "import") << c.dump();
    EXPECT_EQ(c["seats_before"], c["form"] == "grundskola" ? 30 : 20);
    EXPECT_EQ(c["seats_after"], c["seats_before"].get<int>() - c["pupils_in"].get<int>());
  }
  for (const auto& g : p["groups"]) {
    EXPECT_EQ(g["from_unit"], kEk);
    EXPECT_EQ(g["source"], "report") << "Ekskolan's own figures";
    EXPECT_GE(g["age_s"].get<int64_t>(), 0);
  }
  EXPECT_TRUE(p["solver"].contains("name"));
  EXPECT_TRUE(p["solver"].contains("gap_pieces"));

  // --include-reduced: Lindskolan, nearer, receives.
  json reduced = plan({"--include-reduced"});
  EXPECT_EQ(reduced["options"]["include_reduced"], true);
  EXPECT_TRUE(reduced["not_receiving"].find("reduced") == reduced["not_receiving"].end());
  EXPECT_EQ(codes(reduced["placements"], "to_unit"), std::set<std::string>{kLind});

  // --include-closed: the short closures are planned too; a closed school offers no seats.
  json closed = plan({"--include-closed"});
  EXPECT_EQ(codes(closed["failing_units"]), (std::set<std::string>{kEk, kAsk, kAsp}));
  EXPECT_TRUE(closed["closed_not_planned"].empty());
  EXPECT_EQ(closed["totals"]["pupils_to_place"], 38);
  EXPECT_EQ(codes(closed["placements"], "to_unit"), std::set<std::string>{kBjork});

  // The same plan as text and CSV.
  auto text = cli({"plan", "takeover", "--config", brokerConfig()}).out;
  for (const std::string& part :
       {std::string("Closed, not planned (--include-closed plans them too):"),
        "10000002 Askskolan: closed until " + dayFromToday(1) + " (within the horizon)",
        std::string("10000003 Aspskolan: closed, no closed_until given"),
        std::string("By receiving unit:"),
        std::string("20000001 Björkskolan (Skolbolaget beta; duty contact: IT-jour 08-123 456 78)"),
        std::string("fritidshem (the same children, counted apart): 15 to place"),
        std::string("1 on reduced operation")}) {
    EXPECT_NE(text.find(part), std::string::npos) << "missing: " << part << "\n" << text;
  }
  auto csv = cli({"plan", "takeover", "--config", brokerConfig(), "--format", "csv"}).out;
  EXPECT_EQ(csv.rfind("from_unit,form,year,to_unit,pupils,km,unplaced_reason,row,", 0), 0u) << csv;
  EXPECT_NE(csv.find(",placement,Ekskolan,Björkskolan,556677-0002,Skolbolaget beta,IT-jour 08-123 "
                     "456 78,no,"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("10000003,,,,,,\"closed, no closed_until given\",closed_not_planned,"),
            std::string::npos)
      << csv;

  // Flags are checked before anything is read.
  auto bad = cli({"plan", "takeover", "--config", brokerConfig(), "--fill", "1.5"}, 2);
  EXPECT_NE(bad.err.find("--fill must be more than 0 and at most 1"), std::string::npos) << bad.err;
}

TEST_F(PlanningCli, AFailingUnitWithoutFiguresIsUnknownEnrolmentNeverZero) {
  buildCity();
  json p = plan({"--failing", kGran});
  ASSERT_EQ(p["unknown_enrolment"].size(), 1u) << p.dump(2);
  EXPECT_EQ(p["unknown_enrolment"][0]["code"], kGran);
  EXPECT_EQ(p["unknown_enrolment"][0]["reason"], "no enrolment figure");
  EXPECT_EQ(p["unknown_enrolment"][0]["pupils_enrolled_reported"], 240);
  EXPECT_EQ(p["totals"]["unknown_enrolment_units"], 1);
  EXPECT_EQ(p["totals"]["pupils_to_place"], 20) << "Granskolan's pupils are not counted as 0";
  const json* gran = nullptr;
  for (const auto& f : p["failing_units"]) {
    if (f["code"] == kGran) gran = &f;
  }
  ASSERT_NE(gran, nullptr);
  EXPECT_EQ((*gran)["unknown_enrolment"], true);
  EXPECT_EQ((*gran)["named"], true);
  auto text = cli({"plan", "takeover", "--config", brokerConfig(), "--failing", kGran}).out;
  EXPECT_NE(text.find("? pupils of 20000003 Granskolan: no enrolment figure (its status report "
                      "says 240 enrolled"),
            std::string::npos)
      << text;
}

TEST_F(PlanningCli, ContingencyStartsFromToday) {
  buildCity();
  auto r = cli({"plan", "contingency", "--config", brokerConfig(), "--format", "json"});
  json c = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(c.is_discarded()) << r.out;
  EXPECT_EQ(c["baseline"]["failing_units"], json({kEk}));
  EXPECT_EQ(c["baseline"]["closed_not_planned"], json({kAsk, kAsp}));
  const json* alfa = nullptr;
  const json* beta = nullptr;
  for (const auto& row : c["rows"]) {
    if (row["scope"] == "provider" && row["id"] == kAlfa) alfa = &row;
    if (row["scope"] == "provider" && row["id"] == kRunningBeta) beta = &row;
  }
  ASSERT_NE(alfa, nullptr);
  ASSERT_NE(beta, nullptr);
  // Beta failing on top of today: Ekskolan's 20 count too, and nobody has a seat to give:
  // Askskolan's 30 free seats are in a closed school.
  EXPECT_EQ((*beta)["pupils_affected"], 20 + 25 + 25);
  EXPECT_EQ((*beta)["placed"], 0);
  // Alfa failing: Ekskolan's 20 and Askskolan's 18 go to Björkskolan's 28 usable seats.
  EXPECT_EQ((*alfa)["pupils_affected"], 38);
  EXPECT_EQ((*alfa)["placed"], 28);
  EXPECT_EQ((*alfa)["unplaced"], 10);
  auto text = cli({"plan", "contingency", "--config", brokerConfig()}).out;
  EXPECT_NE(text.find("on top of today (1 unit(s) failing"), std::string::npos) << text;
}

TEST_F(PlanningCli, CapacityImportIsAllOrNothingAndTheNewestFigureWins) {
  buildCity();
  // Every malformed kind in one file: every problem with its line, nothing imported.
  writeFile("bad.csv",
            "unit,school_form,year,enrolled,seats_now,seats_72h\n"
            "20000001,grundskola,4,99,99,99\n"
            "30000001,grundskola,4,1,1,1\n"
            "20000001,skola,4,1,1,1\n"
            "20000001,grundskola,14,1,1,1\n"
            "20000001,grundskola,5,-1,1,1\n"
            "20000001,grundskola,5,1,tre,1\n"
            "20000001,grundskola,4,1,1,1\n");
  auto bad = cli({"capacity", "import", "--config", brokerConfig(), dir("bad.csv")}, 2);
  for (const char* line :
       {"has 6 problem(s); nothing was imported", "line 3: unit 30000001 is not in the roster",
        "line 4: unknown school_form 'skola'", "line 5: year '14'", "line 6: enrolled '-1'",
        "line 7: seats_now 'tre'",
        "line 8: unit 20000001 grundskola year 4 is already on line 2"}) {
    EXPECT_NE(bad.err.find(line), std::string::npos) << line << "\n" << bad.err;
  }
  writeFile("header.csv", "unit;school_form;year;enrolled;seats_now;seats_72h\n");
  auto header = cli({"capacity", "import", "--config", brokerConfig(), dir("header.csv")}, 2);
  EXPECT_NE(header.err.find("line 1: "), std::string::npos) << header.err;

  auto exported = [&] {
    cli({"capacity", "export", "--config", brokerConfig(), "--out", dir("out.csv")});
    std::ifstream in(dir("out.csv"));
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string out = exported();
  EXPECT_EQ(out.rfind("unit,school_form,year,enrolled,seats_now,seats_72h\n", 0), 0u);
  EXPECT_NE(out.find("20000001,grundskola,4,25,30,30\n"), std::string::npos)
      << "the bad file changed nothing:\n"
      << out;
  EXPECT_NE(out.find("10000001,grundskola,4,20,0,0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("20000002,fritidshem,0,40,20,20\n"), std::string::npos) << out;
  EXPECT_EQ(cli({"capacity", "export", "--config", brokerConfig()}).out, out) << "stdout";

  // The unit reports after the import: its report wins; a later import wins back.
  report(beta_, kBjork, {"--capacity", "grundskola:4:26:12:14"});
  ASSERT_TRUE(waitUntil(
      [&] { return exported().find("20000001,grundskola,4,26,12,14\n") != std::string::npos; }));
  // Björkskolan as the one school left to receive: the plan shows which figure it counted.
  json p = plan({"--failing", kLind, "--include-closed"});
  ASSERT_EQ(p["receivers"].size(), 1u) << p.dump(2);
  EXPECT_EQ(p["receivers"][0]["code"], kBjork);
  for (const auto& c : p["receivers"][0]["classes"]) {
    if (c["form"] == "grundskola") {
      EXPECT_EQ(c["source"], "report");
      EXPECT_EQ(c["seats_before"], 12);
    }
  }
  writeFile("again.csv",
            "unit,school_form,year,enrolled,seats_now,seats_72h\n20000001,grundskola,4,27,31,31\n");
  auto ok = cli({"capacity", "import", "--config", brokerConfig(), dir("again.csv")});
  EXPECT_NE(ok.out.find("Imported 1 figure(s) for 1 unit(s)"), std::string::npos) << ok.out;
  EXPECT_NE(exported().find("20000001,grundskola,4,27,31,31\n"), std::string::npos);
}

}  // namespace
}  // namespace samband::testing
