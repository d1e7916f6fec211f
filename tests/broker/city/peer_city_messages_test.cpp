// Unit tests of applyPeerCityMessage (issue 15, docs/replication.md): a readiness check or a
// directive issued by one broker (a real store, real keys) and applied to another broker's store
// is listed, queued and counted there as if issued there; the day's check slot, city-wide
// directive numbers, acknowledgements archived before the directive, and two brokers that
// numbered a directive alike.
#include "broker/city/peer_city_messages.h"

#include <gtest/gtest.h>

#include <SQLiteCpp/Database.h>

#include <map>
#include <memory>
#include <string>

#include "broker/city/city_chain.h"
#include "broker/city/directives.h"
#include "broker/city/readiness.h"
#include "broker/city/time_beacon.h"
#include "broker/store/archive_store.h"
#include "broker/store/city_store.h"
#include "broker/store/roster_store.h"
#include "common/codec.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tests/broker/store/store_fixture.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using samband::test_time::kNow;

class PeerCityMessagesTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    auto opened = Store::open(dir_.file("peer.db"), Store::Access::readWrite);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    peer_ = std::move(opened).value();
    for (Store* s : {store_.get(), peer_.get()}) {
      for (const auto* p : {alpha_.get(), beta_.get()}) {
        auto r = RosterStore(*s).enroll(
            common::makeEnrollRequest(*p, "Huvudman", {p == alpha_.get() ? "10000001" : "20000001"},
                                      kNow),
            false, kNow);
        ASSERT_TRUE(r.ok()) << r.error().message;
      }
    }
  }

  // The newest frame of `store`'s city chain, as the peer's puller would admit it.
  struct Pulled {
    common::Message message;
    common::Bytes envelope;
  };
  Pulled newestCityFrame(Store& store) {
    SQLite::Statement q(store.db(),
                        "SELECT envelope FROM frames WHERE sender='city' ORDER BY id DESC LIMIT 1");
    EXPECT_TRUE(q.executeStep());
    auto* p = static_cast<const uint8_t*>(q.getColumn(0).getBlob());
    common::Bytes envelope(p, p + q.getColumn(0).getBytes());
    auto parts = common::decodeEnvelope(envelope);
    EXPECT_TRUE(parts.ok());
    auto body = common::decodeBody(parts->body);
    EXPECT_TRUE(body.ok());
    return Pulled{std::move(body).value(), std::move(envelope)};
  }

  // Applies A's newest city frame to the peer store B, in a write transaction.
  PeerCityOutcome applyToPeer(int64_t frameId = 4242) {
    Pulled pulled = newestCityFrame(*store_);
    auto outcome = applyPeerCityMessage(*peer_, pulled.message, common::toHex(cityA_->keyId()),
                                        pulled.envelope, frameId);
    EXPECT_TRUE(outcome.ok()) << outcome.error().message;
    return outcome.ok() ? *outcome : PeerCityOutcome{};
  }

  int outboundFor(Store& store, const std::string& provider, const std::string& ref) {
    SQLite::Statement q(store.db(),
                        "SELECT count(*) FROM outbound WHERE provider_id=? AND ref=? AND "
                        "delivered_at IS NULL");
    q.bind(1, provider);
    q.bind(2, ref);
    q.executeStep();
    return q.getColumn(0).getInt();
  }

  std::unique_ptr<Store> peer_;
  std::unique_ptr<common::Identity> cityA_ = common::Identity::generate("city");
  std::unique_ptr<common::Identity> cityB_ = common::Identity::generate("city");
  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  std::unique_ptr<common::Identity> beta_ = common::Identity::generate("556677-0002");
};

