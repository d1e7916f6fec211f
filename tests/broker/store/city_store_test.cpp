// Tests of CityStore's typed queries against a temporary SQLite file: the per-provider queue of
// city messages (due, resend, push window, delivered), enrolled providers and names, readiness
// check rows, and directive numbering and recipients.
#include "broker/store/city_store.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/identity.h"
#include "tests/broker/store/store_fixture.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using common::Bytes;

using samband::test_time::kNow;

class CityStoreTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    if (HasFatalFailure()) return;
    enrollProvider(*alpha_, "10000001", kNow);
    enrollProvider(*beta_, "20000001", kNow);
    city_ = std::make_unique<CityStore>(*store_);
  }

  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  std::unique_ptr<common::Identity> beta_ = common::Identity::generate("556677-0002");
  std::unique_ptr<CityStore> city_;
};

TEST_F(CityStoreTest, EnrolledProvidersLeaveOutThoseWithOnlyRevokedKeys) {
  auto all = city_->enrolledProviders();
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(*all, (std::vector<std::string>{alpha_->id(), beta_->id()}));
  ASSERT_TRUE(RosterStore(*store_).revokeKey(common::toHex(beta_->keyId()), kNow).ok());
  all = city_->enrolledProviders();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, std::vector<std::string>{alpha_->id()});
  auto names = city_->providerNames();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->at(beta_->id()), "Huvudman " + beta_->id());
}

TEST_F(CityStoreTest, QueuedMessageIsDueUntilSentThenAgainAfterTheResendTime) {
  const Bytes envelope{1, 2, 3};
  ASSERT_TRUE(
      city_->queueOutbound({alpha_->id(), beta_->id()}, "directive", "D-000001", envelope, kNow)
          .ok());
  auto due = city_->dueOutbound(alpha_->id(), kNow, 32);
  ASSERT_TRUE(due.ok()) << due.error().message;
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].envelope, envelope);
  EXPECT_EQ((*due)[0].provider, alpha_->id());
  ASSERT_TRUE(city_->markOutboundSent({(*due)[0].id}, kNow).ok());
  due = city_->dueOutbound(alpha_->id(), kNow, 32);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty()) << "sent at kNow, not before kNow";
  due = city_->dueOutbound(alpha_->id(), kNow + 1, 32);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->size(), 1u) << "sent before the resend time: due again";
  ASSERT_TRUE(city_->markOutboundDelivered(alpha_->id(), "D-000001", kNow + 2).ok());
  due = city_->dueOutbound(alpha_->id(), kNow + 100, 32);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
}

TEST_F(CityStoreTest, UndeliveredWindowListsOnlyRowsInsideIt) {
  auto empty = city_->newestOutboundId();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, 0);
  ASSERT_TRUE(city_->queueOutbound({alpha_->id()}, "directive", "D-1", {1}, kNow).ok());
  auto first = city_->newestOutboundId();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(
      city_->queueOutbound({alpha_->id(), beta_->id()}, "directive", "D-2", {2}, kNow).ok());
  auto newest = city_->newestOutboundId();
  ASSERT_TRUE(newest.ok());
  ASSERT_TRUE(city_->markOutboundDelivered(beta_->id(), "D-2", kNow).ok());
  auto rows = city_->undeliveredOutbound(*first, *newest);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].provider, alpha_->id());
  EXPECT_EQ((*rows)[0].envelope, Bytes{2});
}

TEST_F(CityStoreTest, ChecksComeNewestFirstAndCloseOnce) {
  ReadinessCheckRow a{"rc-a", kNow, kNow + 1000, "actual", false, std::string("2025-11-25"), 1};
  ReadinessCheckRow b{"rc-b", kNow + 10, kNow + 1010, "exercise", true, std::nullopt, 2};
  ASSERT_TRUE(city_->insertCheck(a, {alpha_->id()}).ok());
  ASSERT_TRUE(city_->insertCheck(b, {alpha_->id(), beta_->id()}).ok());
  auto checks = city_->checksNewestFirst(std::nullopt);
  ASSERT_TRUE(checks.ok());
  ASSERT_EQ(checks->size(), 2u);
  EXPECT_EQ((*checks)[0].id, "rc-b");
  EXPECT_TRUE((*checks)[0].requireConfirmation);
  auto scheduled = city_->checkScheduledFor("2025-11-25");
  ASSERT_TRUE(scheduled.ok());
  EXPECT_EQ(*scheduled, std::optional<std::string>("rc-a"));
  auto due = city_->checksDueForClosing(kNow + 1000);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, std::vector<std::string>{"rc-a"});
  ASSERT_TRUE(city_->closeCheck("rc-a", kNow + 1000, "{}").ok());
  due = city_->checksDueForClosing(kNow + 5000);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, std::vector<std::string>{"rc-b"});
  auto answers = city_->answersTo("rc-b", "exercise");
  ASSERT_TRUE(answers.ok());
  ASSERT_EQ(answers->size(), 2u);
  EXPECT_FALSE((*answers)[0].receivedAt.has_value());
  EXPECT_EQ((*answers)[0].checksCounted, 1);
}

