// Reports as JSON (agent/report_json.h): the shape of `last --json` is accepted, every bad field
// is named, and a parsed report goes through the same checks as the command line.
#include "agent/report_json.h"

#include <gtest/gtest.h>

#include "agent/report_request.h"

namespace samband::agent {
namespace {

std::string fieldOf(std::string_view body) {
  auto r = parseReportJson(body);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return "<accepted>";
  EXPECT_EQ(r.error().kind, common::ErrorKind::invalidInput);
  return reportFieldOfError(r.error().message);
}

TEST(ReportJsonTest, ReadsEveryFieldOfTheLastReportShape) {
  auto r = parseReportJson(R"({
    "code": "12345678", "mode": "exercise", "operational": "reduced", "reason": "Strömavbrott",
    "pupils_present": 165, "pupils_enrolled": 210, "staff_available": 14, "staff_total": 20,
    "critical_care": "yes", "special_support": "unknown", "electricity": "backup",
    "backup_hours": 18, "resources": {"heating": "degraded", "water": "ok", "food": "ok",
    "it": "down", "telephony": "ok"}, "food_days": 4, "note": "Hus B kallt",
    "expected_reopen": "2026-11-27", "valid_until": null, "reported_at": "2026-11-26T06:30:00Z",
    "capacity": {"reported_at": null, "entries": [{"form": "grundskola", "year": 4,
    "enrolled": 52, "seats_now": 3, "seats_72h": 6}]}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->unit, "12345678");
  EXPECT_EQ(r->mode, "exercise");
  EXPECT_EQ(r->operational, "reduced");
  EXPECT_EQ(r->reason, "Strömavbrott");
  EXPECT_EQ(r->pupilsPresent, 165);
  EXPECT_EQ(r->staffTotal, 20);
  EXPECT_EQ(r->electricity, "backup");
  EXPECT_EQ(r->heating, "degraded");
  EXPECT_EQ(r->it, "down");
  EXPECT_EQ(r->foodDays, 4);
  EXPECT_EQ(r->note, "Hus B kallt");
  EXPECT_EQ(r->expectedReopen, "2026-11-27");
  EXPECT_TRUE(r->clearValidUntil);
  ASSERT_EQ(r->capacity.size(), 1u);
  EXPECT_EQ(r->capacity[0], "grundskola:4:52:3:6");
}

TEST(ReportJsonTest, NamesOnlyWhatIsGivenSoTheRestCarriesForward) {
  auto r = parseReportJson(R"({"unit": "12345678", "pupils_present": 150, "heating": "down"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->pupilsPresent, 150);
  EXPECT_EQ(r->heating, "down");
  EXPECT_FALSE(r->operational);
  EXPECT_FALSE(r->note);
  EXPECT_FALSE(r->clearNote);
  EXPECT_FALSE(r->water);
  EXPECT_TRUE(r->capacity.empty());
}

TEST(ReportJsonTest, NullMeansUnknownForCountsAndEmptyForTexts) {
  auto r = parseReportJson(
      R"({"unit": "12345678", "pupils_present": null, "staff_total": "unknown", "note": "",
          "reason": null})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->pupilsPresent, kUnknownCount);
  EXPECT_EQ(r->staffTotal, kUnknownCount);
  EXPECT_TRUE(r->clearNote);
  EXPECT_TRUE(r->clearReason);
}

TEST(ReportJsonTest, EveryBadFieldIsNamed) {
  EXPECT_EQ(fieldOf(R"({"unit": "1", "pupils_presnt": 3})"), "pupils_presnt");
  EXPECT_EQ(fieldOf(R"({"unit": "1", "pupils_present": "many"})"), "pupils_present");
  EXPECT_EQ(fieldOf(R"({"unit": "1", "pupils_present": 1.5})"), "pupils_present");
  EXPECT_EQ(fieldOf(R"({"unit": 12345678})"), "unit");
  EXPECT_EQ(fieldOf(R"({"unit": "1", "resources": {"gas": "ok"}})"), "resources.gas");
  EXPECT_EQ(fieldOf(R"({"unit": "1", "resources": {"heating": 1}})"), "resources.heating");
  EXPECT_EQ(fieldOf(R"({"unit": "1", "heating": "ok", "resources": {"heating": "ok"}})"),
            "heating");
  EXPECT_EQ(fieldOf(R"({"unit": "1", "capacity": [{"form": "grundskola", "year": 4}]})"),
            "capacity[0].enrolled");
  EXPECT_EQ(fieldOf(R"({"unit": "1", "capacity": [{"form": "grundskola", "year": 4,
      "enrolled": 1, "seats_now": -1, "seats_72h": 0}]})"),
            "capacity[0].seats_now");
  EXPECT_EQ(fieldOf(R"({"unit": "1", "capacity": [{"form": "grundskola", "year": 4,
      "enrolled": 1, "seats_now": 1, "seats_72h": 1, "seats": 2}]})"),
            "capacity[0].seats");
  EXPECT_EQ(fieldOf(R"({"unit": "1", "capacity": "grundskola:4:1:1:1"})"), "capacity");
  const std::string both = fieldOf(R"({"unit": "1", "code": "2"})");
  EXPECT_TRUE(both == "unit" || both == "code") << both;
}

