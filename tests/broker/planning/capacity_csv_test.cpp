// The capacity CSV of `samband-broker capacity import`: a valid file reads whole, every kind of
// malformed row is named with its line and nothing is returned then, and the writer's output
// reads back the same.
#include "broker/planning/capacity_csv.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

namespace samband::broker {
namespace {

const std::set<std::string> kRoster = {"10000001", "10000002", "20000001"};
constexpr const char* kHeader = "unit,school_form,year,enrolled,seats_now,seats_72h\n";

std::vector<CapacityCsvRow> rowsOf(const std::string& text) {
  auto parsed = parseCapacityCsv(text, kRoster);
  if (auto* errors = std::get_if<std::vector<CapacityCsvError>>(&parsed)) {
    for (const auto& e : *errors) ADD_FAILURE() << e.message;
    return {};
  }
  return std::get<std::vector<CapacityCsvRow>>(parsed);
}

std::vector<std::string> errorsOf(const std::string& text) {
  auto parsed = parseCapacityCsv(text, kRoster);
  std::vector<std::string> out;
  if (auto* errors = std::get_if<std::vector<CapacityCsvError>>(&parsed)) {
    for (const auto& e : *errors) out.push_back(e.message);
  } else {
    ADD_FAILURE() << "accepted: " << text;
  }
  return out;
}

// The one error of a file whose line 2 is `row`.
std::string errorOfRow(const std::string& row) {
  auto errors = errorsOf(std::string(kHeader) + row + "\n");
  EXPECT_EQ(errors.size(), 1u) << row;
  return errors.empty() ? "" : errors[0];
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(CapacityCsv, ReadsEveryRowOfAValidFile) {
  auto rows = rowsOf(
      "\xEF\xBB\xBF"
      "unit,school_form,year,enrolled,seats_now,seats_72h\r\n"
      "10000001,grundskola,4,52,3,6\r\n"
      "\r\n"
      "10000001,fritidshem,0,40,0,10\r\n"
      "\"20000001\", forskoleklass ,0,25,2,2\r\n"
      "10000002,grundskola,4,28,9,4\r\n");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (CapacityCsvRow{"10000001", "grundskola", 4, 52, 3, 6, 0}));
  EXPECT_EQ(rows[0].line, 2);
  EXPECT_EQ(rows[1].form, "fritidshem");
  EXPECT_EQ(rows[1].line, 4);
  EXPECT_EQ(rows[2].unit, "20000001");
  EXPECT_EQ(rows[2].form, "forskoleklass");
  EXPECT_EQ(rows[3].seatsNow, 9) << "seats_72h below seats_now is accepted, as from an agent";
  EXPECT_EQ(rows[3].seats72h, 4);
}

TEST(CapacityCsv, ColumnsMayComeInAnyOrder) {
  auto rows =
      rowsOf("seats_72h,unit,year,school_form,seats_now,enrolled\n6,10000001,4,grundskola,3,52\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (CapacityCsvRow{"10000001", "grundskola", 4, 52, 3, 6, 0}));
}

TEST(CapacityCsv, ABadHeaderIsLineOne) {
  for (const char* header : {"unit,school_form,year,enrolled,seats_now\n",
                             "unit,form,year,enrolled,seats_now,seats_72h\n",
                             "unit,school_form,year,enrolled,seats_now,seats_72h,note\n",
                             "unit,unit,school_form,year,enrolled,seats_now,seats_72h\n"}) {
    auto errors = errorsOf(std::string(header) + "10000001,grundskola,4,52,3,6\n");
    ASSERT_FALSE(errors.empty()) << header;
    for (const auto& e : errors) EXPECT_TRUE(has(e, "line 1: ")) << e;
  }
  auto empty = errorsOf("\n\n");
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_TRUE(has(empty[0], "line 1: the file is empty")) << empty[0];
  EXPECT_TRUE(has(errorsOf("unit,school_form,year,enrolled,seats_now\n")[0],
                  "the header lacks column 'seats_72h'"));
}

TEST(CapacityCsv, EachMalformedRowKindIsNamedWithItsLine) {
  EXPECT_TRUE(has(errorOfRow("30000001,grundskola,4,52,3,6"),
                  "line 2: unit 30000001 is not in the roster"));
  EXPECT_TRUE(has(errorOfRow("1000001,grundskola,4,52,3,6"),
                  "line 2: unit '1000001' must be an 8-digit school-unit code"));
  EXPECT_TRUE(has(errorOfRow("10000001,grundskolan,4,52,3,6"),
                  "line 2: unknown school_form 'grundskolan'; use one of forskola,"));
  EXPECT_TRUE(has(errorOfRow("10000001,grundskola,14,52,3,6"),
                  "line 2: year '14' must be a whole number from 0 to 13"));
  EXPECT_TRUE(has(errorOfRow("10000001,grundskola,-1,52,3,6"), "line 2: year '-1'"));
  EXPECT_TRUE(has(errorOfRow("10000001,grundskola,4,-52,3,6"),
                  "line 2: enrolled '-52' must be a whole number from 0 to 100000"));
  EXPECT_TRUE(has(errorOfRow("10000001,grundskola,4,52,tre,6"), "line 2: seats_now 'tre'"));
  EXPECT_TRUE(has(errorOfRow("10000001,grundskola,4,52,3,6.5"), "line 2: seats_72h '6.5'"));
  EXPECT_TRUE(has(errorOfRow("10000001,grundskola,4,52,3,"), "line 2: seats_72h ''"));
  EXPECT_TRUE(has(errorOfRow("10000001,grundskola,4,100001,3,6"), "line 2: enrolled '100001'"));
  EXPECT_TRUE(has(errorOfRow("10000001,grundskola,4,52,3"), "line 2: expected 6 fields"));
  EXPECT_TRUE(
      has(errorOfRow("10000001,grundskola,4,52,3,\"6"), "line 2: a quoted field is not closed"));
}

TEST(CapacityCsv, ADuplicateRowNamesBothLinesAndEveryProblemIsListed) {
  auto errors = errorsOf(std::string(kHeader) +
                         "10000001,grundskola,4,52,3,6\n"
                         "10000001,grundskola,5,50,3,6\n"
                         "\n"
                         "10000001,grundskola,4,53,3,6\n"
                         "10000002,skola,4,1,1,1\n"
                         "10000002,grundskola,4,1,x,1\n");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_TRUE(has(errors[0], "line 5: unit 10000001 grundskola year 4 is already on line 2"))
      << errors[0];
  EXPECT_TRUE(has(errors[1], "line 6: unknown school_form 'skola'")) << errors[1];
  EXPECT_TRUE(has(errors[2], "line 7: seats_now 'x'")) << errors[2];
}

TEST(CapacityCsv, AllRowsOrNone) {
  auto parsed = parseCapacityCsv(std::string(kHeader) +
                                     "10000001,grundskola,4,52,3,6\n"
                                     "10000002,grundskola,4,52,3,x\n",
                                 kRoster);
  ASSERT_TRUE(std::holds_alternative<std::vector<CapacityCsvError>>(parsed))
      << "one bad row: no rows at all";
}

TEST(CapacityCsv, WhatItWritesReadsBackTheSame) {
  std::vector<CapacityCsvRow> rows = {{"10000001", "grundskola", 4, 52, 3, 6, 0},
                                      {"10000001", "fritidshem", 0, 40, 0, 10, 0},
                                      {"20000001", "forskoleklass", 0, 25, 2, 2, 0}};
  const std::string text = writeCapacityCsv(rows);
  EXPECT_EQ(text.substr(0, text.find('\n') + 1), kHeader);
  EXPECT_EQ(rowsOf(text), rows);
}

}  // namespace
}  // namespace samband::broker
