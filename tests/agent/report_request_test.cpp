// Report flags to wire bodies: every field lands where it belongs, every bad value is refused
// with a sentence naming the flag.
#include "agent/report_request.h"

#include <gtest/gtest.h>
#include "tests/support/test_time.h"

namespace samband::agent {
namespace {

using samband::test_time::kThursday;

AgentConfig config() {
  AgentConfig c;
  c.configPath = "/srv/samband/agent.toml";
  c.provider = "556677-8899";
  c.units = {"12345678", "87654321"};
  return c;
}

std::string errorOf(const ReportRequest& r) {
  auto d = buildReportDrafts(r, config(), kThursday);
  EXPECT_FALSE(d.ok());
  return d.ok() ? "" : d.error().message;
}

ReportRequest reduced() {
  ReportRequest r;
  r.unit = "12345678";
  r.operational = "reduced";
  return r;
}

TEST(ReportRequest, EveryUnitStatusFieldIsCarried) {
  ReportRequest r = reduced();
  r.mode = "exercise";
  r.reason = "Strömavbrott";
  r.expectedReopen = "2026-11-27T08:00:00+01:00";
  r.pupilsEnrolled = 200;
  r.pupilsPresent = 180;
  r.staffTotal = 20;
  r.staffAvailable = 14;
  r.criticalCare = "yes";
  r.specialSupport = "no";
  r.electricity = "backup";
  r.backupHours = 18;
  r.heating = "degraded";
  r.water = "ok";
  r.food = "down";
  r.it = "unknown";
  r.telephony = "ok";
  r.foodDays = 3;
  r.note = "Reservkraft";
  r.validUntil = "2026-11-26T18:00:00Z";
  auto d = buildReportDrafts(r, config(), kThursday);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].mode, common::Mode::EXERCISE);
  EXPECT_EQ((*d)[0].sentAt, kThursday);
  const auto& s = std::get<common::UnitStatusMsg>((*d)[0].payload);
  EXPECT_EQ(s.unitCode, "12345678");
  EXPECT_EQ(s.operational, common::OperationalState::REDUCED);
  EXPECT_EQ(s.reason, "Strömavbrott");
  EXPECT_EQ(s.expectedReopen, 1795762800000);
  EXPECT_EQ(s.pupilsEnrolled, 200);
  EXPECT_EQ(s.pupilsPresent, 180);
  EXPECT_EQ(s.staffTotal, 20);
  EXPECT_EQ(s.staffAvailable, 14);
  EXPECT_EQ(s.criticalCare, common::Offered::YES);
  EXPECT_EQ(s.specialSupport, common::Offered::NO);
  EXPECT_EQ(s.electricity, common::Electricity::BACKUP);
  EXPECT_EQ(s.backupHours, 18);
  EXPECT_EQ(s.heating, common::Supply::DEGRADED);
  EXPECT_EQ(s.water, common::Supply::OK);
  EXPECT_EQ(s.food, common::Supply::DOWN);
  EXPECT_EQ(s.it, common::Supply::UNKNOWN);
  EXPECT_EQ(s.telephony, common::Supply::OK);
  EXPECT_EQ(s.foodDays, 3);
  EXPECT_EQ(s.note, "Reservkraft");
  EXPECT_EQ(s.validUntil, 1795716000000);
}

TEST(ReportRequest, WithoutALastReportFieldsNotGivenStayUnknown) {
  auto d = buildReportDrafts(reduced(), config(), kThursday);
  ASSERT_TRUE(d.ok());
  const auto& s = std::get<common::UnitStatusMsg>((*d)[0].payload);
  EXPECT_EQ(s.pupilsPresent, -1);
  EXPECT_EQ(s.backupHours, -1);
  EXPECT_EQ(s.electricity, common::Electricity::UNKNOWN);
  EXPECT_EQ(s.validUntil, 0);
}

