// Reconnect backoff: jittered, doubling, capped, reset.
#include "agent/backoff.h"

#include <gtest/gtest.h>

namespace samband::agent {
namespace {

TEST(Backoff, EachWaitIsBetweenHalfAndAllOfTheStepWhichDoublesUpToTheMax) {
  Backoff b(200, 3000, 42);
  int64_t step = 200;
  for (int i = 0; i < 12; ++i) {
    int64_t d = b.nextDelayMs();
    EXPECT_GE(d, step / 2);
    EXPECT_LE(d, step);
    step = std::min<int64_t>(3000, step * 2);
  }
  EXPECT_EQ(b.currentStepMs(), 3000);
  b.reset();
  EXPECT_EQ(b.currentStepMs(), 200);
  EXPECT_LE(b.nextDelayMs(), 200);
}

TEST(Backoff, AgentsWithDifferentSeedsDoNotReconnectInLockstep) {
  Backoff a(30000, 30000, 1), b(30000, 30000, 2);
  int same = 0;
  for (int i = 0; i < 20; ++i) same += a.nextDelayMs() == b.nextDelayMs() ? 1 : 0;
  EXPECT_LT(same, 3);
}

}  // namespace
}  // namespace samband::agent
