// Unit tests of city directives without HTTP or processes: sending (numbered, signed into the city
// chain, queued per recipient), refusing unknown recipients, delivery and acknowledgement per
// provider, and the status report. A temporary SQLite file and real keys.
#include "broker/city/directives.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "broker/store/city_store.h"
#include "broker/store/store.h"
#include "common/identity.h"
#include "tests/broker/store/store_fixture.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using nlohmann::json;

using samband::test_time::kNow;

class DirectivesTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    enrollProvider(*alpha_, "10000001", kNow);
    enrollProvider(*beta_, "20000001", kNow);
  }

  std::string send(DirectiveOptions o) {
    auto id = sendDirective(*store_, *city_, o, kNow);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : "";
  }

  DirectiveOptions toAll(const std::string& text) {
    DirectiveOptions o;
    o.text = text;
    o.requireAck = true;
    return o;
  }

  void ack(const std::string& provider, const std::string& id, common::AckKind kind, int64_t at) {
    ASSERT_TRUE(
        recordDirectiveAck(*store_, provider, common::DirectiveAckMsg{id, kind, {}}, at).ok());
  }

  json statusOf(const std::string& id) {
    auto s = directiveStatus(*store_, id, kNow);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() && !s->empty() ? (*s)[0] : json();
  }

  std::unique_ptr<common::Identity> city_ = common::Identity::generate("city");
  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  std::unique_ptr<common::Identity> beta_ = common::Identity::generate("556677-0002");
};

TEST_F(DirectivesTest, DirectivesAreNumberedInOrderAndQueuedForEveryRecipient) {
  EXPECT_EQ(send(toAll("Rapportera status varje timme")), "D-000001");
  EXPECT_EQ(send(toAll("Andra")), "D-000002");
  CityStore city(*store_);
  for (const auto* p : {alpha_.get(), beta_.get()}) {
    auto due = city.dueOutbound(p->id(), kNow, 32);
    ASSERT_TRUE(due.ok()) << due.error().message;
    EXPECT_EQ(due->size(), 2u) << p->id();
  }
  auto all = directiveStatus(*store_, std::nullopt, kNow);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0]["id"], "D-000002") << "newest first";
}

TEST_F(DirectivesTest, DirectiveToNamedProviderGoesOnlyToThem) {
  DirectiveOptions o = toAll("Bara till er");
  o.to = {beta_->id()};
  const std::string id = send(o);
  json s = statusOf(id);
  EXPECT_EQ(s["recipients"], 1);
  EXPECT_EQ(s["missing"], json::array({beta_->id()}));
  auto due = CityStore(*store_).dueOutbound(alpha_->id(), kNow, 32);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
}

TEST_F(DirectivesTest, RefusesUnknownRecipientAndLeavesNothingBehind) {
  DirectiveOptions o = toAll("Till ingen");
  o.to = {"999999-9999"};
  auto id = sendDirective(*store_, *city_, o, kNow);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().kind, common::ErrorKind::invalidInput);
  auto all = directiveStatus(*store_, std::nullopt, kNow);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  EXPECT_EQ(send(toAll("Nästa")), "D-000001") << "the refused one took no number";
}

TEST_F(DirectivesTest, RefusesEmptyTextAndNonPositiveExpiry) {
  EXPECT_EQ(sendDirective(*store_, *city_, toAll(""), kNow).error().kind,
            common::ErrorKind::invalidInput);
  DirectiveOptions o = toAll("text");
  o.expiresInMs = 0;
  EXPECT_EQ(sendDirective(*store_, *city_, o, kNow).error().kind, common::ErrorKind::invalidInput);
}

TEST_F(DirectivesTest, DeliveryAndAcknowledgementAreTrackedPerProvider) {
  const std::string id = send(toAll("Bekräfta"));
  ack(alpha_->id(), id, common::AckKind::DELIVERED, kNow + 1000);
  json s = statusOf(id);
  EXPECT_EQ(s["delivered_to"], json::array({alpha_->id()}));
  EXPECT_EQ(s["missing"], json::array({beta_->id()}));
  EXPECT_EQ(s["acknowledged_by"], json::array());

  // A person's acknowledgement implies delivery.
  ack(beta_->id(), id, common::AckKind::ACKNOWLEDGED, kNow + 2000);
  s = statusOf(id);
  EXPECT_EQ(s["delivered_to"], json::array({alpha_->id(), beta_->id()}));
  EXPECT_EQ(s["acknowledged_by"], json::array({beta_->id()}));
  EXPECT_EQ(s["not_acknowledged"], json::array({alpha_->id()}));
  auto due = CityStore(*store_).dueOutbound(beta_->id(), kNow + 3000, 32);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty()) << "an answered directive is no longer sent";
}

TEST_F(DirectivesTest, ExpiryIsReportedFromTheGivenTime) {
  DirectiveOptions o = toAll("Kort");
  o.expiresInMs = 60'000;
  const std::string id = send(o);
  EXPECT_EQ(statusOf(id)["expired"], false);
  auto later = directiveStatus(*store_, id, kNow + 60'000);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ((*later)[0]["expired"], true);
}

TEST_F(DirectivesTest, UnknownDirectiveIsNotFound) {
  auto s = directiveStatus(*store_, std::string("D-000042"), kNow);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, common::ErrorKind::notFound);
}

TEST_F(DirectivesTest, DatabaseErrorsComeBackAsResultsNotExceptions) {
  store_->db().exec("DROP TABLE directive_recipients");
  auto acked =
      recordDirectiveAck(*store_, alpha_->id(),
                         common::DirectiveAckMsg{"D-000001", common::AckKind::DELIVERED, {}}, kNow);
  ASSERT_FALSE(acked.ok());
  EXPECT_EQ(acked.error().kind, common::ErrorKind::unavailable);
  auto sent = sendDirective(*store_, *city_, toAll("text"), kNow);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, common::ErrorKind::unavailable);
}

}  // namespace
}  // namespace samband::broker