TEST(ReportRequest, CapacityAndContinuityBecomeTheirOwnBodies) {
  ReportRequest r = reduced();
  r.capacity = {"grundskola:4:52:3:6", "fritidshem:0:40:0:10"};
  r.continuity = "cannot_continue";
  r.continuityFrom = "2026-12-01T00:00:00Z";
  r.continuityNote = "Konkurs";
  auto d = buildReportDrafts(r, config(), kThursday);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->size(), 3u);
  const auto& cap = std::get<common::CapacityMsg>((*d)[1].payload);
  ASSERT_EQ(cap.entries.size(), 2u);
  EXPECT_EQ(cap.entries[0].form, common::SchoolForm::GRUNDSKOLA);
  EXPECT_EQ(cap.entries[0].year, 4);
  EXPECT_EQ(cap.entries[0].enrolled, 52);
  EXPECT_EQ(cap.entries[0].seatsNow, 3);
  EXPECT_EQ(cap.entries[0].seats72h, 6);
  const auto& co = std::get<common::ContinuityMsg>((*d)[2].payload);
  EXPECT_EQ(co.state, common::ContinuityState::CANNOT_CONTINUE);
  EXPECT_EQ(co.fromDate, 1796083200000);
  EXPECT_EQ(co.note, "Konkurs");
}

TEST(ReportRequest, ContinuityAloneNeedsNoUnit) {
  ReportRequest r;
  r.continuity = "at_risk";
  r.note = "Ekonomin";
  auto d = buildReportDrafts(r, config(), kThursday);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(std::get<common::ContinuityMsg>((*d)[0].payload).note, "Ekonomin");
}

TEST(ReportRequest, RefusesBadValuesNamingTheFlag) {
  ReportRequest r = reduced();
  r.operational = "sideways";
  EXPECT_NE(errorOf(r).find("--operational 'sideways'"), std::string::npos);
  r = reduced();
  r.pupilsPresent = -3;
  EXPECT_NE(errorOf(r).find("--pupils-present must be a whole number"), std::string::npos);
  r = reduced();
  r.staffAvailable = 30;
  r.staffTotal = 20;
  EXPECT_NE(errorOf(r).find("cannot exceed --staff-total"), std::string::npos);
  r = reduced();
  r.heating = "cold";
  EXPECT_NE(errorOf(r).find("--heating 'cold' is not one of"), std::string::npos);
  r = reduced();
  r.criticalCare = "maybe";
  EXPECT_NE(errorOf(r).find("--critical-care"), std::string::npos);
  r = reduced();
  r.validUntil = "2020-01-01";
  EXPECT_NE(errorOf(r).find("--valid-until '2020-01-01' is in the past"), std::string::npos);
  r = reduced();
  r.mode = "drill";
  EXPECT_NE(errorOf(r).find("--mode 'drill'"), std::string::npos);
  r = reduced();
  r.note = std::string(1001, 'x');
  EXPECT_NE(errorOf(r).find("--note must be plain text"), std::string::npos);
  r = reduced();
  r.capacity = {"grundskola:4:52:3"};
  EXPECT_NE(errorOf(r).find("--capacity 'grundskola:4:52:3'"), std::string::npos);
  r = reduced();
  r.capacity = {"universitet:1:1:1:1"};
  EXPECT_NE(errorOf(r).find("unknown school form"), std::string::npos);
  r = reduced();
  r.capacity = {"grundskola:4:52:3:6", "grundskola:4:50:1:1"};
  EXPECT_NE(errorOf(r).find("repeats a school form"), std::string::npos);
  r = reduced();
  r.continuity = "fine";
  EXPECT_NE(errorOf(r).find("--continuity 'fine'"), std::string::npos);
}

