// Tests of the roster CSV reader and writer: RFC 4180 quoting, UTF-8 names, every
// validation rule with its line number, and export -> import round trips.
#include "broker/planning/roster_csv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace samband::broker {
namespace {

constexpr const char* kRosterHeader =
    "unit_code,unit_name,provider_id,district,lat,lon,school_forms\n";

std::vector<RosterRow> parseOk(const std::string& text) {
  auto result = parseRosterCsv(text);
  if (auto* errors = std::get_if<std::vector<RosterError>>(&result)) {
    for (const RosterError& e : *errors) ADD_FAILURE() << e.message;
    return {};
  }
  return std::get<std::vector<RosterRow>>(result);
}

std::vector<RosterError> parseErrors(const std::string& text) {
  auto result = parseRosterCsv(text);
  if (!std::holds_alternative<std::vector<RosterError>>(result)) {
    ADD_FAILURE() << "expected errors for:\n" << text;
    return {};
  }
  return std::get<std::vector<RosterError>>(result);
}

// The single error of a file whose header is line 1 and whose line 2 is `row`.
std::string rosterErrorOfRow(const std::string& row) {
  const auto errors = parseErrors(std::string(kRosterHeader) + row + "\n");
  if (errors.size() != 1u) {
    ADD_FAILURE() << "expected one error, got " << errors.size() << " for " << row;
    return {};
  }
  EXPECT_EQ(errors[0].line, 2);
  return errors[0].message;
}

TEST(RosterCsv, ParsesRowsWithRangesQuotesAndSwedishNames) {
  const auto rows = parseOk(std::string(kRosterHeader) +
                            "12345678,Ängsskolan,556677-8899,Södermalm,59.3147,18.0727,"
                            "grundskola:1-3;forskoleklass:0\n"
                            "23456789,\"Björk, Gran & \"\"Lönn\"\" förskola\",212000-0142,"
                            "\"Kungsholmen\",,,forskola:0\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].unit.code, "12345678");
  EXPECT_EQ(rows[0].unit.name, "Ängsskolan");
  EXPECT_EQ(rows[0].unit.providerId, "556677-8899");
  EXPECT_EQ(rows[0].unit.district, "Södermalm");
  ASSERT_TRUE(rows[0].unit.position.has_value());
  EXPECT_DOUBLE_EQ(rows[0].unit.position->lat, 59.3147);
  EXPECT_DOUBLE_EQ(rows[0].unit.position->lon, 18.0727);
  const std::vector<ClassKey> expected = {
      {"forskoleklass", 0}, {"grundskola", 1}, {"grundskola", 2}, {"grundskola", 3}};
  EXPECT_EQ(rows[0].classes, expected);
  EXPECT_EQ(rows[1].unit.name, "Björk, Gran & \"Lönn\" förskola");
  EXPECT_FALSE(rows[1].unit.position.has_value());
}

TEST(RosterCsv, AcceptsCrlfBomAnyColumnOrderAndBlankLines) {
  const auto rows = parseOk(
      "\xEF\xBB\xBFschool_forms,lon,lat,district,provider_id,unit_name,unit_code\r\n"
      "\r\n"
      "gymnasieskola:1-3,18.0,59.0,Norr,556677-8899,Gymnasiet,87654321\r\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].unit.code, "87654321");
  EXPECT_EQ(rows[0].unit.position->lat, 59.0);
  EXPECT_EQ(rows[0].classes.size(), 3u);
}

TEST(RosterCsv, QuotedFieldMaySpanLinesAndLineNumbersFollowThePhysicalLine) {
  // The quoted name spans lines 2-3, so the bad record after it starts on line 4.
  const auto errors = parseErrors(std::string(kRosterHeader) +
                                  "12345678,\"Två\nrader\",556677-8899,A,,,grundskola:1\n"
                                  "1234,Skola,556677-8899,A,,,grundskola:1\n");
  ASSERT_EQ(errors.size(), 2u);  // the line break in a name is refused too
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_NE(errors[0].message.find("unit_name must not contain line breaks"), std::string::npos);
  EXPECT_EQ(errors[1].line, 4);
  EXPECT_EQ(errors[1].message, "line 4: unit_code '1234' must be 8 digits");
}

TEST(RosterCsv, RejectsBadUnitCode) {
  EXPECT_EQ(rosterErrorOfRow("1234,Skola,556677-8899,A,,,grundskola:1"),
            "line 2: unit_code '1234' must be 8 digits");
  EXPECT_EQ(rosterErrorOfRow("1234567X,Skola,556677-8899,A,,,grundskola:1"),
            "line 2: unit_code '1234567X' must be 8 digits");
}

TEST(RosterCsv, RejectsDuplicateUnitCodeNamingTheFirstLine) {
  const auto errors = parseErrors(std::string(kRosterHeader) +
                                  "12345678,A,556677-8899,A,,,grundskola:1\n"
                                  "23456789,B,556677-8899,A,,,grundskola:1\n"
                                  "12345678,C,556677-8899,A,,,grundskola:1\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_EQ(errors[0].message, "line 4: unit_code '12345678' is already used on line 2");
}

TEST(RosterCsv, RejectsBadProviderId) {
  EXPECT_NE(rosterErrorOfRow("12345678,Skola,5566778899,A,,,grundskola:1")
                .find("line 2: provider_id '5566778899' must be an organisation number"),
            std::string::npos);
  EXPECT_NE(rosterErrorOfRow("12345678,Skola,55667-88990,A,,,grundskola:1").find("NNNNNN-NNNN"),
            std::string::npos);
}

TEST(RosterCsv, RejectsEmptyOrBrokenNames) {
  EXPECT_EQ(rosterErrorOfRow("12345678,,556677-8899,A,,,grundskola:1"),
            "line 2: unit_name must not be empty");
  EXPECT_NE(rosterErrorOfRow("12345678,Sk\xF6la,556677-8899,A,,,grundskola:1").find("UTF-8"),
            std::string::npos);
  EXPECT_NE(rosterErrorOfRow("12345678,Skola,556677-8899,S\xC3,,,grundskola:1").find("district"),
            std::string::npos);
}

TEST(RosterCsv, RejectsCoordinatesOutOfRangeOrHalfGiven) {
  EXPECT_NE(rosterErrorOfRow("12345678,Skola,556677-8899,A,95.1,18,grundskola:1")
                .find("line 2: lat '95.1' must be a number from -90 to 90"),
            std::string::npos);
  EXPECT_NE(rosterErrorOfRow("12345678,Skola,556677-8899,A,59,181,grundskola:1")
                .find("lon '181' must be a number from -180 to 180"),
            std::string::npos);
  EXPECT_NE(rosterErrorOfRow("12345678,Skola,556677-8899,A,\"59,3\",18,grundskola:1")
                .find("decimal point"),
            std::string::npos);
  EXPECT_EQ(rosterErrorOfRow("12345678,Skola,556677-8899,A,59.3,,grundskola:1"),
            "line 2: lat and lon must both be given or both be empty");
}

TEST(RosterCsv, RejectsBadSchoolForms) {
  EXPECT_NE(rosterErrorOfRow("12345678,Skola,556677-8899,A,,,grundskolan:1")
                .find("line 2: unknown school form 'grundskolan'"),
            std::string::npos);
  EXPECT_NE(rosterErrorOfRow("12345678,Skola,556677-8899,A,,,grundskola")
                .find("must be form:year or form:fromYear-toYear"),
            std::string::npos);
  EXPECT_NE(rosterErrorOfRow("12345678,Skola,556677-8899,A,,,grundskola:1-x").find("form:year"),
            std::string::npos);
  EXPECT_NE(rosterErrorOfRow("12345678,Skola,556677-8899,A,,,grundskola:9-1")
                .find("fromYear is after toYear"),
            std::string::npos);
  EXPECT_NE(rosterErrorOfRow("12345678,Skola,556677-8899,A,,,grundskola:1-14").find("0 to 13"),
            std::string::npos);
  EXPECT_EQ(rosterErrorOfRow("12345678,Skola,556677-8899,A,,,grundskola:1-3;grundskola:3"),
            "line 2: school_forms lists grundskola:3 more than once");
}

TEST(RosterCsv, RejectsMalformedRecords) {
  EXPECT_NE(rosterErrorOfRow("12345678,Skola,556677-8899,A,,").find("expected 7 fields, found 6"),
            std::string::npos);
  EXPECT_NE(rosterErrorOfRow("12345678,Sko\"la,556677-8899,A,,,grundskola:1")
                .find("quote inside an unquoted field"),
            std::string::npos);
  EXPECT_NE(rosterErrorOfRow("12345678,\"Skola\"x,556677-8899,A,,,grundskola:1")
                .find("text after a closing quote"),
            std::string::npos);
  EXPECT_NE(rosterErrorOfRow("12345678,\"Skola,556677-8899,A,,,grundskola:1").find("not closed"),
            std::string::npos);
}

TEST(RosterCsv, RejectsMissingOrUnknownHeaderColumns) {
  const auto missing = parseErrors("unit_code,unit_name,provider_id,district,lat,lon\n");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].message, "line 1: the header lacks column 'school_forms'");
  const auto unknown =
      parseErrors("unit_code,unit_name,provider_id,district,lat,lon,school_forms,kommun\n");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].message, "line 1: unknown column 'kommun' in the header");
  const auto twice =
      parseErrors("unit_code,unit_code,unit_name,provider_id,district,lat,lon,school_forms\n");
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_NE(twice[0].message.find("appears twice"), std::string::npos);
  const auto empty = parseErrors("");
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_NE(empty[0].message.find("line 1: the file is empty"), std::string::npos);
}

