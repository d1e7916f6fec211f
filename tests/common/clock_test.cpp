// Clocks and RFC 3339 formatting.
#include "common/clock.h"

#include <gtest/gtest.h>

namespace samband::common {
namespace {

TEST(Rfc3339, FormatsTheEpoch) { EXPECT_EQ(formatRfc3339(0), "1970-01-01T00:00:00.000Z"); }

TEST(Rfc3339, FormatsMillisecondsInUtc) {
  EXPECT_EQ(formatRfc3339(1764067580123), "2025-11-25T10:46:20.123Z");
  EXPECT_EQ(formatRfc3339(1764067580007), "2025-11-25T10:46:20.007Z");
  EXPECT_EQ(formatRfc3339(1764067580999), "2025-11-25T10:46:20.999Z");
}

TEST(Rfc3339, FormatsLeapDayAndYearEnd) {
  EXPECT_EQ(formatRfc3339(1709164800000), "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(formatRfc3339(1735689599999), "2024-12-31T23:59:59.999Z");
  EXPECT_EQ(formatRfc3339(4102444800000), "2100-01-01T00:00:00.000Z");
}

TEST(Rfc3339, FormatsTimesBeforeTheEpoch) {
  EXPECT_EQ(formatRfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(formatRfc3339(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(formatRfc3339(-1001), "1969-12-31T23:59:58.999Z");
}

TEST(FakeClock, StartsWhereToldAndMovesOnlyWhenTold) {
  FakeClock clock(1764067580123);
  EXPECT_EQ(clock.nowMs(), 1764067580123);
  EXPECT_EQ(clock.nowMs(), 1764067580123);
  clock.advanceMs(877);
  EXPECT_EQ(clock.nowMs(), 1764067581000);
  clock.setMs(5);
  EXPECT_EQ(clock.nowMs(), 5);
  const Clock& asClock = clock;
  EXPECT_EQ(asClock.nowMs(), 5);
}

TEST(SystemClock, ReadsAPlausibleWallClock) {
  SystemClock clock;
  EXPECT_GT(clock.nowMs(), 1735689600000);  // after 2025-01-01
}

TEST(MonotonicClock, NeverGoesBackwards) {
  int64_t last = monotonicMs();
  for (int i = 0; i < 10000; ++i) {
    int64_t now = monotonicMs();
    ASSERT_GE(now, last);
    last = now;
  }
}

}  // namespace
}  // namespace samband::common
