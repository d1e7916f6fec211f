// Tests of LoginThrottle on a real SQLite file with a fake clock: every attempt is reserved
// before the password is checked (also from concurrent connections), free failures then doubling
// lock windows per name at one address and per address, a name's lock that binds only failing
// addresses, forgetting, and what a success clears.
#include "broker/accounts/login_throttle.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "tests/broker/store/store_fixture.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using samband::test_time::kNow;

class LoginThrottleTest : public testing::StoreFixture {
 protected:
  // Milliseconds to wait (0: admitted, and counted as a failure until succeed()).
  int64_t attempt(const std::string& name, const std::string& addr) {
    auto a = LoginThrottle(*store_).admit(name, addr, clock_.nowMs());
    EXPECT_TRUE(a.ok());
    last_ = a.ok() ? *a : LoginAdmission{};
    return a.ok() ? a->waitMs : -1;
  }
  void succeed(const std::string& name, const std::string& addr) {
    ASSERT_TRUE(LoginThrottle(*store_).succeeded(name, addr, clock_.nowMs()).ok());
  }
  common::FakeClock clock_{kNow};
  LoginAdmission last_;
};

TEST_F(LoginThrottleTest, ANameFromOneAddressGetsThreeFreeAttemptsThenTheLockDoubles) {
  EXPECT_EQ(attempt("anna", "10.0.0.1"), 0);
  EXPECT_EQ(attempt("anna", "10.0.0.1"), 0);
  EXPECT_EQ(attempt("anna", "10.0.0.1"), 0);  // the third failure locks for 1 s
  ASSERT_EQ(last_.lockoutsBegun.size(), 1u);
  EXPECT_EQ(last_.lockoutsBegun[0], LockScope::nameAddress);
  EXPECT_EQ(attempt("anna", "10.0.0.1"), 1000);
  EXPECT_EQ(last_.lockedBy, LockScope::nameAddress);
  clock_.advanceMs(1000);
  EXPECT_EQ(attempt("anna", "10.0.0.1"), 0);  // the fourth: 2 s
  EXPECT_EQ(attempt("anna", "10.0.0.1"), 2000);
  EXPECT_EQ(attempt("bertil", "10.0.0.1"), 0) << "another name from the same address";
}

TEST_F(LoginThrottleTest, AnotherAddressIsNotLockedOutByAGuessersFailures) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(attempt("anna", "10.0.0.66"), 0);
  EXPECT_GT(attempt("anna", "10.0.0.66"), 0);
  EXPECT_EQ(attempt("anna", "10.0.0.1"), 0) << "the real anna, from an address not failing";
  succeed("anna", "10.0.0.1");
  EXPECT_GT(attempt("anna", "10.0.0.66"), 0) << "her success does not free the guesser";
}

TEST_F(LoginThrottleTest, AnAddressIsLockedAfterFiveFailuresWhateverTheNames) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(attempt("namn" + std::to_string(i), "10.0.0.9"), 0);
  EXPECT_EQ(attempt("ny", "10.0.0.9"), 1000);
  EXPECT_EQ(last_.lockedBy, LockScope::address);
  EXPECT_EQ(attempt("ny", "10.0.0.8"), 0);
}

TEST_F(LoginThrottleTest, ANamesLockBindsOnlyAddressesThatHaveBeenFailing) {
  // Five machines guess anna once each: the name is locked, for those machines.
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(attempt("anna", "10.0.1." + std::to_string(i)), 0);
  EXPECT_EQ(attempt("anna", "10.0.1.1"), 1000);
  EXPECT_EQ(last_.lockedBy, LockScope::name);
  EXPECT_EQ(attempt("anna", "10.0.0.1"), 0) << "a clean address is always heard";
}

TEST_F(LoginThrottleTest, ConcurrentAttemptsAreReservedOneByOne) {
  // Forty guesses at once on separate connections: the lock is read and the attempt counted in
  // one transaction, so only the free attempts get through.
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&] {
      auto store = Store::open(dir_.file("broker.db"), Store::Access::readWrite);
      ASSERT_TRUE(store.ok());
      auto a = LoginThrottle(**store).admit("anna", "10.0.0.66", kNow);
      ASSERT_TRUE(a.ok()) << a.error().message;
      if (a->waitMs == 0) admitted++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), ThrottleRules{}.freePairFailures);
}

TEST_F(LoginThrottleTest, LockNeverExceedsTheCap) {
  for (int i = 0; i < 40; ++i) {
    clock_.advanceMs(ThrottleRules{}.maxLockMs);  // each lock has ended by then
    ASSERT_EQ(attempt("anna", "10.0.0.1"), 0) << i;
  }
  EXPECT_EQ(attempt("anna", "10.0.0.1"), ThrottleRules{}.maxLockMs);
}

TEST_F(LoginThrottleTest, OldFailuresAreForgotten) {
  attempt("anna", "10.0.0.1");
  attempt("anna", "10.0.0.1");
  clock_.advanceMs(ThrottleRules{}.forgetAfterMs);
  attempt("anna", "10.0.0.1");  // counts as the first again
  EXPECT_EQ(attempt("anna", "10.0.0.1"), 0);
}

TEST_F(LoginThrottleTest, SuccessClearsTheNameAtTheAddressAndTheAddress) {
  for (int i = 0; i < 5; ++i) attempt("anna", "10.0.0.1");
  clock_.advanceMs(ThrottleRules{}.maxLockMs);
  ASSERT_EQ(attempt("anna", "10.0.0.1"), 0);
  succeed("anna", "10.0.0.1");
  for (int i = 0; i < 2; ++i) EXPECT_EQ(attempt("anna", "10.0.0.1"), 0) << i;
}

TEST_F(LoginThrottleTest, SuccessForgivesTheNamesFailuresFromThatAddressOnly) {
  for (int i = 0; i < 3; ++i) attempt("anna", "10.0.0.1");                      // her own typos
  for (int i = 1; i <= 2; ++i) attempt("anna", "10.0.1." + std::to_string(i));  // guessers
  clock_.advanceMs(ThrottleRules{}.maxLockMs);
  ASSERT_EQ(attempt("anna", "10.0.0.1"), 0);
  succeed("anna", "10.0.0.1");
  // A typo after logging in does not meet a lock made of her own old failures ...
  EXPECT_EQ(attempt("anna", "10.0.0.1"), 0);
  EXPECT_EQ(attempt("anna", "10.0.0.1"), 0);
  // ... while the guessers' failures still count towards the name's lock.
  for (int i = 3; i <= 4; ++i) attempt("anna", "10.0.1." + std::to_string(i));
  EXPECT_GT(attempt("anna", "10.0.1.1"), 0);
  EXPECT_EQ(last_.lockedBy, LockScope::name);
}

}  // namespace
}  // namespace samband::broker
