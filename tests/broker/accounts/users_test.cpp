// Tests of Users on a real SQLite file: adding, listing, finding, removing accounts and
// recording logins, without the board or the CLI in between.
#include "broker/accounts/users.h"

#include <gtest/gtest.h>

#include "broker/accounts/sessions.h"
#include "tests/broker/store/store_fixture.h"

namespace samband::broker {
namespace {

constexpr int64_t kNow = 1764067580123;
constexpr const char* kPassword = "korrekt hästbatteri";

using UsersTest = testing::StoreFixture;

TEST_F(UsersTest, AddedUserIsFoundWithAHashThatVerifies) {
  ASSERT_TRUE(Users(*store_).add("anna", Role::operator_, kPassword, kNow).ok());
  auto found = Users(*store_).find("anna");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->role, Role::operator_);
  EXPECT_TRUE(verifyPassword((*found)->passwordHash, kPassword));
  EXPECT_FALSE(verifyPassword((*found)->passwordHash, "fel lösenord här"));
}

TEST_F(UsersTest, RefusesATakenNameAsConflict) {
  ASSERT_TRUE(Users(*store_).add("anna", Role::viewer, kPassword, kNow).ok());
  auto again = Users(*store_).add("anna", Role::operator_, kPassword, kNow);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, common::ErrorKind::conflict);
}

TEST_F(UsersTest, RefusesABadNameAndAShortPasswordBeforeStoring) {
  EXPECT_EQ(Users(*store_).add("-anna", Role::viewer, kPassword, kNow).error().kind,
            common::ErrorKind::invalidInput);
  EXPECT_EQ(Users(*store_).add("anna", Role::viewer, "kort", kNow).error().kind,
            common::ErrorKind::invalidInput);
  EXPECT_TRUE(Users(*store_).list(kNow)->empty());
}

TEST_F(UsersTest, UnknownNameIsNotFound) {
  auto found = Users(*store_).find("ingen");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  EXPECT_EQ(Users(*store_).remove("ingen").error().kind, common::ErrorKind::notFound);
}

TEST_F(UsersTest, ListShowsRoleLastLoginAndLiveSessionsByName) {
  ASSERT_TRUE(Users(*store_).add("bertil", Role::viewer, kPassword, kNow).ok());
  ASSERT_TRUE(Users(*store_).add("anna", Role::operator_, kPassword, kNow).ok());
  auto anna = Users(*store_).find("anna");
  ASSERT_TRUE(anna.ok() && anna->has_value());
  ASSERT_TRUE(Users(*store_).recordLogin((*anna)->id, kNow + 5, std::nullopt).ok());
  ASSERT_TRUE(Sessions(*store_).create(**anna, "127.0.0.1", kNow + 5, 60'000).ok());
  auto list = Users(*store_).list(kNow + 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "anna");
  EXPECT_EQ((*list)[0].role, Role::operator_);
  EXPECT_EQ((*list)[0].lastLoginAt, kNow + 5);
  EXPECT_EQ((*list)[0].activeSessions, 1);
  EXPECT_EQ((*list)[1].name, "bertil");
  EXPECT_FALSE((*list)[1].lastLoginAt.has_value());
  EXPECT_EQ(Users(*store_).list(kNow + 60'005)->at(0).activeSessions, 0);
}

TEST_F(UsersTest, RecordLoginReplacesTheHashOnlyWhenGiven) {
  ASSERT_TRUE(Users(*store_).add("anna", Role::viewer, kPassword, kNow).ok());
  auto before = Users(*store_).find("anna");
  ASSERT_TRUE(before.ok() && before->has_value());
  ASSERT_TRUE(Users(*store_).recordLogin((*before)->id, kNow, std::nullopt).ok());
  EXPECT_EQ((*Users(*store_).find("anna"))->passwordHash, (*before)->passwordHash);
  ASSERT_TRUE(Users(*store_).recordLogin((*before)->id, kNow, std::string("$ny")).ok());
  EXPECT_EQ((*Users(*store_).find("anna"))->passwordHash, "$ny");
}

TEST_F(UsersTest, RemoveEndsTheUsersSessions) {
  ASSERT_TRUE(Users(*store_).add("anna", Role::viewer, kPassword, kNow).ok());
  auto anna = Users(*store_).find("anna");
  ASSERT_TRUE(anna.ok() && anna->has_value());
  auto created = Sessions(*store_).create(**anna, "127.0.0.1", kNow, 60'000);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(Users(*store_).remove("anna").ok());
  EXPECT_FALSE(Users(*store_).find("anna")->has_value());
  EXPECT_FALSE(Sessions(*store_).find(created->token, kNow + 1)->has_value());
  EXPECT_EQ(*Sessions(*store_).countActive(kNow + 1), 0);
}

}  // namespace
}  // namespace samband::broker
