// Tests of LoginThrottle on a real SQLite file with a fake clock: free failures, doubling lock
// windows up to the cap, separate name and address counters, forgetting, and clearing.
#include "broker/accounts/login_throttle.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "tests/broker/store/store_fixture.h"

namespace samband::broker {
namespace {

constexpr int64_t kNow = 1764067580123;

class LoginThrottleTest : public testing::StoreFixture {
 protected:
  int64_t wait(const std::string& name, const std::string& addr) {
    auto w = LoginThrottle(*store_).waitMs(name, addr, clock_.nowMs());
    EXPECT_TRUE(w.ok());
    return w.ok() ? *w : -1;
  }
  void fail(const std::string& name, const std::string& addr) {
    ASSERT_TRUE(LoginThrottle(*store_).recordFailure(name, addr, clock_.nowMs()).ok());
  }
  common::FakeClock clock_{kNow};
};

TEST_F(LoginThrottleTest, FirstFailuresOfANameAreFreeThenLockDoubles) {
  fail("anna", "10.0.0.1");
  fail("anna", "10.0.0.2");
  EXPECT_EQ(wait("anna", "10.0.0.3"), 0);
  fail("anna", "10.0.0.3");  // the third: 1 s
  EXPECT_EQ(wait("anna", "10.0.0.4"), 1000);
  clock_.advanceMs(1000);
  EXPECT_EQ(wait("anna", "10.0.0.4"), 0);
  fail("anna", "10.0.0.4");  // the fourth: 2 s
  EXPECT_EQ(wait("anna", "10.0.0.5"), 2000);
  EXPECT_EQ(wait("bertil", "10.0.0.5"), 0);
}

TEST_F(LoginThrottleTest, AnAddressIsLockedAfterItsOwnFreeFailures) {
  for (int i = 0; i < 9; ++i) fail("namn" + std::to_string(i), "10.0.0.9");
  EXPECT_EQ(wait("ny", "10.0.0.9"), 0);
  fail("namn9", "10.0.0.9");
  EXPECT_EQ(wait("ny", "10.0.0.9"), 1000);
  EXPECT_EQ(wait("ny", "10.0.0.8"), 0);
}

TEST_F(LoginThrottleTest, LockNeverExceedsTheCap) {
  for (int i = 0; i < 40; ++i) fail("anna", "10.0.0." + std::to_string(i));
  EXPECT_EQ(wait("anna", "10.0.1.1"), ThrottleRules{}.maxLockMs);
}

TEST_F(LoginThrottleTest, OldFailuresAreForgotten) {
  fail("anna", "10.0.0.1");
  fail("anna", "10.0.0.1");
  clock_.advanceMs(ThrottleRules{}.forgetAfterMs);
  fail("anna", "10.0.0.1");  // counts as the first again
  EXPECT_EQ(wait("anna", "10.0.0.1"), 0);
}

TEST_F(LoginThrottleTest, SuccessClearsBothCounters) {
  for (int i = 0; i < 10; ++i) fail("anna", "10.0.0.1");
  ASSERT_GT(wait("anna", "10.0.0.1"), 0);
  ASSERT_TRUE(LoginThrottle(*store_).recordSuccess("anna", "10.0.0.1").ok());
  EXPECT_EQ(wait("anna", "10.0.0.1"), 0);
}

}  // namespace
}  // namespace samband::broker
