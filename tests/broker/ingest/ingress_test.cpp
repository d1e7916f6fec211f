// Tests of the Ingress gate: one accepted frame, and for every step of the gate table in
// docs/protocol.md a hostile frame refused with that step's reason. Real keys, a real roster in
// a temporary SQLite file, a FakeClock.
#include "broker/ingest/ingress.h"

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "broker/ingest/roster_cache.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/city_keyring.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/ids.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using common::Bytes;
using common::RejectReason;

using samband::test_time::kNow;
constexpr const char* kAlphaUnit = "10000001";
constexpr const char* kBetaUnit = "20000001";

using samband::testing::TempDir;

common::Message unitStatus(const common::Identity& signer, const std::string& unit,
                           uint64_t seq = 1, int64_t sentAt = kNow) {
  common::Message m;
  m.senderId = signer.id();
  m.keyId = signer.keyId();
  m.seq = seq;
  if (seq > 1) m.prevHash = Bytes(32, 0x5a);
  m.sentAt = sentAt;
  m.mode = common::Mode::ACTUAL;
  common::UnitStatusMsg s;
  s.unitCode = unit;
  s.operational = common::OperationalState::REDUCED;
  s.pupilsPresent = 120;
  s.staffAvailable = 14;
  s.note = "AAAAAAAAAAAAAAAA";
  m.payload = s;
  return m;
}

common::Message withPayload(const common::Identity& signer, common::Payload payload) {
  common::Message m = unitStatus(signer, kAlphaUnit);
  m.payload = std::move(payload);
  if (m.isHeartbeat()) m.seq = 0;
  return m;
}

// An envelope around `body` signed by `signer` (the body need not be valid).
Bytes signedEnvelope(const common::Identity& signer, const Bytes& body) {
  return common::encodeEnvelope(body, common::signBody(signer, body));
}

// A heartbeat body whose union discriminant is a tag the schema does not know.
Bytes bodyWithUnknownUnionTag(const common::Identity& signer) {
  capnp::MallocMessageBuilder builder;
  auto body = builder.initRoot<wire::Body>();
  body.setSenderId(signer.id());
  Bytes keyId = signer.keyId();
  body.setKeyId(kj::arrayPtr(keyId.data(), keyId.size()));
  body.setSentAt(kNow);
  body.initHeartbeat();
  auto data = builder.getRoot<capnp::AnyStruct>().getDataSection();
  uint32_t offset =
      capnp::Schema::from<wire::Body>().getProto().getStruct().getDiscriminantOffset();
  uint16_t tag = 99;  // little-endian, as Cap'n Proto is on every host we build for
  std::memcpy(data.begin() + offset * 2, &tag, sizeof tag);
  auto words = capnp::messageToFlatArray(builder);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

class IngressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::open(dir_.file("samband.db"), Store::Access::readWrite);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    enroll(*alpha_, {kAlphaUnit});
    enroll(*beta_, {kBetaUnit});
    roster_ = std::make_unique<RosterCache>(dir_.file("samband.db"), clock_);
    ingress_ = std::make_unique<Ingress>(*roster_, clock_);
  }

  void enroll(const common::Identity& id, const std::vector<std::string>& units) {
    auto r = RosterStore(*store_).enroll(
        common::makeEnrollRequest(id, "Huvudman " + id.id(), units, kNow), false, kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  Admission admit(Bytes data, const std::string& transportProvider) {
    InboundFrame in;
    in.routingId = "route-1";
    in.transportProvider = transportProvider;
    in.data = std::move(data);
    in.receivedAt = clock_.nowMs();
    return ingress_->admit(std::move(in));
  }

  // Admits a frame the test expects to be refused, and returns the refusal.
  Refusal refused(Bytes data, const std::string& transportProvider) {
    Admission a = admit(std::move(data), transportProvider);
    if (auto* r = std::get_if<Refusal>(&a)) return *r;
    ADD_FAILURE() << "frame was admitted";
    return Refusal{RejectReason::INTERNAL, "admitted", {}, {}, 0};
  }

  TempDir dir_;
  common::FakeClock clock_{kNow};
  std::unique_ptr<Store> store_;
  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  std::unique_ptr<common::Identity> beta_ = common::Identity::generate("556677-0002");
  std::unique_ptr<RosterCache> roster_;
  std::unique_ptr<Ingress> ingress_;
};

TEST_F(IngressTest, AdmitsSignedUnitStatusFromOwnerOverItsOwnSession) {
  common::SealedFrame f = common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit));
  Admission a = admit(f.envelope, alpha_->id());
  auto* v = std::get_if<VerifiedFrame>(&a);
  ASSERT_NE(v, nullptr) << std::get<Refusal>(a).detail;
  EXPECT_EQ(v->message().senderId, alpha_->id());
  EXPECT_EQ(v->message().seq, 1u);
  EXPECT_EQ(std::get<common::UnitStatusMsg>(v->message().payload).unitCode, kAlphaUnit);
  EXPECT_EQ(v->keyIdHex(), common::toHex(alpha_->keyId()));
  EXPECT_EQ(v->body(), f.body);
  EXPECT_EQ(v->bodyHash(), f.bodyHash);
  EXPECT_EQ(v->envelope(), f.envelope);  // archived exactly as received
  EXPECT_EQ(v->receivedAt(), kNow);
}

