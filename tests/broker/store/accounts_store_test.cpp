// Tests of AccountsStore's rows on a real SQLite file: users and sessions join, and login
// failures are read, rewritten and forgotten in one transaction.
#include "broker/store/accounts_store.h"

#include <gtest/gtest.h>

#include "tests/broker/store/store_fixture.h"

namespace samband::broker {
namespace {

constexpr int64_t kNow = 1764067580123;

using AccountsStoreTest = testing::StoreFixture;

TEST_F(AccountsStoreTest, SessionIsFoundWithItsUserUntilItExpires) {
  AccountsStore accounts(*store_);
  ASSERT_TRUE(accounts.addUser("anna", "operator", "$hash", kNow).ok());
  auto anna = accounts.findUser("anna");
  ASSERT_TRUE(anna.ok() && anna->has_value());
  ASSERT_TRUE(
      accounts.createSession({std::string(32, 'h'), (*anna)->id, "csrf", kNow, kNow + 10, "addr"})
          .ok());
  auto found = accounts.findSession(std::string(32, 'h'), kNow + 9);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->userName, "anna");
  EXPECT_EQ((*found)->role, "operator");
  EXPECT_FALSE(accounts.findSession(std::string(32, 'h'), kNow + 10)->has_value());
  EXPECT_FALSE(accounts.findSession(std::string(32, 'x'), kNow)->has_value());
}

TEST_F(AccountsStoreTest, LoginFailuresSeeTheirCurrentRowAndOldRowsAreForgotten) {
  AccountsStore accounts(*store_);
  auto bump = [](const std::string&, const std::optional<LoginFailureRow>& current) {
    LoginFailureRow next = current.value_or(LoginFailureRow{});
    next.failures++;
    next.lastFailureAt = kNow;
    next.lockedUntil = kNow + 1000 * next.failures;
    return next;
  };
  ASSERT_TRUE(accounts.recordLoginFailures({"user:a", "addr:x"}, 0, bump).ok());
  ASSERT_TRUE(accounts.recordLoginFailures({"user:a"}, 0, bump).ok());
  EXPECT_EQ(*accounts.lockedUntil("user:a"), kNow + 2000);
  EXPECT_EQ(*accounts.lockedUntil("addr:x"), kNow + 1000);
  EXPECT_EQ(*accounts.lockedUntil("user:nobody"), 0);
  ASSERT_TRUE(accounts.clearLoginFailures({"user:a"}).ok());
  EXPECT_EQ(*accounts.lockedUntil("user:a"), 0);
  // A later failure elsewhere forgets rows whose last failure is older than the cut-off.
  ASSERT_TRUE(accounts.recordLoginFailures({"user:b"}, kNow + 1, bump).ok());
  EXPECT_EQ(*accounts.lockedUntil("addr:x"), 0);
}

}  // namespace
}  // namespace samband::broker
