// Dates and times on the command line.
#include "agent/time_input.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace samband::agent {
namespace {

TEST(TimeInput, AcceptsRfc3339WithZoneAndFraction) {
  EXPECT_EQ(*parseTimeInput("2026-11-26T07:00:00Z", "--x"), 1795676400000);
  EXPECT_EQ(*parseTimeInput("2026-11-26T08:00:00+01:00", "--x"), 1795676400000);
  EXPECT_EQ(*parseTimeInput("2026-11-26T06:30:00-00:30", "--x"), 1795676400000);
  EXPECT_EQ(*parseTimeInput("2026-11-26T07:00:00.250Z", "--x"), 1795676400250);
}

TEST(TimeInput, APlainDateIsLocalMidnight) {
  setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);  // Stockholm, without tzdata
  tzset();
  EXPECT_EQ(*parseTimeInput("2026-11-26", "--x"), 1795647600000);  // 2026-11-25T23:00Z
  unsetenv("TZ");
  tzset();
}

TEST(TimeInput, RefusesAnythingElseNamingTheFlag) {
  for (const char* bad : {"", "tomorrow", "2026-13-01", "2026-02-30", "2026-11-26T07:00:00",
                          "2026-11-26T25:00:00Z", "2026-11-26T07:00Z", "26-11-2026",
                          "2026-11-26T07:00:00+0100", "2026-11-26T07:00:00Zjunk"}) {
    auto r = parseTimeInput(bad, "--valid-until");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("--valid-until"), std::string::npos);
    EXPECT_NE(r.error().message.find("YYYY-MM-DD"), std::string::npos);
  }
}

}  // namespace
}  // namespace samband::agent
