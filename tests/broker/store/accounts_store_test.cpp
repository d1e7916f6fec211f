// Tests of AccountsStore's rows on a real SQLite file: users and sessions join, and login
// failures are read, rewritten and forgotten in one transaction.
#include "broker/store/accounts_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/messages.h"

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

// Issue 15: board accounts replicate as city records that never hold the hash; the hash comes
// beside the frames and is kept under its own digest.

common::Bytes digestOf(const std::string& hash) {
  return common::hash256(reinterpret_cast<const uint8_t*>(hash.data()), hash.size());
}

common::AccountMsg setRecord(const std::string& name, const std::string& role,
                             const std::string& hash, std::vector<std::string> districts = {}) {
  return common::AccountMsg{common::AccountAction::SET, name, role, std::move(districts),
                            digestOf(hash)};
}

TEST_F(AccountsStoreTest, LocalChangesHandTheirRecordWithTheDigestNeverTheHash) {
  AccountsStore accounts(*store_);
  std::vector<common::AccountMsg> records;
  auto hook = [&](const common::AccountMsg& a) -> common::Status {
    records.push_back(a);
    return {};
  };
  ASSERT_TRUE(accounts.addUser("anna", "viewer", "$h1", kNow, {"Norr", "Bromma"}, hook).ok());
  ASSERT_TRUE(accounts.setPassword("anna", "$h2", kNow + 1, "", hook).ok());
  ASSERT_TRUE(accounts.removeUser("anna", kNow + 2, hook).ok());
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].action, common::AccountAction::SET);
  EXPECT_EQ(records[0].role, "viewer");
  EXPECT_EQ(records[0].districts, (std::vector<std::string>{"Bromma", "Norr"}));
  EXPECT_EQ(records[0].passwordDigest, digestOf("$h1"));
  EXPECT_EQ(records[1].passwordDigest, digestOf("$h2"));
  EXPECT_EQ(records[2].action, common::AccountAction::REMOVE);
  EXPECT_TRUE(records[2].passwordDigest.empty());
  // The hash of the current password is kept for the peers until no account names it.
  ASSERT_TRUE(accounts.addUser("bo", "operator", "$h3", kNow, {}, hook).ok());
  EXPECT_EQ(accounts.hashFor(digestOf("$h3"))->value_or(""), "$h3");
  EXPECT_FALSE(accounts.hashFor(digestOf("$h1"))->has_value());
  // A failing record undoes the change.
  auto failing = [](const common::AccountMsg&) -> common::Status {
    return common::unavailable("no");
  };
  EXPECT_FALSE(accounts.addUser("cia", "viewer", "$h4", kNow, {}, failing).ok());
  EXPECT_FALSE(accounts.findUser("cia")->has_value());
}

TEST_F(AccountsStoreTest, PeerAccountRecordsApplyOnceNewestWinsAndRemovalSticks) {
  AccountsStore accounts(*store_);
  // The hash arrived beside the record (kept under the digest computed here).
  ASSERT_TRUE(accounts.keepPulledHashes({"$peer-hash"}).ok());
  auto applied = accounts.applyAccount(setRecord("anna", "operator", "$peer-hash", {"Norr"}), kNow);
  ASSERT_TRUE(applied.ok());
  EXPECT_TRUE(applied->changed);
  EXPECT_TRUE(applied->conflicts.empty());
  auto anna = accounts.findUser("anna");
  ASSERT_TRUE(anna.ok() && anna->has_value());
  EXPECT_EQ((*anna)->passwordHash, "$peer-hash");
  EXPECT_EQ((*anna)->role, "operator");
  EXPECT_EQ((*anna)->districts, (std::vector<std::string>{"Norr"}));
  // Again: nothing changes.
  EXPECT_FALSE(accounts.applyAccount(setRecord("anna", "operator", "$peer-hash"), kNow)->changed);
  // Older than what is here: nothing changes.
  EXPECT_FALSE(accounts.applyAccount(setRecord("anna", "viewer", "$peer-hash"), kNow - 5)->changed);
  EXPECT_EQ((*accounts.findUser("anna"))->role, "operator");
  // A newer password without its hash: the account cannot log in until it comes; named.
  auto noHash = accounts.applyAccount(setRecord("anna", "operator", "$unknown"), kNow + 5);
  ASSERT_TRUE(noHash.ok());
  EXPECT_EQ(noHash->conflicts.size(), 1u);
  EXPECT_EQ((*accounts.findUser("anna"))->passwordHash, "!");
  // Removed; an older set pulled later does not bring it back; a newer one does.
  const common::AccountMsg removal{common::AccountAction::REMOVE, "anna", {}, {}, {}};
  EXPECT_TRUE(accounts.applyAccount(removal, kNow + 10)->changed);
  EXPECT_FALSE(accounts.findUser("anna")->has_value());
  EXPECT_FALSE(accounts.applyAccount(removal, kNow + 10)->changed);
  EXPECT_FALSE(accounts.applyAccount(setRecord("anna", "viewer", "$peer-hash"), kNow + 9)->changed);
  EXPECT_FALSE(accounts.findUser("anna")->has_value());
  ASSERT_TRUE(accounts.keepPulledHashes({"$new-hash"}).ok());
  EXPECT_TRUE(accounts.applyAccount(setRecord("anna", "viewer", "$new-hash"), kNow + 20)->changed);
  EXPECT_EQ((*accounts.findUser("anna"))->passwordHash, "$new-hash");
}