TEST_F(PeerCityMessagesTest, APeersScheduledCheckIsListedQueuedAndTakesTheDaysSlot) {
  CheckOptions o;
  o.deadlineMs = 30 * 60 * 1000;
  o.scheduledFor = localDate(kNow);
  auto id = issueCheck(*store_, *cityA_, o, kNow);
  ASSERT_TRUE(id.ok()) << id.error().message;
  // Alpha answered through the peer, and its answer was pulled before the check.
  ASSERT_TRUE(recordReadinessAnswer(*peer_, alpha_->id(),
                                    common::ReadinessAnswerMsg{*id, {}, false, 0}, kNow + 5,
                                    kNow + 6, 99)
                  .ok());
  auto outcome = applyToPeer();
  EXPECT_TRUE(outcome.conflicts.empty());
  auto checks = CityStore(*peer_).checksNewestFirst(*id);
  ASSERT_TRUE(checks.ok());
  ASSERT_EQ(checks->size(), 1u);
  EXPECT_EQ((*checks)[0].deadline, kNow + o.deadlineMs);
  EXPECT_EQ((*checks)[0].scheduledFor, localDate(kNow));
  EXPECT_EQ((*checks)[0].frameId, 4242);
  // Queued for beta only: alpha's copy is delivered by its answer.
  EXPECT_EQ(outboundFor(*peer_, beta_->id(), *id), 1);
  EXPECT_EQ(outboundFor(*peer_, alpha_->id(), *id), 0);
  // The peer's scheduler finds the day's check and issues none.
  CheckOptions scheduled;
  scheduled.scheduledFor = localDate(kNow);
  auto second = issueCheck(*peer_, *cityB_, scheduled, kNow + 600'000);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, common::ErrorKind::conflict);
  // The beacon names it.
  auto facts = readBeaconFacts(*peer_);
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->checkId, *id);
  // Idempotent.
  applyToPeer();
  EXPECT_EQ(CityStore(*peer_).checksNewestFirst(std::nullopt)->size(), 1u);
  EXPECT_EQ(outboundFor(*peer_, beta_->id(), *id), 1);
}