TEST(ReportJsonTest, ClosedUntilIsADateOrNullToDropIt) {
  AgentConfig config;
  config.provider = "556677-8899";
  config.units = {"12345678"};
  auto r = parseReportJson(
      R"({"unit": "12345678", "operational": "closed", "closed_until": "2027-01-22"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->closedUntil, "2027-01-22");
  auto drafts = buildReportDrafts(*r, config, 1'800'000'000'000);  // 2027-01-15
  ASSERT_TRUE(drafts.ok()) << drafts.error().message;
  EXPECT_EQ(std::get<common::UnitStatusMsg>((*drafts)[0].payload).closedUntil, "2027-01-22");
  r = parseReportJson(R"({"unit": "12345678", "closed_until": null})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->clearClosedUntil);
  EXPECT_EQ(fieldOf(R"({"unit": "12345678", "closed_until": 20270122})"), "closed_until");
  r = parseReportJson(
      R"({"unit": "12345678", "operational": "closed", "closed_until": "2027-01-14"})");
  ASSERT_TRUE(r.ok());
  drafts = buildReportDrafts(*r, config, 1'800'000'000'000);
  ASSERT_FALSE(drafts.ok());
  EXPECT_EQ(reportFieldOfError(drafts.error().message), "closed_until");
}

TEST(ReportJsonTest, TheBodyAsAWholeIsRefusedWithoutAField) {
  EXPECT_EQ(fieldOf("{\"unit\": "), "");
  EXPECT_EQ(fieldOf("[1, 2]"), "");
  EXPECT_EQ(fieldOf(""), "");
  EXPECT_EQ(fieldOf(std::string(kMaxReportJsonBytes + 1, ' ')), "");
  // Deep nesting is refused as an unknown field, not by running out of stack.
  EXPECT_EQ(fieldOf("{\"x\": " + std::string(10000, '[') + std::string(10000, ']') + "}"), "x");
}

TEST(ReportJsonTest, ChecksOfTheCommandLineNameTheJsonField) {
  AgentConfig config;
  config.provider = "556677-8899";
  config.units = {"12345678"};
  auto r = parseReportJson(R"({"unit": "12345678", "operational": "sideways"})");
  ASSERT_TRUE(r.ok());
  auto drafts = buildReportDrafts(*r, config, 1'800'000'000'000);
  ASSERT_FALSE(drafts.ok());
  EXPECT_EQ(reportFieldOfError(drafts.error().message), "operational");
  r = parseReportJson(R"({"unit": "12345678", "operational": "normal", "food_days": 99999})");
  ASSERT_TRUE(r.ok());
  drafts = buildReportDrafts(*r, config, 1'800'000'000'000);
  ASSERT_FALSE(drafts.ok());
  EXPECT_EQ(reportFieldOfError(drafts.error().message), "food_days");
  r = parseReportJson(R"({"unit": "12345678", "capacity": [{"form": "skola", "year": 4,
      "enrolled": 1, "seats_now": 1, "seats_72h": 1}]})");
  ASSERT_TRUE(r.ok());
  drafts = buildReportDrafts(*r, config, 1'800'000'000'000);
  ASSERT_FALSE(drafts.ok());
  EXPECT_EQ(reportFieldOfError(drafts.error().message), "capacity");
}

}  // namespace
}  // namespace samband::agent