TEST_F(AccountsStoreTest, APeerPasswordChangeEndsTheAccountsSessionsHere) {
  AccountsStore accounts(*store_);
  ASSERT_TRUE(accounts.addUser("anna", "viewer", "$h1", kNow).ok());
  auto anna = accounts.findUser("anna");
  ASSERT_TRUE(
      accounts.createSession({std::string(32, 'h'), (*anna)->id, "csrf", kNow, kNow + 100, "a"})
          .ok());
  ASSERT_TRUE(accounts.keepPulledHashes({"$h2"}).ok());
  ASSERT_TRUE(accounts.applyAccount(setRecord("anna", "viewer", "$h2"), kNow + 1)->changed);
  EXPECT_FALSE(accounts.findSession(std::string(32, 'h'), kNow + 2)->has_value());
  // A new role or new districts end them too, as `user set` does where it was made.
  ASSERT_TRUE(
      accounts.createSession({std::string(32, 'i'), (*anna)->id, "csrf", kNow, kNow + 100, "a"})
          .ok());
  ASSERT_TRUE(accounts.applyAccount(setRecord("anna", "operator", "$h2"), kNow + 3)->changed);
  EXPECT_FALSE(accounts.findSession(std::string(32, 'i'), kNow + 4)->has_value());
  ASSERT_TRUE(
      accounts.createSession({std::string(32, 'j'), (*anna)->id, "csrf", kNow, kNow + 100, "a"})
          .ok());
  ASSERT_TRUE(
      accounts.applyAccount(setRecord("anna", "operator", "$h2", {"Norr"}), kNow + 5)->changed);
  EXPECT_FALSE(accounts.findSession(std::string(32, 'j'), kNow + 6)->has_value());
  // The same record again (a re-pull with a newer time) changes neither and ends nothing.
  ASSERT_TRUE(
      accounts.createSession({std::string(32, 'k'), (*anna)->id, "csrf", kNow, kNow + 100, "a"})
          .ok());
  ASSERT_TRUE(
      accounts.applyAccount(setRecord("anna", "operator", "$h2", {"Norr"}), kNow + 7)->changed);
  EXPECT_TRUE(accounts.findSession(std::string(32, 'k'), kNow + 8)->has_value());
}

TEST_F(AccountsStoreTest, SetAccessKeepsThePasswordEndsTheSessionsAndHandsItsRecord) {
  AccountsStore accounts(*store_);
  std::vector<common::AccountMsg> records;
  auto hook = [&](const common::AccountMsg& a) -> common::Status {
    records.push_back(a);
    return {};
  };
  ASSERT_TRUE(accounts.addUser("bodil", "viewer", "$hb", kNow, {"Bromma"}).ok());
  auto bodil = accounts.findUser("bodil");
  ASSERT_TRUE(
      accounts.createSession({std::string(32, 'b'), (*bodil)->id, "csrf", kNow, kNow + 100, "a"})
          .ok());
  auto ended = accounts.setAccess("bodil", "operator", {"Farsta", "Bromma"}, kNow + 1, hook);
  ASSERT_TRUE(ended.ok()) << ended.error().message;
  EXPECT_EQ(*ended, 1);
  EXPECT_FALSE(accounts.findSession(std::string(32, 'b'), kNow + 2)->has_value());
  auto after = accounts.findUser("bodil");
  EXPECT_EQ((*after)->role, "operator");
  EXPECT_EQ((*after)->districts, (std::vector<std::string>{"Bromma", "Farsta"}));
  EXPECT_EQ((*after)->passwordHash, "$hb");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action, common::AccountAction::SET);
  EXPECT_EQ(records[0].role, "operator");
  EXPECT_EQ(records[0].districts, (std::vector<std::string>{"Bromma", "Farsta"}));
  EXPECT_EQ(records[0].passwordDigest, digestOf("$hb"));
  EXPECT_EQ(accounts.setAccess("nobody", "viewer", {}, kNow).error().kind,
            common::ErrorKind::notFound);
  // A failing record undoes the change.
  auto failing = [](const common::AccountMsg&) -> common::Status {
    return common::unavailable("no");
  };
  EXPECT_FALSE(accounts.setAccess("bodil", "viewer", {}, kNow + 3, failing).ok());
  EXPECT_EQ((*accounts.findUser("bodil"))->role, "operator");
}

}  // namespace
}  // namespace samband::broker
