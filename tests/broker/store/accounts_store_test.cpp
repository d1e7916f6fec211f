// Tests of AccountsStore's rows on a real SQLite file: users and sessions join, and login
// failures are read, rewritten and forgotten in one transaction.
#include "broker/store/accounts_store.h"

#include <gtest/gtest.h>

#include "tests/broker/store/store_fixture.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using samband::test_time::kNow;

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

TEST_F(AccountsStoreTest, LoginFailuresAreRewrittenInOneTransactionAndOldRowsForgotten) {
  AccountsStore accounts(*store_);
  auto bumpAll = [](std::vector<std::optional<LoginFailureRow>>& rows) {
    for (auto& row : rows) {
      LoginFailureRow next = row.value_or(LoginFailureRow{});
      next.failures++;
      next.lastFailureAt = kNow;
      next.lockedUntil = kNow + 1000 * next.failures;
      row = next;
    }
  };
  std::vector<std::optional<LoginFailureRow>> seen;
  auto look = [&](std::vector<std::optional<LoginFailureRow>>& rows) { seen = rows; };
  ASSERT_TRUE(accounts.updateLoginFailures({"user:a", "addr:x"}, 0, bumpAll).ok());
  ASSERT_TRUE(accounts.updateLoginFailures({"user:a"}, 0, bumpAll).ok());
  ASSERT_TRUE(accounts.updateLoginFailures({"user:a", "addr:x", "user:nobody"}, 0, look).ok());
  ASSERT_EQ(seen.size(), 3u);
  ASSERT_TRUE(seen[0] && seen[1]);
  EXPECT_EQ(seen[0]->lockedUntil, kNow + 2000);
  EXPECT_EQ(seen[1]->lockedUntil, kNow + 1000);
  EXPECT_FALSE(seen[2]);
  // A row left without failures is deleted.
  auto clear = [](std::vector<std::optional<LoginFailureRow>>& rows) { rows[0]->failures = 0; };
  ASSERT_TRUE(accounts.updateLoginFailures({"user:a"}, 0, clear).ok());
  ASSERT_TRUE(accounts.updateLoginFailures({"user:a"}, 0, look).ok());
  EXPECT_FALSE(seen[0]);
  // A later update forgets rows whose last failure is older than the cut-off.
  ASSERT_TRUE(accounts.updateLoginFailures({"user:b"}, kNow + 1, bumpAll).ok());
  ASSERT_TRUE(accounts.updateLoginFailures({"addr:x"}, 0, look).ok());
  EXPECT_FALSE(seen[0]);
}

}  // namespace
}  // namespace samband::broker
