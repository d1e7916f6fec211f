// Tests of Users on a real SQLite file: adding, listing, finding, removing accounts and
// recording logins, without the board or the CLI in between.
#include "broker/accounts/users.h"

#include <gtest/gtest.h>

#include "broker/accounts/sessions.h"
#include "tests/broker/store/store_fixture.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using samband::test_time::kNow;
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

TEST_F(UsersTest, DistrictsAreStoredSortedAndReachEverySessionOfTheUser) {
  ASSERT_TRUE(Users(*store_)
                  .add("bodil", Role::viewer, kPassword, kNow, {"Farsta", "Bromma", "Farsta"})
                  .ok());
  ASSERT_TRUE(Users(*store_).add("anna", Role::operator_, kPassword, kNow).ok());
  auto bodil = Users(*store_).find("bodil");
  ASSERT_TRUE(bodil.ok() && bodil->has_value());
  EXPECT_EQ((*bodil)->districts, (std::vector<std::string>{"Bromma", "Farsta"}));
  auto created = Sessions(*store_).create(**bodil, "127.0.0.1", kNow, 60'000);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->session.districts, (std::vector<std::string>{"Bromma", "Farsta"}));
  auto found = Sessions(*store_).find(created->token, kNow + 1);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->districts, (std::vector<std::string>{"Bromma", "Farsta"}));
  auto list = Users(*store_).list(kNow);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_TRUE((*list)[0].districts.empty()) << "anna sees every district";
  EXPECT_EQ((*list)[1].districts, (std::vector<std::string>{"Bromma", "Farsta"}));
  // Removing the user removes its districts: a new user of the same name starts unlimited.
  ASSERT_TRUE(Users(*store_).remove("bodil").ok());
  ASSERT_TRUE(Users(*store_).add("bodil", Role::viewer, kPassword, kNow).ok());
  EXPECT_TRUE((*Users(*store_).find("bodil"))->districts.empty());
}

TEST_F(UsersTest, RefusesADistrictNameWithControlCharactersOrOnlyBlanks) {
  for (const std::string& bad :
       {std::string(""), std::string("   "), std::string("Bro\nmma"), std::string("Bro\x1b[31mmma"),
        std::string(101, 'x'), std::string("\xff\xfe")}) {
    auto s = Users(*store_).add("anna", Role::viewer, kPassword, kNow, {"Bromma", bad});
    ASSERT_FALSE(s.ok()) << "accepted district \"" << bad << "\"";
    EXPECT_EQ(s.error().kind, common::ErrorKind::invalidInput);
  }
  EXPECT_TRUE(Users(*store_).list(kNow)->empty()) << "nothing stored after a refusal";
  EXPECT_TRUE(isDistrictName("Hässelby-Vällingby"));
  EXPECT_TRUE(isDistrictName("Norra innerstaden"));
}

TEST_F(UsersTest, SetPasswordReplacesTheHashAndEndsTheOtherSessions) {
  ASSERT_TRUE(Users(*store_).add("anna", Role::viewer, kPassword, kNow).ok());
  auto anna = Users(*store_).find("anna");
  ASSERT_TRUE(anna.ok() && anna->has_value());
  auto here = Sessions(*store_).create(**anna, "127.0.0.1", kNow, 60'000);
  auto phone = Sessions(*store_).create(**anna, "127.0.0.2", kNow, 60'000);
  auto wall = Sessions(*store_).create(**anna, "127.0.0.3", kNow, 60'000);
  ASSERT_TRUE(here.ok() && phone.ok() && wall.ok());
  auto ended = Users(*store_).setPassword("anna", "ett helt nytt lösenord", kNow + 1, here->token);
  ASSERT_TRUE(ended.ok()) << ended.error().message;
  EXPECT_EQ(*ended, 2);
  EXPECT_TRUE(Sessions(*store_).find(here->token, kNow + 2)->has_value()) << "this session stays";
  EXPECT_FALSE(Sessions(*store_).find(phone->token, kNow + 2)->has_value());
  EXPECT_FALSE(Sessions(*store_).find(wall->token, kNow + 2)->has_value());
  auto after = Users(*store_).find("anna");
  EXPECT_TRUE(verifyPassword((*after)->passwordHash, "ett helt nytt lösenord"));
  EXPECT_FALSE(verifyPassword((*after)->passwordHash, kPassword));
  EXPECT_EQ(Users(*store_).list(kNow)->at(0).passwordChangedAt, kNow + 1);
  // Without a session to keep (the CLI's reset), every session ends.
  ASSERT_EQ(*Users(*store_).setPassword("anna", "och ännu ett lösenord", kNow + 2), 1);
  EXPECT_FALSE(Sessions(*store_).find(here->token, kNow + 3)->has_value());
}

TEST_F(UsersTest, SetPasswordRefusesAShortPasswordAndAnUnknownUserWithoutChangingAnything) {
  ASSERT_TRUE(Users(*store_).add("anna", Role::viewer, kPassword, kNow).ok());
  auto anna = Users(*store_).find("anna");
  auto session = Sessions(*store_).create(**anna, "127.0.0.1", kNow, 60'000);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(Users(*store_).setPassword("anna", "kort", kNow).error().kind,
            common::ErrorKind::invalidInput);
  EXPECT_EQ(Users(*store_).setPassword("ingen", "ett långt lösenord", kNow).error().kind,
            common::ErrorKind::notFound);
  EXPECT_TRUE(verifyPassword((*Users(*store_).find("anna"))->passwordHash, kPassword));
  EXPECT_TRUE(Sessions(*store_).find(session->token, kNow + 1)->has_value());
}

}  // namespace
}  // namespace samband::broker