TEST_F(IngressTest, AdmitsEveryAgentPayloadKind) {
  common::CapacityMsg capacity;
  capacity.unitCode = kAlphaUnit;
  capacity.entries.push_back({common::SchoolForm::GRUNDSKOLA, 3, 25, 2, 4});
  common::ReadinessAnswerMsg answer;
  answer.checkId = "check-1";
  std::vector<common::Payload> payloads{
      common::HeartbeatMsg{}, capacity,
      common::ContinuityMsg{common::ContinuityState::AT_RISK, 0, "sjukdom"}, answer,
      common::DirectiveAckMsg{"directive-1", common::AckKind::DELIVERED, {}}};
  for (auto& p : payloads) {
    const char* kind = common::payloadKindName(p);
    Admission a = admit(common::seal(*alpha_, withPayload(*alpha_, p)).envelope, alpha_->id());
    EXPECT_TRUE(std::holds_alternative<VerifiedFrame>(a))
        << kind << ": " << std::get<Refusal>(a).detail;
  }
}

// Step 1: size cap, before any decoding.
TEST_F(IngressTest, RefusesFrameOverSizeLimitAsOversized) {
  Refusal r = refused(Bytes(common::kMaxFrameBytes + 1, 0), alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::OVERSIZED);
  EXPECT_TRUE(r.sender.empty());  // nothing in the frame can be trusted
  EXPECT_EQ(r.seq, 0u);
}

TEST_F(IngressTest, FrameExactlyAtSizeLimitIsDecodedNotRefusedAsOversized) {
  Refusal r = refused(Bytes(common::kMaxFrameBytes, 0xab), alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::MALFORMED);
}

// Step 2: decode with limits.
TEST_F(IngressTest, RefusesGarbageAsMalformed) {
  Bytes garbage(256);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 37 + 11);
  Refusal r = refused(garbage, alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::MALFORMED);
  EXPECT_TRUE(r.sender.empty());
}

TEST_F(IngressTest, RefusesEmptyFrameAsMalformed) {
  EXPECT_EQ(refused({}, alpha_->id()).reason, RejectReason::MALFORMED);
}

TEST_F(IngressTest, RefusesTruncatedEnvelopeAsMalformed) {
  Bytes envelope = common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit)).envelope;
  Bytes wordAligned(envelope.begin(), envelope.end() - 8);
  EXPECT_EQ(refused(wordAligned, alpha_->id()).reason, RejectReason::MALFORMED);
  Bytes ragged(envelope.begin(), envelope.end() - 3);
  EXPECT_EQ(refused(ragged, alpha_->id()).reason, RejectReason::MALFORMED);
}

TEST_F(IngressTest, RefusesOutOfRangeEnumAsMalformedEvenWhenSigned) {
  common::Message m = unitStatus(*alpha_, kAlphaUnit);
  std::get<common::UnitStatusMsg>(m.payload).operational =
      static_cast<common::OperationalState>(42);
  Refusal r = refused(signedEnvelope(*alpha_, common::encodeBody(m)), alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::MALFORMED);
  EXPECT_NE(r.detail.find("operational"), std::string::npos) << r.detail;
}

TEST_F(IngressTest, RefusesUnknownUnionTagAsMalformed) {
  Refusal r = refused(signedEnvelope(*alpha_, bodyWithUnknownUnionTag(*alpha_)), alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::MALFORMED);
}

