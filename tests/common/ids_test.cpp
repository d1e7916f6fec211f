// Syntax of provider ids (organisation numbers) and school-unit codes.
#include "common/ids.h"

#include <gtest/gtest.h>

#include <string>

namespace samband::common {
namespace {

TEST(ProviderId, AcceptsSixDigitsDashFourDigits) {
  EXPECT_TRUE(isProviderId("556677-8899"));
  EXPECT_TRUE(isProviderId("000000-0000"));
  EXPECT_TRUE(isProviderId("999999-9999"));
}

TEST(ProviderId, RefusesEverythingElse) {
  for (const std::string& bad : {std::string(""),
                                 std::string("city"),
                                 std::string("5566778899"),
                                 std::string("556677+8899"),
                                 std::string("556677 8899"),
                                 std::string("556677--899"),
                                 std::string("55667-78899"),
                                 std::string("5566778-899"),
                                 std::string("556677-889"),
                                 std::string("556677-88999"),
                                 std::string("19556677-8899"),
                                 std::string(" 556677-8899"),
                                 std::string("556677-8899 "),
                                 std::string("556677-8899\n"),
                                 std::string("55667a-8899"),
                                 std::string("556677-889a"),
                                 std::string("-556677-889"),
                                 std::string("556677-\0899", 11),
                                 std::string("５５６６７７-８８９９"),
                                 std::string(11, '-')}) {
    EXPECT_FALSE(isProviderId(bad)) << "'" << bad << "'";
  }
}

TEST(UnitCode, AcceptsExactlyEightDigits) {
  EXPECT_TRUE(isUnitCode("12345678"));
  EXPECT_TRUE(isUnitCode("00000000"));
  EXPECT_TRUE(isUnitCode("99999999"));
}

TEST(UnitCode, RefusesEverythingElse) {
  for (const std::string& bad :
       {std::string(""), std::string("1234567"), std::string("123456789"), std::string("1234567a"),
        std::string("a2345678"), std::string("1234 678"), std::string("1234-678"),
        std::string(" 1234567"), std::string("1234567 "), std::string("+1234567"),
        std::string("-1234567"),
        std::string("1234\0"
                    "678",
                    8),
        std::string("１２３４５６７８"), std::string("12345678\n"), std::string("0x123456")}) {
    EXPECT_FALSE(isUnitCode(bad)) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace samband::common
