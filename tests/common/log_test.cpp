// RateLimiter, driven by explicit times: at most N events per one-second window, and the count of
// suppressed events handed to the next event let through.
#include "common/log.h"

#include <gtest/gtest.h>

namespace samband::common {
namespace {

constexpr int64_t kT0 = 1764067580000;

TEST(RateLimiter, LetsThroughUpToTheLimitPerWindow) {
  RateLimiter limiter(3);
  uint64_t suppressed = 99;
  EXPECT_TRUE(limiter.allow(kT0, &suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_TRUE(limiter.allow(kT0 + 10, &suppressed));
  EXPECT_TRUE(limiter.allow(kT0 + 500, &suppressed));
  EXPECT_FALSE(limiter.allow(kT0 + 600, &suppressed));
  EXPECT_FALSE(limiter.allow(kT0 + 999, &suppressed));
}

TEST(RateLimiter, ReportsSuppressedCountWithTheNextAllowedEvent) {
  RateLimiter limiter(2);
  uint64_t suppressed = 0;
  ASSERT_TRUE(limiter.allow(kT0, &suppressed));
  ASSERT_TRUE(limiter.allow(kT0, &suppressed));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.allow(kT0 + 100, &suppressed));

  EXPECT_TRUE(limiter.allow(kT0 + 1000, &suppressed));
  EXPECT_EQ(suppressed, 5u);
  EXPECT_TRUE(limiter.allow(kT0 + 1001, &suppressed));
  EXPECT_EQ(suppressed, 0u) << "the count is reported once";
}

TEST(RateLimiter, WindowIsOneSecondFromItsFirstEvent) {
  RateLimiter limiter(1);
  uint64_t suppressed = 0;
  EXPECT_TRUE(limiter.allow(kT0 + 300, &suppressed));
  EXPECT_FALSE(limiter.allow(kT0 + 1299, &suppressed));
  EXPECT_TRUE(limiter.allow(kT0 + 1300, &suppressed));
  EXPECT_EQ(suppressed, 1u);
  EXPECT_FALSE(limiter.allow(kT0 + 2299, &suppressed));
}

TEST(RateLimiter, QuietPeriodsResetTheWindow) {
  RateLimiter limiter(1);
  uint64_t suppressed = 0;
  EXPECT_TRUE(limiter.allow(kT0, &suppressed));
  EXPECT_TRUE(limiter.allow(kT0 + 60000, &suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_FALSE(limiter.allow(kT0 + 60001, &suppressed));
}

TEST(RateLimiter, WorksWithoutASuppressedCounter) {
  RateLimiter limiter(1);
  EXPECT_TRUE(limiter.allow(kT0, nullptr));
  EXPECT_FALSE(limiter.allow(kT0, nullptr));
  EXPECT_TRUE(limiter.allow(kT0 + 1000, nullptr));
}

TEST(RateLimiter, ZeroPerSecondLetsNothingThrough) {
  RateLimiter limiter(0);
  uint64_t suppressed = 0;
  EXPECT_FALSE(limiter.allow(kT0, &suppressed));
  EXPECT_FALSE(limiter.allow(kT0 + 5000, &suppressed));
}

}  // namespace
}  // namespace samband::common