TEST_F(IngressTest, RefusesHeartbeatCarryingSeqAsMalformed) {
  common::Message m = withPayload(*alpha_, common::HeartbeatMsg{});
  m.seq = 5;
  Refusal r = refused(signedEnvelope(*alpha_, common::encodeBody(m)), alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::MALFORMED);
}

TEST_F(IngressTest, RefusesEnvelopeWithoutSignatureAsMalformed) {
  Bytes body = common::encodeBody(unitStatus(*alpha_, kAlphaUnit));
  EXPECT_EQ(refused(common::encodeEnvelope(body, {}), alpha_->id()).reason,
            RejectReason::MALFORMED);
}

TEST_F(IngressTest, RefusesKeyRotationWhoseKeyIdIsNotOfItsKeyAsMalformed) {
  // The key id of another provider's key (known from its enrollment request), paired with a key
  // of the sender's own: stored as given, it would claim that id and block the other's enrollment.
  auto next = common::Identity::generate(alpha_->id());
  auto victim = common::Identity::generate("556677-0004");
  common::KeyRotationMsg rotation = common::keyRotationTo(*next);
  rotation.newKeyId = victim->keyId();
  Refusal r = refused(common::seal(*alpha_, withPayload(*alpha_, rotation)).envelope, alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::MALFORMED);
  EXPECT_TRUE(r.sender.empty());
}

TEST_F(IngressTest, AdmitsKeyRotationToSendersOwnNewKey) {
  auto next = common::Identity::generate(alpha_->id());
  const common::KeyRotationMsg rotation = common::keyRotationTo(*next);
  Admission a = admit(common::seal(*alpha_, withPayload(*alpha_, rotation)).envelope, alpha_->id());
  EXPECT_TRUE(std::holds_alternative<VerifiedFrame>(a)) << std::get<Refusal>(a).detail;
}

// Step 3: an enrolled key.
TEST_F(IngressTest, RefusesUnenrolledKeyAsUnknownSender) {
  auto stranger = common::Identity::generate(alpha_->id());  // claims alpha, key never enrolled
  Refusal r =
      refused(common::seal(*stranger, unitStatus(*stranger, kAlphaUnit)).envelope, alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::UNKNOWN_SENDER);
  EXPECT_EQ(r.sender, alpha_->id());
  EXPECT_EQ(r.keyIdHex, common::toHex(stranger->keyId()));
  EXPECT_EQ(r.seq, 1u);
}

TEST_F(IngressTest, RefusesEnrolledKeyClaimedForAnotherSenderAsUnknownSender) {
  // Beta's real key id and signature, but the body says it comes from alpha.
  common::Message m = unitStatus(*beta_, kAlphaUnit);
  m.senderId = alpha_->id();
  Refusal r = refused(common::seal(*beta_, m).envelope, alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::UNKNOWN_SENDER);
}

// Step 4: the signature over the exact body bytes.
TEST_F(IngressTest, RefusesFlippedByteInBodyAsBadSignature) {
  common::SealedFrame f = common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit));
  auto parts = common::decodeEnvelope(f.envelope);
  ASSERT_TRUE(parts.ok());
  // Change one letter of the note, so the body still decodes and only the signature can tell.
  auto at =
      std::search(parts->body.begin(), parts->body.end(), std::begin("AAAA"), std::end("AAAA") - 1);
  ASSERT_NE(at, parts->body.end());
  *at = 'B';
  ASSERT_TRUE(common::decodeBody(parts->body).ok());
  Refusal r = refused(common::encodeEnvelope(parts->body, parts->signature), alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::BAD_SIGNATURE);
}

TEST_F(IngressTest, RefusesFlippedByteInSignatureAsBadSignature) {
  common::SealedFrame f = common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit));
  auto parts = common::decodeEnvelope(f.envelope);
  ASSERT_TRUE(parts.ok());
  parts->signature[17] ^= 0x01;
  Refusal r = refused(common::encodeEnvelope(parts->body, parts->signature), alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::BAD_SIGNATURE);
}

TEST_F(IngressTest, RefusesBodySignedByAnotherEnrolledProvidersKeyAsBadSignature) {
  // Alpha's sender id and key id, but beta signed it.
  Bytes body = common::encodeBody(unitStatus(*alpha_, kAlphaUnit));
  Refusal r = refused(signedEnvelope(*beta_, body), alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::BAD_SIGNATURE);
}