TEST(ReportRequest, RefusesAUnitNotInTheConfig) {
  ReportRequest r = reduced();
  r.unit = "99999999";
  std::string m = errorOf(r);
  EXPECT_NE(m.find("unit '99999999' is not one of this agent's units (12345678, 87654321)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("/srv/samband/agent.toml"), std::string::npos) << m;
}

TEST(ReportRequest, RefusesAnEmptyOrIncompleteReport) {
  ReportRequest r;
  r.unit = "12345678";
  EXPECT_NE(errorOf(r).find("nothing to report"), std::string::npos);
  r.pupilsPresent = 3;
  EXPECT_NE(errorOf(r).find("needs --operational"), std::string::npos);
  ReportRequest noUnit;
  noUnit.operational = "normal";
  EXPECT_NE(errorOf(noUnit).find("--unit is required"), std::string::npos);
}

// A last report with every field set, as `report` finds it in last_report.
LastReport lastReport() {
  LastReport last;
  common::UnitStatusMsg s;
  s.unitCode = "12345678";
  s.operational = common::OperationalState::REDUCED;
  s.reason = "Strömavbrott";
  s.expectedReopen = kThursday + 86400000;
  s.pupilsEnrolled = 200;
  s.pupilsPresent = 150;
  s.staffTotal = 20;
  s.staffAvailable = 14;
  s.criticalCare = common::Offered::YES;
  s.specialSupport = common::Offered::NO;
  s.electricity = common::Electricity::BACKUP;
  s.backupHours = 18;
  s.heating = common::Supply::DEGRADED;
  s.water = common::Supply::OK;
  s.food = common::Supply::DOWN;
  s.it = common::Supply::OK;
  s.telephony = common::Supply::OK;
  s.foodDays = 3;
  s.note = "Reservkraft";
  s.validUntil = kThursday + 3600000;
  last.status = s;
  last.statusSentAt = kThursday - 60000;
  common::CapacityMsg c;
  c.unitCode = "12345678";
  c.entries = {{common::SchoolForm::GRUNDSKOLA, 4, 52, 3, 6},
               {common::SchoolForm::GRUNDSKOLA, 5, 48, 0, 2}};
  last.capacity = c;
  last.capacitySentAt = kThursday - 60000;
  return last;
}

const common::UnitStatusMsg& statusOf(const std::vector<OutboxDraft>& drafts) {
  return std::get<common::UnitStatusMsg>(drafts.at(0).payload);
}

TEST(ReportRequest, CarriesForwardEveryFieldNotGiven) {
  ReportRequest r = reduced();
  r.pupilsPresent = 165;
  auto d = buildReportDrafts(r, config(), kThursday, lastReport());
  ASSERT_TRUE(d.ok()) << d.error().message;
  common::UnitStatusMsg want = *lastReport().status;
  want.pupilsPresent = 165;
  const auto& s = statusOf(*d);
  EXPECT_EQ(s.pupilsPresent, 165);
  EXPECT_EQ(s.pupilsEnrolled, want.pupilsEnrolled);
  EXPECT_EQ(s.electricity, want.electricity);
  EXPECT_EQ(s.backupHours, want.backupHours);
  EXPECT_EQ(s.heating, want.heating);
  EXPECT_EQ(s.water, want.water);
  EXPECT_EQ(s.food, want.food);
  EXPECT_EQ(s.it, want.it);
  EXPECT_EQ(s.telephony, want.telephony);
  EXPECT_EQ(s.foodDays, want.foodDays);
  EXPECT_EQ(s.criticalCare, want.criticalCare);
  EXPECT_EQ(s.specialSupport, want.specialSupport);
  EXPECT_EQ(s.reason, want.reason);
  EXPECT_EQ(s.note, want.note);
  EXPECT_EQ(s.expectedReopen, want.expectedReopen);
  EXPECT_EQ(s.validUntil, want.validUntil);
  EXPECT_EQ(s.staffTotal, want.staffTotal);
  EXPECT_EQ(s.staffAvailable, want.staffAvailable);
}

TEST(ReportRequest, StatusFlagsWithoutOperationalChangeTheLastStatus) {
  ReportRequest r;
  r.unit = "12345678";
  r.electricity = "grid";
  auto d = buildReportDrafts(r, config(), kThursday, lastReport());
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(statusOf(*d).operational, common::OperationalState::REDUCED);
  EXPECT_EQ(statusOf(*d).electricity, common::Electricity::GRID);
  EXPECT_EQ(statusOf(*d).pupilsPresent, 150);
}

TEST(ReportRequest, ResetsOnlyWhatIsSaidToBeReset) {
  ReportRequest r = reduced();
  r.electricity = "unknown";
  r.backupHours = kUnknownCount;
  r.clearNote = true;
  r.clearReason = true;
  r.clearExpectedReopen = true;
  r.clearValidUntil = true;
  auto d = buildReportDrafts(r, config(), kThursday, lastReport());
  ASSERT_TRUE(d.ok()) << d.error().message;
  const auto& s = statusOf(*d);
  EXPECT_EQ(s.electricity, common::Electricity::UNKNOWN);
  EXPECT_EQ(s.backupHours, -1);
  EXPECT_EQ(s.note, "");
  EXPECT_EQ(s.reason, "");
  EXPECT_EQ(s.expectedReopen, 0);
  EXPECT_EQ(s.validUntil, 0);
  EXPECT_EQ(s.foodDays, 3);
  EXPECT_EQ(s.heating, common::Supply::DEGRADED);
}

TEST(ReportRequest, DropsACarriedValidUntilThatHasPassed) {
  auto d = buildReportDrafts(reduced(), config(), kThursday + 7200000, lastReport());
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(statusOf(*d).validUntil, 0);
}

ReportRequest closedUntil(const std::string& day) {
  ReportRequest r;
  r.unit = "12345678";
  r.operational = "closed";
  r.closedUntil = day;
  return r;
}

TEST(ReportRequest, ClosedUntilIsADayOfAClosedUnitAndIsCarriedWhileItStaysClosed) {
  auto d = buildReportDrafts(closedUntil("2026-12-04"), config(), kThursday);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(statusOf(*d).closedUntil, "2026-12-04");
  EXPECT_EQ(buildReportDrafts(closedUntil("2026-11-26"), config(), kThursday).ok(), true)
      << "today is the last day closed";

  LastReport last;
  last.status = statusOf(*d);
  last.statusSentAt = kThursday;
  ReportRequest more;
  more.unit = "12345678";
  more.pupilsPresent = 0;
  auto carried = buildReportDrafts(more, config(), kThursday + 86'400'000, last);
  ASSERT_TRUE(carried.ok()) << carried.error().message;
  EXPECT_EQ(statusOf(*carried).closedUntil, "2026-12-04");

  ReportRequest clear = more;
  clear.clearClosedUntil = true;
  auto cleared = buildReportDrafts(clear, config(), kThursday, last);
  ASSERT_TRUE(cleared.ok()) << cleared.error().message;
  EXPECT_EQ(statusOf(*cleared).closedUntil, "");
  EXPECT_EQ(statusOf(*cleared).operational, common::OperationalState::CLOSED);

  ReportRequest reopened = reduced();
  auto open = buildReportDrafts(reopened, config(), kThursday, last);
  ASSERT_TRUE(open.ok()) << open.error().message;
  EXPECT_EQ(statusOf(*open).closedUntil, "") << "a unit no longer closed has no closed_until";

  auto later = buildReportDrafts(more, config(), kThursday + 9 * 86'400'000LL, last);
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_EQ(statusOf(*later).closedUntil, "") << "the day has passed";
}

TEST(ReportRequest, RefusesAClosedUntilThatIsNoDayInTheFutureOrNotOfAClosedUnit) {
  EXPECT_NE(errorOf(closedUntil("2026-11-25")).find("--closed-until '2026-11-25' is in the past"),
            std::string::npos);
  EXPECT_NE(errorOf(closedUntil("2026-02-30")).find("--closed-until \"2026-02-30\" is not a date"),
            std::string::npos)
      << errorOf(closedUntil("2026-02-30"));
  EXPECT_NE(errorOf(closedUntil("next week")).find("YYYY-MM-DD"), std::string::npos);
  ReportRequest r = reduced();
  r.closedUntil = "2026-12-04";
  EXPECT_NE(errorOf(r).find("--closed-until is for a closed unit: give --operational closed"),
            std::string::npos)
      << errorOf(r);
}

TEST(ReportRequest, ChecksAGivenCountAgainstOneCarriedForward) {
  ReportRequest r = reduced();
  r.pupilsPresent = 210;
  auto d = buildReportDrafts(r, config(), kThursday, lastReport());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("--pupils-enrolled (200 in the last report)"), std::string::npos)
      << d.error().message;
}

TEST(ReportRequest, CapacityReplacesOnlyTheRowsItNames) {
  ReportRequest r;
  r.unit = "12345678";
  r.capacity = {"grundskola:5:48:4:4", "forskoleklass:0:30:1:1"};
  auto d = buildReportDrafts(r, config(), kThursday, lastReport());
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->size(), 1u);
  const auto& c = std::get<common::CapacityMsg>((*d)[0].payload);
  ASSERT_EQ(c.entries.size(), 3u);
  EXPECT_EQ(c.entries[0].year, 4);  // kept as it was
  EXPECT_EQ(c.entries[0].seatsNow, 3);
  EXPECT_EQ(c.entries[1].year, 5);  // replaced
  EXPECT_EQ(c.entries[1].seatsNow, 4);
  EXPECT_EQ(c.entries[2].form, common::SchoolForm::FORSKOLEKLASS);  // added
}

}  // namespace
}  // namespace samband::agent
