// Tests of Sessions on a real SQLite file: a session is found by its token until it expires or
// ends, the database never holds the token, and malformed tokens find nothing.
#include "broker/accounts/sessions.h"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include "tests/broker/store/store_fixture.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using samband::test_time::kNow;
constexpr int64_t kTtl = 60'000;

class SessionsTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    ASSERT_TRUE(Users(*store_).add("anna", Role::operator_, "korrekt hästbatteri", kNow).ok());
    auto found = Users(*store_).find("anna");
    ASSERT_TRUE(found.ok() && found->has_value());
    anna_ = **found;
  }
  Credentials anna_;
};

TEST_F(SessionsTest, CreatedSessionIsFoundUntilItExpires) {
  auto created = Sessions(*store_).create(anna_, "10.0.0.1", kNow, kTtl);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->token.size(), 43u);
  auto found = Sessions(*store_).find(created->token, kNow + kTtl - 1);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->userName, "anna");
  EXPECT_EQ((*found)->role, Role::operator_);
  EXPECT_EQ((*found)->csrfToken, created->session.csrfToken);
  EXPECT_EQ((*found)->expiresAt, kNow + kTtl);
  EXPECT_FALSE(Sessions(*store_).find(created->token, kNow + kTtl)->has_value());
}

TEST_F(SessionsTest, EndedSessionIsGone) {
  auto created = Sessions(*store_).create(anna_, "10.0.0.1", kNow, kTtl);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(Sessions(*store_).end(created->token).ok());
  EXPECT_FALSE(Sessions(*store_).find(created->token, kNow + 1)->has_value());
}

TEST_F(SessionsTest, MalformedOrUnknownTokensFindNothing) {
  ASSERT_TRUE(Sessions(*store_).create(anna_, "10.0.0.1", kNow, kTtl).ok());
  for (const std::string& token :
       {std::string(), std::string("kort"), std::string(43, '*'), randomToken()}) {
    auto found = Sessions(*store_).find(token, kNow + 1);
    ASSERT_TRUE(found.ok());
    EXPECT_FALSE(found->has_value()) << token;
  }
  EXPECT_TRUE(Sessions(*store_).end("not a token").ok());
}

TEST_F(SessionsTest, DatabaseHoldsOnlyTheTokensHash) {
  auto created = Sessions(*store_).create(anna_, "10.0.0.1", kNow, kTtl);
  ASSERT_TRUE(created.ok());
  SQLite::Statement q(store_->db(), "SELECT token_hash FROM sessions");
  ASSERT_TRUE(q.executeStep());
  std::string stored(static_cast<const char*>(q.getColumn(0).getBlob()),
                     static_cast<size_t>(q.getColumn(0).getBytes()));
  EXPECT_EQ(stored.size(), 32u);
  EXPECT_EQ(stored.find(created->token), std::string::npos);
}

TEST_F(SessionsTest, CreatingASessionPurgesExpiredOnesAndCountsLiveOnes) {
  ASSERT_TRUE(Sessions(*store_).create(anna_, "10.0.0.1", kNow, kTtl).ok());
  ASSERT_TRUE(Sessions(*store_).create(anna_, "10.0.0.2", kNow + 10, kTtl).ok());
  EXPECT_EQ(*Sessions(*store_).countActive(kNow + 20), 2);
  ASSERT_TRUE(Sessions(*store_).create(anna_, "10.0.0.3", kNow + kTtl + 5, kTtl).ok());
  EXPECT_EQ(*Sessions(*store_).countActive(kNow + kTtl + 5), 2);
  EXPECT_EQ(store_->db().execAndGet("SELECT count(*) FROM sessions").getInt64(), 2);
}

}  // namespace
}  // namespace samband::broker