// Step 5: the key belongs to the provider whose CURVE key opened the session.
TEST_F(IngressTest, RefusesFrameOverAnotherProvidersSessionAsKeyMismatch) {
  Bytes envelope = common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit)).envelope;
  Refusal r = refused(envelope, beta_->id());
  EXPECT_EQ(r.reason, RejectReason::KEY_MISMATCH);
  EXPECT_EQ(refused(envelope, "").reason, RejectReason::KEY_MISMATCH);
}

// Step 6: the key is not revoked.
TEST_F(IngressTest, RefusesRevokedKey) {
  ASSERT_TRUE(RosterStore(*store_).revokeKey(common::toHex(alpha_->keyId()), kNow - 1).ok());
  RosterCache fresh(dir_.file("samband.db"), clock_);
  Ingress ingress(fresh, clock_);
  InboundFrame in{"route-1", alpha_->id(),
                  common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit)).envelope, kNow};
  Admission a = ingress.admit(std::move(in));
  ASSERT_TRUE(std::holds_alternative<Refusal>(a));
  EXPECT_EQ(std::get<Refusal>(a).reason, RejectReason::REVOKED);
}

TEST_F(IngressTest, AdmitsFrameReceivedBeforeRevocationTakesEffect) {
  ASSERT_TRUE(RosterStore(*store_).revokeKey(common::toHex(alpha_->keyId()), kNow + 1000).ok());
  RosterCache fresh(dir_.file("samband.db"), clock_);
  Ingress ingress(fresh, clock_);
  InboundFrame early{"route-1", alpha_->id(),
                     common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit)).envelope, kNow + 999};
  EXPECT_TRUE(std::holds_alternative<VerifiedFrame>(ingress.admit(std::move(early))));
  InboundFrame late{"route-1", alpha_->id(),
                    common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit)).envelope, kNow + 1000};
  Admission a = ingress.admit(std::move(late));
  ASSERT_TRUE(std::holds_alternative<Refusal>(a));
  EXPECT_EQ(std::get<Refusal>(a).reason, RejectReason::REVOKED);
}

// Step 7: only the city sends readiness checks and directives.
TEST_F(IngressTest, RefusesDirectiveFromAgentAsForbidden) {
  common::DirectiveMsg d;
  d.directiveId = "directive-1";
  d.number = 1;
  d.text = "Stäng alla skolor";
  Refusal r = refused(common::seal(*alpha_, withPayload(*alpha_, d)).envelope, alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::FORBIDDEN);
}

TEST_F(IngressTest, RefusesReadinessCheckFromAgentAsForbidden) {
  common::ReadinessCheckMsg c{"check-1", kNow, kNow + 3600000, true, {}};
  Refusal r = refused(common::seal(*alpha_, withPayload(*alpha_, c)).envelope, alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::FORBIDDEN);
}

// A provider cannot slip a city key statement into the archive (issue 15), even a genuine one.
TEST_F(IngressTest, RefusesCityKeyRecordFromAgentAsForbidden) {
  auto root = common::Identity::generate(common::kCitySenderId);
  auto cert = common::certifyCityKey(*root, alpha_->publicPart(), "alpha", kNow);
  Refusal r =
      refused(common::seal(*alpha_, withPayload(*alpha_, cert.toMessage())).envelope, alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::FORBIDDEN);
}

TEST_F(IngressTest, RefusesAgentKeyEnrolledUnderCityIdAsForbidden) {
  auto impostor = common::Identity::generate(common::kCitySenderId);
  enroll(*impostor, {});
  clock_.advanceMs(1000);  // let the roster reload on the miss
  Refusal r =
      refused(common::seal(*impostor, withPayload(*impostor, common::HeartbeatMsg{})).envelope,
              common::kCitySenderId);
  EXPECT_EQ(r.reason, RejectReason::FORBIDDEN);
}

// Step 8: every unit named belongs to the sender.
TEST_F(IngressTest, RefusesReportForUnitOfAnotherProvider) {
  Refusal r = refused(common::seal(*alpha_, unitStatus(*alpha_, kBetaUnit)).envelope, alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::UNIT_NOT_OWNED);
  EXPECT_EQ(r.sender, alpha_->id());
}

TEST_F(IngressTest, RefusesCapacityForUnitNotInRosterAsUnitNotOwned) {
  common::CapacityMsg c;
  c.unitCode = "99999999";
  Refusal r = refused(common::seal(*alpha_, withPayload(*alpha_, c)).envelope, alpha_->id());
  EXPECT_EQ(r.reason, RejectReason::UNIT_NOT_OWNED);
}