TEST_F(CityStoreTest, DirectiveNumbersFollowTheHighestStored) {
  auto n = city_->nextDirectiveNumber();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  DirectiveRow d;
  d.id = "D-000007";
  d.number = 7;
  d.text = "t";
  d.level = "unchanged";
  d.mode = "actual";
  ASSERT_TRUE(city_->insertDirective(d, {beta_->id(), alpha_->id()}).ok());
  n = city_->nextDirectiveNumber();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 8);
  ASSERT_TRUE(city_->recordDirectiveAck(alpha_->id(), "D-000007", "", true, kNow).ok());
  auto rows = city_->directives(std::string("D-000007"));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  ASSERT_EQ((*rows)[0].recipients.size(), 2u);
  EXPECT_EQ((*rows)[0].recipients[0].provider, alpha_->id()) << "by provider id";
  EXPECT_EQ((*rows)[0].recipients[0].acknowledgedAt, std::optional<int64_t>(kNow));
  EXPECT_EQ((*rows)[0].recipients[0].deliveredAt, std::optional<int64_t>(kNow));
  EXPECT_FALSE((*rows)[0].recipients[1].deliveredAt.has_value());
}

// Issue 15: two brokers apart may both number a directive D-000043. Both are listed, keyed by
// their city key; an ack naming a key counts for that directive only, and an ack without a key
// (an older agent) for the one recorded here first, as before.
TEST_F(CityStoreTest, DirectivesNumberedAlikeByTwoCityKeysAreBothListedAndAckedApart) {
  for (const char* key : {"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"}) {
    DirectiveRow d;
    d.id = "D-000043";
    d.keyId = key;
    d.number = 43;
    d.text = key;
    d.level = "unchanged";
    d.mode = "actual";
    ASSERT_TRUE(city_->insertDirective(d, {alpha_->id(), beta_->id()}).ok());
    ASSERT_TRUE(city_->queueOutbound({alpha_->id()}, "directive", "D-000043", {1}, kNow, key).ok());
  }
  auto taken = city_->directiveOfKey("bbbbbbbbbbbbbbbb", 43, "D-000043");
  ASSERT_TRUE(taken.ok());
  EXPECT_TRUE(taken->has_value());
  taken = city_->directiveOfKey("cccccccccccccccc", 43, "D-000043");
  ASSERT_TRUE(taken.ok());
  EXPECT_FALSE(taken->has_value());

  ASSERT_TRUE(
      city_->recordDirectiveAck(alpha_->id(), "D-000043", "bbbbbbbbbbbbbbbb", false, kNow).ok());
  ASSERT_TRUE(
      city_->markOutboundDelivered(alpha_->id(), "D-000043", kNow, "bbbbbbbbbbbbbbbb").ok());
  ASSERT_TRUE(city_->recordDirectiveAck(beta_->id(), "D-000043", "", true, kNow + 1).ok());
  auto rows = city_->directives(std::string("D-000043"));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  std::map<std::string, DirectiveRow> byKey;
  for (auto& r : *rows) byKey[r.keyId] = r;
  const auto& a = byKey["aaaaaaaaaaaaaaaa"];
  const auto& b = byKey["bbbbbbbbbbbbbbbb"];
  ASSERT_EQ(a.recipients.size(), 2u);
  ASSERT_EQ(b.recipients.size(), 2u);
  // alpha acknowledged b's directive only.
  EXPECT_FALSE(a.recipients[0].deliveredAt.has_value());
  EXPECT_EQ(b.recipients[0].deliveredAt, std::optional<int64_t>(kNow));
  // beta's ack without a key counts for the first recorded (a's).
  EXPECT_EQ(a.recipients[1].acknowledgedAt, std::optional<int64_t>(kNow + 1));
  EXPECT_FALSE(b.recipients[1].acknowledgedAt.has_value());
  // Only b's outbound copy for alpha is delivered.
  auto due = city_->dueOutbound(alpha_->id(), kNow + 10, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->size(), 1u);
}

TEST_F(CityStoreTest, BrokenSchemaIsAnErrorNotAnException) {
  store_->db().exec("DROP TABLE outbound");
  EXPECT_EQ(city_->newestOutboundId().error().kind, common::ErrorKind::unavailable);
  EXPECT_FALSE(city_->queueOutbound({alpha_->id()}, "directive", "D-1", {1}, kNow).ok());
}

}  // namespace
}  // namespace samband::broker