TEST(RosterCsv, ReportsEveryErrorAndReturnsNoRows) {
  const auto errors = parseErrors(std::string(kRosterHeader) +
                                  "12345678,Fine,556677-8899,A,,,grundskola:1\n"
                                  "123,Bad,556677-8899,A,,,grundskola:1\n"
                                  "23456789,Fine,556677-8899,A,,,grundskola:1\n"
                                  "34567890,Bad,1,A,,,fritids:1\n");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_EQ(errors[1].line, 5);
  EXPECT_EQ(errors[2].line, 5);
}

TEST(RosterCsv, HeaderOnlyGivesNoRows) { EXPECT_TRUE(parseOk(kRosterHeader).empty()); }

TEST(RosterCsv, RoundTripsThroughTheWriter) {
  std::vector<RosterRow> rows(3);
  rows[0].unit = {"12345678", "Ängsskolan", "556677-8899", "Södermalm", GeoPoint{59.3147, 18.0727}};
  rows[0].classes = {{"forskoleklass", 0}, {"grundskola", 1}, {"grundskola", 2},
                     {"grundskola", 3},    {"grundskola", 7}, {"fritidshem", 0}};
  std::sort(rows[0].classes.begin(), rows[0].classes.end());
  rows[1].unit = {"23456789", "Björk, Gran & \"Lönn\"", "212000-0142", "", std::nullopt};
  rows[1].classes = {{"forskola", 0}};
  rows[2].unit = {"34567890", "Gymnasiet", "212000-0142", "Norr",
                  GeoPoint{-0.1, 0.30000000000000004}};
  rows[2].classes = {};

  const std::string text = writeRosterCsv(rows);
  EXPECT_EQ(text.substr(0, text.find('\n') + 1), kRosterHeader);
  EXPECT_NE(text.find("forskoleklass:0;fritidshem:0;grundskola:1-3;grundskola:7"),
            std::string::npos);
  EXPECT_NE(text.find("\"Björk, Gran & \"\"Lönn\"\"\""), std::string::npos);
  const auto back = parseOk(text);
  EXPECT_EQ(back, rows);
  EXPECT_EQ(writeRosterCsv(back), text);
}

}  // namespace
}  // namespace samband::broker