// The roster reaches a running gate: enrollments and transfers done after it was loaded.
TEST_F(IngressTest, AdmitsKeyEnrolledAfterRosterWasLoaded) {
  auto gamma = common::Identity::generate("556677-0003");
  enroll(*gamma, {"30000001"});
  clock_.advanceMs(1000);
  Admission a = admit(common::seal(*gamma, unitStatus(*gamma, "30000001")).envelope, gamma->id());
  EXPECT_TRUE(std::holds_alternative<VerifiedFrame>(a)) << std::get<Refusal>(a).detail;
}

TEST_F(IngressTest, AdmitsReportForUnitTransferredAfterRosterWasLoaded) {
  auto r = RosterStore(*store_).enroll(
      common::makeEnrollRequest(*alpha_, "Alpha", {kBetaUnit}, kNow), true, kNow);
  ASSERT_TRUE(r.ok()) << r.error().message;
  clock_.advanceMs(1000);
  Admission a = admit(common::seal(*alpha_, unitStatus(*alpha_, kBetaUnit)).envelope, alpha_->id());
  EXPECT_TRUE(std::holds_alternative<VerifiedFrame>(a)) << std::get<Refusal>(a).detail;
  Admission b = admit(common::seal(*beta_, unitStatus(*beta_, kBetaUnit)).envelope, beta_->id());
  ASSERT_TRUE(std::holds_alternative<Refusal>(b));
  EXPECT_EQ(std::get<Refusal>(b).reason, RejectReason::UNIT_NOT_OWNED);
}

// The `file` channel (samband-broker import): no transport session, otherwise the same gate.
Admission admitFromFile(Ingress& ingress, Bytes data, int64_t at) {
  InboundFrame in;
  in.routingId = "offline-file/0";
  in.data = std::move(data);
  in.receivedAt = at;
  in.channel = Channel::file;
  return ingress.admit(std::move(in));
}

TEST_F(IngressTest, AdmitsSignedReportFromFileWithoutTransportSession) {
  common::SealedFrame f = common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit));
  Admission a = admitFromFile(*ingress_, f.envelope, kNow);
  auto* v = std::get_if<VerifiedFrame>(&a);
  ASSERT_NE(v, nullptr) << std::get<Refusal>(a).detail;
  EXPECT_EQ(v->channel(), Channel::file);
  EXPECT_EQ(v->envelope(), f.envelope);
}

TEST_F(IngressTest, RefusesHeartbeatFromFileAsForbidden) {
  Bytes hb = common::seal(*alpha_, withPayload(*alpha_, common::HeartbeatMsg{})).envelope;
  Admission a = admitFromFile(*ingress_, hb, kNow);
  ASSERT_TRUE(std::holds_alternative<Refusal>(a));
  EXPECT_EQ(std::get<Refusal>(a).reason, RejectReason::FORBIDDEN);
}

TEST_F(IngressTest, RefusesSentAtBeyondThirtyDaysEitherWayAsClockSkewOnEveryChannel) {
  constexpr int64_t kDay = 86'400'000;
  for (int64_t sentAt :
       {kNow + 30 * kDay + 1, kNow - 30 * kDay - 1, int64_t{253'402'300'799'000}}) {
    Bytes f = common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit, 1, sentAt)).envelope;
    Refusal r = refused(f, alpha_->id());
    EXPECT_EQ(r.reason, RejectReason::CLOCK_SKEW) << sentAt;
    EXPECT_EQ(r.sender, alpha_->id()) << "said to the sender, with its seq";
    EXPECT_EQ(r.seq, 1u);
    Admission fromFile = admitFromFile(*ingress_, f, kNow);
    ASSERT_TRUE(std::holds_alternative<Refusal>(fromFile));
    EXPECT_EQ(std::get<Refusal>(fromFile).reason, RejectReason::CLOCK_SKEW);
  }
  EXPECT_NE(
      refused(common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit, 1, kNow - 40 * kDay)).envelope,
              alpha_->id())
          .detail.find("40 days behind"),
      std::string::npos);
  for (int64_t sentAt : {kNow + 30 * kDay, kNow - 30 * kDay}) {
    Admission a = admit(common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit, 1, sentAt)).envelope,
                        alpha_->id());
    EXPECT_TRUE(std::holds_alternative<VerifiedFrame>(a)) << "30 days is still within";
  }
}