// A manual `readiness run` on one broker is listed and delivered on the other, but is not the
// day's scheduled check there: the check says its origin. A check that does not say (from a
// broker older than the field) takes the slot, as before.
TEST_F(PeerCityMessagesTest, APeersManualCheckDoesNotTakeTheDaysSlotButOneOfUnstatedOriginDoes) {
  CheckOptions manual;
  auto id = issueCheck(*store_, *cityA_, manual, kNow);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(std::get<common::ReadinessCheckMsg>(newestCityFrame(*store_).message.payload).origin,
            common::CheckOrigin::MANUAL);
  applyToPeer();
  auto checks = CityStore(*peer_).checksNewestFirst(*id);
  ASSERT_TRUE(checks.ok());
  ASSERT_EQ(checks->size(), 1u);
  EXPECT_FALSE((*checks)[0].scheduledFor.has_value());
  EXPECT_EQ(outboundFor(*peer_, beta_->id(), *id), 1);
  // The peer's scheduler still issues the day's check.
  CheckOptions scheduled;
  scheduled.scheduledFor = localDate(kNow);
  auto own = issueCheck(*peer_, *cityB_, scheduled, kNow + 600'000);
  ASSERT_TRUE(own.ok()) << own.error().message;

  // An older broker's check (origin unstated) on the next day takes that day's slot.
  const int64_t tomorrow = kNow + 24 * 3600 * 1000;
  auto older = CityChain(*store_, *cityA_)
                   .issue(common::ReadinessCheckMsg{"rc-older", tomorrow, tomorrow + 60'000, false,
                                                    common::CheckOrigin::UNSTATED},
                          common::Mode::ACTUAL, tomorrow, {}, "readiness_check", "rc-older");
  ASSERT_TRUE(older.ok()) << older.error().message;
  applyToPeer(4243);
  checks = CityStore(*peer_).checksNewestFirst(std::string("rc-older"));
  ASSERT_TRUE(checks.ok());
  ASSERT_EQ(checks->size(), 1u);
  EXPECT_EQ((*checks)[0].scheduledFor, localDate(tomorrow));
}

TEST_F(PeerCityMessagesTest, APeersDirectiveIsRecordedWithItsEarlyAckAndNumbersContinue) {
  DirectiveOptions o;
  o.text = "Reservkraft provas";
  o.level = common::ReadinessLevel::HEIGHTENED;
  auto id = sendDirective(*store_, *cityA_, o, kNow);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(*id, "D-000001");
  // Beta's acknowledgement, archived on B before the directive was pulled.
  common::Message ack;
  ack.senderId = beta_->id();
  ack.keyId = beta_->keyId();
  ack.seq = 1;
  ack.sentAt = kNow + 10;
  ack.payload = common::DirectiveAckMsg{*id, common::AckKind::DELIVERED, {}};
  auto sealed = common::seal(*beta_, ack);
  const std::string betaKey = common::toHex(beta_->keyId());
  ASSERT_TRUE(ArchiveStore(*peer_)
                  .appendFrame(NewFrame{beta_->id(), betaKey, 1, "directive_ack", "actual",
                                        kNow + 10, kNow + 20, sealed.bodyHash, sealed.envelope})
                  .ok());
  auto outcome = applyToPeer();
  EXPECT_TRUE(outcome.conflicts.empty());
  auto status = directiveStatus(*peer_, *id, kNow + 30);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ((*status)[0]["recipients"], 2);
  EXPECT_EQ((*status)[0]["delivered_to"], nlohmann::json::array({beta_->id()}));
  EXPECT_EQ(outboundFor(*peer_, alpha_->id(), *id), 1);
  EXPECT_EQ(outboundFor(*peer_, beta_->id(), *id), 0);
  EXPECT_EQ(peer_->meta(kMetaLevel)->value_or(""), "heightened");
  // The peer's next directive takes the city's next number; its beacon names both keys.
  DirectiveOptions done;
  done.text = "Klart";
  auto next = sendDirective(*peer_, *cityB_, done, kNow + 60'000);
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(*next, "D-000002");
  auto facts = readBeaconFacts(*peer_);
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->directiveNumber, 2u);
  ASSERT_EQ(facts->directiveMarks.size(), 2u);
  for (const auto& [keyId, number] : facts->directiveMarks) {
    EXPECT_EQ(number, keyId == cityA_->keyId() ? 1u : 2u);
  }
}

// Two brokers apart both numbered D-000001: both are listed on the peer (keyed by city key), and
// an acknowledgement naming a key counts for that directive only; one without a key (an older
// agent) for the one recorded first, as before.
TEST_F(PeerCityMessagesTest, DirectivesNumberedAlikeWhileApartAreBothListedAndAckedApart) {
  DirectiveOptions o;
  o.text = "Från A";
  ASSERT_EQ(*sendDirective(*store_, *cityA_, o, kNow), "D-000001");
  o.text = "Från B";
  o.level = common::ReadinessLevel::HIGHEST;
  ASSERT_EQ(*sendDirective(*peer_, *cityB_, o, kNow + 1000), "D-000001");
  auto outcome = applyToPeer();
  EXPECT_TRUE(outcome.conflicts.empty());
  auto listed = directiveStatus(*peer_, std::string("D-000001"), kNow);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  // Both signed directives are queued for every provider (agents keep them apart by key).
  EXPECT_EQ(outboundFor(*peer_, alpha_->id(), "D-000001"), 2);
  // Alpha acknowledges A's directive, naming A's key: only A's copy and row count it.
  ASSERT_TRUE(recordDirectiveAck(
                  *peer_, alpha_->id(),
                  common::DirectiveAckMsg{"D-000001", common::AckKind::DELIVERED, cityA_->keyId()},
                  kNow + 2000)
                  .ok());
  EXPECT_EQ(outboundFor(*peer_, alpha_->id(), "D-000001"), 1);
  // Beta's ack names no key: it counts for B's own directive, recorded here first.
  ASSERT_TRUE(recordDirectiveAck(
                  *peer_, beta_->id(),
                  common::DirectiveAckMsg{"D-000001", common::AckKind::DELIVERED, {}}, kNow + 3000)
                  .ok());
  listed = directiveStatus(*peer_, std::string("D-000001"), kNow);
  ASSERT_TRUE(listed.ok());
  std::map<std::string, nlohmann::json> byKey;
  for (const auto& d : *listed) byKey[d["key_id"].get<std::string>()] = d;
  EXPECT_EQ(byKey[common::toHex(cityA_->keyId())]["delivered_to"],
            nlohmann::json::array({alpha_->id()}));
  EXPECT_EQ(byKey[common::toHex(cityB_->keyId())]["delivered_to"],
            nlohmann::json::array({beta_->id()}));
  EXPECT_EQ(byKey[common::toHex(cityB_->keyId())]["text"], "Från B");
  // Applying it again changes nothing.
  applyToPeer();
  EXPECT_EQ(directiveStatus(*peer_, std::string("D-000001"), kNow)->size(), 2u);
}

}  // namespace
}  // namespace samband::broker
