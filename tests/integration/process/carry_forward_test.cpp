// Reports carry forward, through the real agent and broker: a report naming two fields leaves
// every other field of the unit as the last report had it, even after the broker acknowledged
// (and the outbox deleted) that report; `samband-agent last` shows what was sent.
#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/school_calendar.h"
#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

class CarryForward : public CityFixture {};

TEST_F(CarryForward, ReportNamingTwoFieldsLeavesTheOthersAsTheyWere) {
  startBroker();
  std::string agent = makeAgent("a", kProvider, {kUnit});
  auto run = runAgent(agent);
  report(agent, kUnit,
         {"--operational",
          "reduced",
          "--reason",
          "Strömavbrott",
          "--pupils-enrolled",
          "200",
          "--pupils-present",
          "180",
          "--staff-total",
          "20",
          "--staff-available",
          "14",
          "--electricity",
          "backup",
          "--backup-hours",
          "18",
          "--heating",
          "degraded",
          "--food",
          "down",
          "--food-days",
          "3",
          "--critical-care",
          "yes",
          "--note",
          "Reservkraft i drift"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["operational"] == "reduced"; }));
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; }));
  const nlohmann::json before = unitStatus(kUnit);

  report(agent, kUnit, {"--pupils-present", "165", "--electricity", "grid"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["pupils_present"] == 165; }));
  nlohmann::json after = unitStatus(kUnit);
  EXPECT_EQ(after["electricity"], "grid");
  for (const char* key : {"operational", "reason", "pupils_enrolled", "staff_total",
                          "staff_available", "backup_hours", "resources", "food_days",
                          "critical_care", "special_support", "note", "expected_reopen"}) {
    EXPECT_EQ(after[key], before[key]) << key;
  }

  // `last` prints what was sent, with the broker's key names.
  auto r = runCommand({agentBin(), "last", "--config", agent, "--unit", kUnit, "--json"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto last = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(last.is_discarded()) << r.out;
  for (const char* key :
       {"code", "operational", "reason", "pupils_present", "pupils_enrolled", "staff_total",
        "staff_available", "electricity", "backup_hours", "resources", "food_days", "critical_care",
        "special_support", "note", "expected_reopen", "valid_until", "reported_at"}) {
    EXPECT_EQ(last[key], after[key]) << key;
  }
  auto text = runCommand({agentBin(), "last", "--config", agent, "--unit", kUnit});
  ASSERT_EQ(text.exitCode, 0) << text.err;
  EXPECT_NE(text.out.find("pupils_present: 165"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("note: Reservkraft i drift"), std::string::npos) << text.out;
}

TEST_F(CarryForward, ResetIsOnlyWhatIsSaid) {
  startBroker();
  std::string agent = makeAgent("a", kProvider, {kUnit});
  auto run = runAgent(agent);
  report(agent, kUnit,
         {"--operational", "reduced", "--electricity", "backup", "--backup-hours", "18", "--note",
          "Reservkraft"});
  report(agent, kUnit, {"--electricity", "unknown", "--backup-hours", "unknown", "--clear-note"});
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["last_acked_seq"] == 2; }));
  auto unit = unitStatus(kUnit);
  EXPECT_EQ(unit["operational"], "reduced");
  EXPECT_TRUE(unit["backup_hours"].is_null());
  EXPECT_EQ(unit["note"], "");
}

// A day `days` from today in the local calendar, as the agent and the broker count it.

TEST_F(CarryForward, ClosedUntilTravelsToThePictureIsCarriedAndCleared) {
  startBroker();
  std::string agent = makeAgent("a", kProvider, {kUnit});
  auto run = runAgent(agent);
  const std::string until = dayFromToday(10);
  report(agent, kUnit, {"--operational", "closed", "--reason", "Brand", "--closed-until", until});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["closed_until"] == until; }))
      << unitStatus(kUnit).dump();

  report(agent, kUnit, {"--reason", "Brand i köket"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["reason"] == "Brand i köket"; }));
  EXPECT_EQ(unitStatus(kUnit)["closed_until"], until) << "carried forward";
  auto last = runCommand({agentBin(), "last", "--config", agent, "--unit", kUnit, "--json"});
  ASSERT_EQ(last.exitCode, 0) << last.err;
  EXPECT_EQ(nlohmann::json::parse(last.out)["closed_until"], until);
  auto text = runCommand({agentBin(), "last", "--config", agent, "--unit", kUnit});
  EXPECT_NE(text.out.find("closed_until: " + until), std::string::npos) << text.out;

  // Refused before anything is signed: a day gone by, and a date on a unit not closed.
  auto past = runCommand({agentBin(), "report", "--config", agent, "--unit", kUnit,
                          "--closed-until", dayFromToday(-1)});
  EXPECT_EQ(past.exitCode, 2);
  EXPECT_NE(past.err.find("is in the past"), std::string::npos) << past.err;
  auto open = runCommand({agentBin(), "report", "--config", agent, "--unit", kUnit, "--operational",
                          "normal", "--closed-until", until});
  EXPECT_EQ(open.exitCode, 2);
  EXPECT_NE(open.err.find("--closed-until is for a closed unit"), std::string::npos) << open.err;

  report(agent, kUnit, {"--clear-closed-until"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["closed_until"].is_null(); }))
      << unitStatus(kUnit).dump();
  EXPECT_EQ(unitStatus(kUnit)["operational"], "closed");
}

}  // namespace
}  // namespace samband::testing