TEST_F(IngressTest, FileChannelKeepsEveryOtherStep) {
  common::SealedFrame f = common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit));
  auto parts = common::decodeEnvelope(f.envelope);
  ASSERT_TRUE(parts.ok());
  parts->signature[17] ^= 0x01;
  auto bad = admitFromFile(*ingress_, common::encodeEnvelope(parts->body, parts->signature), kNow);
  ASSERT_TRUE(std::holds_alternative<Refusal>(bad));
  EXPECT_EQ(std::get<Refusal>(bad).reason, RejectReason::BAD_SIGNATURE);
  auto foreign = admitFromFile(
      *ingress_, common::seal(*alpha_, unitStatus(*alpha_, kBetaUnit)).envelope, kNow);
  ASSERT_TRUE(std::holds_alternative<Refusal>(foreign));
  EXPECT_EQ(std::get<Refusal>(foreign).reason, RejectReason::UNIT_NOT_OWNED);
  ASSERT_TRUE(RosterStore(*store_).revokeKey(common::toHex(alpha_->keyId()), kNow).ok());
  roster_->refreshIfOlder(0);
  auto revoked = admitFromFile(*ingress_, f.envelope, kNow + 1);
  ASSERT_TRUE(std::holds_alternative<Refusal>(revoked));
  EXPECT_EQ(std::get<Refusal>(revoked).reason, RejectReason::REVOKED);
}

// Revocations and pulled history (docs/replication.md): a pulled frame of a revoked key is judged
// by its place in the key's chain against the head the revocation names, not by the pull time;
// an agent's frame still by its receive time.
TEST_F(IngressTest, PeerFramesOfARevokedKeyAreJudgedByTheRevokedHead) {
  common::EnrolmentMsg record{
      common::EnrolmentAction::REVOKE, alpha_->id(), alpha_->keyId(), {}, {}, {}, kNow - 1000, {}};
  record.revokedAfterSeq = 2;
  ASSERT_TRUE(RosterStore(*store_).applyRecord(record).ok());
  roster_->refreshIfOlder(0);
  auto fromPeer = [&](uint64_t seq) {
    InboundFrame in;
    in.data = common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit, seq)).envelope;
    in.receivedAt = kNow;  // long after the revocation's time
    in.channel = Channel::peer;
    return ingress_->admit(std::move(in));
  };
  EXPECT_TRUE(std::holds_alternative<VerifiedFrame>(fromPeer(1)));
  EXPECT_TRUE(std::holds_alternative<VerifiedFrame>(fromPeer(2)));
  auto above = fromPeer(3);
  ASSERT_TRUE(std::holds_alternative<Refusal>(above));
  EXPECT_EQ(std::get<Refusal>(above).reason, RejectReason::REVOKED);
  // From a file (as from an agent): after the revocation's time, refused whatever the seq.
  auto fromFile = admitFromFile(
      *ingress_, common::seal(*alpha_, unitStatus(*alpha_, kAlphaUnit, 1)).envelope, kNow);
  ASSERT_TRUE(std::holds_alternative<Refusal>(fromFile));
  EXPECT_EQ(std::get<Refusal>(fromFile).reason, RejectReason::REVOKED);
}

TEST(IngressMetricsTest, TimesOneSignatureCheckInEverySixtyFour) {
  TempDir dir;
  common::FakeClock clock{kNow};
  auto store = Store::open(dir.file("samband.db"), Store::Access::readWrite);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto alpha = common::Identity::generate("556677-0001");
  ASSERT_TRUE(
      RosterStore(**store)
          .enroll(common::makeEnrollRequest(*alpha, "Huvudman", {kAlphaUnit}, kNow), false, kNow)
          .ok());
  RosterCache roster(dir.file("samband.db"), clock);
  Metrics metrics;
  Ingress ingress(roster, clock, &metrics);
  const Bytes envelope = common::seal(*alpha, unitStatus(*alpha, kAlphaUnit)).envelope;
  // Any 2 x 64 checks in a row on one thread hold exactly two sampled ones.
  for (uint32_t i = 0; i < 2 * kVerifySampleEvery; ++i) {
    InboundFrame in{"route-1", alpha->id(), envelope, kNow};
    ASSERT_TRUE(std::holds_alternative<VerifiedFrame>(ingress.admit(std::move(in))));
  }
  EXPECT_EQ(metrics.verifySamples.load(), 2u);
  EXPECT_GT(metrics.verifySampleNanos.load(), 0u);  // an Ed25519 check takes tens of microseconds
}

}  // namespace
}  // namespace samband::broker
