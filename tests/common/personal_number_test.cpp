// Personal identity and coordination numbers in free text: found with their check digit, in
// every written form, and never confused with organisation numbers, unit codes or counts.
#include "common/personal_number.h"

#include <gtest/gtest.h>

#include "common/message_rules.h"

namespace samband::common {
namespace {

// Skatteverket's published test numbers (valid check digits, not real people).
TEST(PersonalNumber, FindsEveryWrittenFormWithAValidCheckDigit) {
  EXPECT_EQ(findPersonalNumber("elev 121212-1212 saknas"), "121212-1212");
  EXPECT_EQ(findPersonalNumber("121212+1212"), "121212+1212");
  EXPECT_EQ(findPersonalNumber("x 1212121212 y"), "1212121212");
  EXPECT_EQ(findPersonalNumber("20121212-1212"), "20121212-1212");
  EXPECT_EQ(findPersonalNumber("ring om 201212121212."), "201212121212");
  EXPECT_EQ(findPersonalNumber("19900101-0017"), "19900101-0017");
}

TEST(PersonalNumber, FindsCoordinationNumbers) {
  // Day 61 = the 1st: samordningsnummer.
  EXPECT_EQ(findPersonalNumber("701063-2391"), "701063-2391");
}

TEST(PersonalNumber, IgnoresAWrongCheckDigit) {
  EXPECT_FALSE(findPersonalNumber("121212-1213"));
  EXPECT_FALSE(findPersonalNumber("201212121211"));
}

TEST(PersonalNumber, IgnoresOrganisationNumbersUnitCodesAndCounts) {
  EXPECT_FALSE(findPersonalNumber("556677-8899"));     // organisation number (month 67)
  EXPECT_FALSE(findPersonalNumber("556036-0793"));     // a real organisation number
  EXPECT_FALSE(findPersonalNumber("enhet 12345678"));  // school-unit code
  EXPECT_FALSE(findPersonalNumber("165 elever, 12 personal, 18 h reservkraft"));
  EXPECT_FALSE(findPersonalNumber("tel 08-508 000 00"));
}

TEST(PersonalNumber, IgnoresDigitsGluedToLongerNumbers) {
  EXPECT_FALSE(findPersonalNumber("91212121212"));    // 11 digits
  EXPECT_FALSE(findPersonalNumber("1212121212123"));  // 13 digits
  EXPECT_FALSE(findPersonalNumber("121212-12123"));   // 5-digit tail
  EXPECT_FALSE(findPersonalNumber("9121212-1212"));   // 7-digit head
}

TEST(PersonalNumber, IgnoresImpossibleDates) {
  EXPECT_FALSE(findPersonalNumber("121312-1212"));    // month 13
  EXPECT_FALSE(findPersonalNumber("121200-1212"));    // day 0
  EXPECT_FALSE(findPersonalNumber("17121212-1212"));  // century 17
}

TEST(PersonalNumber, SurvivesEdgesOfTheText) {
  EXPECT_FALSE(findPersonalNumber(""));
  EXPECT_FALSE(findPersonalNumber("121212-"));
  EXPECT_FALSE(findPersonalNumber("121212-12"));
  EXPECT_EQ(findPersonalNumber("1212121212"), "1212121212");
}

}  // namespace
}  // namespace samband::common

namespace samband::common {
namespace {

TEST(PersonalData, FindsANumberInEveryFreeTextAnAgentSignsAndNamesTheField) {
  UnitStatusMsg s;
  s.reason = "vattenläcka";
  s.note = "elev 19121212-1212";
  auto found = findPersonalData(s);
  ASSERT_TRUE(found.has_value());
  EXPECT_STREQ(found->field, "unit_status.note");
  EXPECT_EQ(found->number, "19121212-1212");
  s.reason = "701063-2391";
  EXPECT_STREQ(findPersonalData(s)->field, "unit_status.reason");
  EXPECT_STREQ(findPersonalData(ContinuityMsg{ContinuityState::AT_RISK, 0, "121212+1212"})->field,
               "continuity.note");
  ReadinessAnswerMsg answer;
  answer.checkId = "rc-1";
  answer.results.push_back({"duty_contact", true, "ring 191212121212"});
  EXPECT_TRUE(findPersonalData(answer).has_value());
}

TEST(PersonalData, OrganisationAndPhoneNumbersPass) {
  UnitStatusMsg s;
  s.note = "huvudman 556677-8899, ring 08-123 456 78 eller 070-123 45 67";
  EXPECT_FALSE(findPersonalData(s).has_value());
  EXPECT_FALSE(findPersonalData(HeartbeatMsg{}).has_value());
}

}  // namespace
}  // namespace samband::common
