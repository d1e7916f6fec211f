// Encoding and decoding round trips of bodies, envelopes and downlinks: every field of every
// payload kind survives, and the kind-level predicates (city-only, names) hold.
#include "common/codec.h"
#include "common/vocabulary.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "common/city_keyring.h"
#include "common/identity.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/message_rules.h"
#include "common/vocabulary.h"
#include "schemas/samband.capnp.h"
#include "tests/common/sample_messages.h"

namespace samband::common {
namespace {

using namespace samband::common::testing;

Result<Message> roundTrip(const Message& m) { return decodeBody(encodeBody(m)); }

// ---- Round trips ----------------------------------------------------------------------------

// encodeEnvelope sizes its builder's first segment to the message: its bytes must stay exactly
// those of Cap'n Proto's default builder (the archive, signatures and audits depend on them),
// for bodies on both sides of the default first segment's 1,024 words.
TEST(CodecRoundTrip, EnvelopeBytesAreThoseOfTheDefaultBuilderForEverySize) {
  for (size_t n : {0u,    1u,    7u,    8u,    9u,    63u,   64u,   65u,   496u,
                   4096u, 8000u, 8095u, 8096u, 8103u, 8104u, 8105u, 8111u, 8112u,
                   8113u, 8120u, 8128u, 8160u, 8184u, 8192u, 9000u, 20000u}) {
    for (size_t sigBytes : {0u, 64u}) {
      Bytes body(n);
      for (size_t i = 0; i < n; ++i) body[i] = static_cast<uint8_t>(i * 31 + 7);
      Bytes signature(sigBytes, 0);
      capnp::MallocMessageBuilder reference;
      auto e = reference.initRoot<wire::Envelope>();
      e.setBody(kj::arrayPtr(body.data(), body.size()));
      e.setSignature(kj::arrayPtr(signature.data(), signature.size()));
      auto words = capnp::messageToFlatArray(reference);
      auto bytes = words.asBytes();
      EXPECT_EQ(encodeEnvelope(body, signature), Bytes(bytes.begin(), bytes.end()))
          << "body " << n << " bytes, signature " << sigBytes;
    }
  }
}

TEST(CodecRoundTrip, HeartbeatKeepsEveryField) {
  Message m = envelopeFields(sampleHeartbeat(), 0);
  auto d = roundTrip(m);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(headerFields(*d), headerFields(m));
  EXPECT_EQ(fields(std::get<HeartbeatMsg>(d->payload)), fields(sampleHeartbeat()));
  EXPECT_TRUE(d->isHeartbeat());
}

TEST(CodecRoundTrip, UnitStatusKeepsEveryField) {
  Message m = envelopeFields(sampleUnitStatus(), 5);
  auto d = roundTrip(m);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(headerFields(*d), headerFields(m));
  EXPECT_EQ(fields(std::get<UnitStatusMsg>(d->payload)), fields(sampleUnitStatus()));
}

TEST(CodecRoundTrip, UnitStatusKeepsNotGivenMarkers) {
  UnitStatusMsg s;
  s.unitCode = kUnit;
  auto d = roundTrip(envelopeFields(s));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(fields(std::get<UnitStatusMsg>(d->payload)), fields(s));
  EXPECT_EQ(std::get<UnitStatusMsg>(d->payload).pupilsEnrolled, -1);
  EXPECT_EQ(std::get<UnitStatusMsg>(d->payload).backupHours, -1);
}

TEST(CodecRoundTrip, UnitStatusKeepsClosedUntilAndLeavesItOutWhenEmpty) {
  UnitStatusMsg closed = sampleUnitStatus();
  closed.operational = OperationalState::CLOSED;
  closed.closedUntil = "2026-12-18";
  auto d = roundTrip(envelopeFields(closed));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(std::get<UnitStatusMsg>(d->payload).closedUntil, "2026-12-18");
  EXPECT_EQ(fields(std::get<UnitStatusMsg>(d->payload)), fields(closed));
  // An empty field is not written: the body is shorter than with a date, so a report that does
  // not name one is the same bytes an agent from before the field would sign.
  UnitStatusMsg open = closed;
  open.closedUntil.clear();
  EXPECT_LT(encodeBody(envelopeFields(open)).size(), encodeBody(envelopeFields(closed)).size());
  auto o = roundTrip(envelopeFields(open));
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(std::get<UnitStatusMsg>(o->payload).closedUntil, "");
}

TEST(CodecRoundTrip, CapacityKeepsEveryEntryInOrder) {
  auto d = roundTrip(envelopeFields(sampleCapacity(), 2));
  ASSERT_TRUE(d.ok()) << d.error().message;
  const auto& got = std::get<CapacityMsg>(d->payload);
  const auto want = sampleCapacity();
  EXPECT_EQ(got.unitCode, want.unitCode);
  ASSERT_EQ(got.entries.size(), want.entries.size());
  for (size_t i = 0; i < want.entries.size(); ++i) {
    EXPECT_EQ(fields(got.entries[i]), fields(want.entries[i])) << "entry " << i;
  }
}

TEST(CodecRoundTrip, ContinuityKeepsEveryField) {
  auto d = roundTrip(envelopeFields(sampleContinuity(), 3));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(fields(std::get<ContinuityMsg>(d->payload)), fields(sampleContinuity()));
}

TEST(CodecRoundTrip, ReadinessAnswerKeepsEveryResult) {
  auto d = roundTrip(envelopeFields(sampleReadinessAnswer(), 4));
  ASSERT_TRUE(d.ok()) << d.error().message;
  const auto& got = std::get<ReadinessAnswerMsg>(d->payload);
  const auto want = sampleReadinessAnswer();
  EXPECT_EQ(got.checkId, want.checkId);
  EXPECT_EQ(got.confirmed, want.confirmed);
  EXPECT_EQ(got.receivedAt, want.receivedAt);
  ASSERT_EQ(got.results.size(), want.results.size());
  for (size_t i = 0; i < want.results.size(); ++i) {
    EXPECT_EQ(fields(got.results[i]), fields(want.results[i])) << "result " << i;
  }
}

TEST(CodecRoundTrip, DirectiveAckKeepsEveryField) {
  auto d = roundTrip(envelopeFields(sampleDirectiveAck(), 6));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(fields(std::get<DirectiveAckMsg>(d->payload)), fields(sampleDirectiveAck()));
}

TEST(CodecRoundTrip, ReadinessCheckKeepsEveryField) {
  Message m = envelopeFields(sampleReadinessCheck(), 7);
  m.senderId = kCitySenderId;
  auto d = roundTrip(m);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->senderId, "city");
  EXPECT_EQ(fields(std::get<ReadinessCheckMsg>(d->payload)), fields(sampleReadinessCheck()));
}

TEST(CodecRoundTrip, DirectiveKeepsEveryFieldAndRecipient) {
  Message m = envelopeFields(sampleDirective(), 8);
  m.senderId = kCitySenderId;
  auto d = roundTrip(m);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(fields(std::get<DirectiveMsg>(d->payload)), fields(sampleDirective()));
}

TEST(CodecRoundTrip, KeyRotationKeepsEveryField) {
  auto d = roundTrip(envelopeFields(sampleKeyRotation(), 9));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(fields(std::get<KeyRotationMsg>(d->payload)), fields(sampleKeyRotation()));
}

TEST(CodecRoundTrip, CityKeyRecordKeepsItsStatementAndSignatureAndIsCityOnly) {
  auto root = Identity::generate(kCitySenderId);
  auto broker = Identity::generate(kCitySenderId);
  CityKeyMsg record = certifyCityKey(*root, broker->publicPart(), "primary", 1).toMessage();
  Message m = envelopeFields(record, 3);
  m.senderId = kCitySenderId;
  ASSERT_TRUE(validate(m).ok());
  auto d = roundTrip(m);
  ASSERT_TRUE(d.ok()) << d.error().message;
  const auto& back = std::get<CityKeyMsg>(d->payload);
  EXPECT_EQ(back.statement, record.statement);
  EXPECT_EQ(back.signature, record.signature);
  EXPECT_TRUE(d->isFromCityOnly());
  EXPECT_STREQ(payloadKindName(d->payload), "city_key");
  // A signature of the wrong size does not pass the rules.
  record.signature.pop_back();
  EXPECT_FALSE(validate(envelopeFields(record, 3)).ok());
}

TEST(CodecRoundTrip, RosterInfoKeepsEveryFieldAndIsCityOnly) {
  // Issue 15: unit metadata, a duty contact, a provider's name (docs/protocol.md).
  RosterInfoMsg units{RosterInfoKind::UNIT_INFO,
                      "556677-8899",
                      {},
                      {{"12345678", "Ekbackens skola", "Bromma", 59.34, 17.94, "grundskola:1"},
                       {"12345679", "", "", std::nullopt, std::nullopt, ""}}};
  Message m = envelopeFields(units, 4);
  m.senderId = kCitySenderId;
  ASSERT_TRUE(validate(m).ok()) << validate(m).error().message;
  auto d = roundTrip(m);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_TRUE(d->isFromCityOnly());
  EXPECT_STREQ(payloadKindName(d->payload), "roster_info");
  const auto& back = std::get<RosterInfoMsg>(d->payload);
  EXPECT_EQ(back.kind, RosterInfoKind::UNIT_INFO);
  EXPECT_EQ(back.provider, "556677-8899");
  ASSERT_EQ(back.units.size(), 2u);
  EXPECT_EQ(back.units[0].name, "Ekbackens skola");
  EXPECT_EQ(back.units[0].district, "Bromma");
  EXPECT_EQ(back.units[0].lat, 59.34);
  EXPECT_EQ(back.units[0].lon, 17.94);
  EXPECT_EQ(back.units[0].schoolForms, "grundskola:1");
  EXPECT_FALSE(back.units[1].lat.has_value());
  EXPECT_FALSE(back.units[1].lon.has_value());
  RosterInfoMsg contact{RosterInfoKind::DUTY_CONTACT, "556677-8899", "IT-jour 08-123 456 78", {}};
  auto c = roundTrip(envelopeFields(contact, 5));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(std::get<RosterInfoMsg>(c->payload).text, "IT-jour 08-123 456 78");
  // The CLI's rules: one line of at most 200 bytes, a unit code, a position in range, units
  // only in a unit record and 1..200 of them, a name that is not empty.
  auto refused = [](RosterInfoMsg r) { return !validate(envelopeFields(r, 5)).ok(); };
  RosterInfoMsg bad = contact;
  bad.text = "rad ett\nrad två";
  EXPECT_TRUE(refused(bad));
  bad.text = std::string(201, 'a');
  EXPECT_TRUE(refused(bad));
  bad.text = std::string(200, 'a');
  EXPECT_FALSE(refused(bad));
  bad.units = units.units;
  EXPECT_TRUE(refused(bad));
  RosterInfoMsg noName{RosterInfoKind::PROVIDER_NAME, "556677-8899", "", {}};
  EXPECT_TRUE(refused(noName));
  RosterInfoMsg badUnit = units;
  badUnit.units[0].code = "1234567";
  EXPECT_TRUE(refused(badUnit));
  badUnit = units;
  badUnit.units[0].lat = 91;
  EXPECT_TRUE(refused(badUnit));
  badUnit = units;
  badUnit.units[0].lon.reset();
  EXPECT_TRUE(refused(badUnit));
  badUnit = units;
  badUnit.units.clear();
  EXPECT_TRUE(refused(badUnit));
  badUnit.units.assign(kMaxRosterInfoUnits + 1, units.units[1]);
  EXPECT_TRUE(refused(badUnit));
  badUnit = units;
  badUnit.text = "x";
  EXPECT_TRUE(refused(badUnit));
  badUnit = units;
  badUnit.provider = "city";
  EXPECT_TRUE(refused(badUnit));
}

TEST(CodecRoundTrip, AccountRecordKeepsEveryFieldAndNeverAHash) {
  AccountMsg set{AccountAction::SET, "anna", "operator", {"Bromma", "Farsta"}, Bytes(32, 0x5a)};
  Message m = envelopeFields(set, 6);
  m.senderId = kCitySenderId;
  ASSERT_TRUE(validate(m).ok()) << validate(m).error().message;
  auto d = roundTrip(m);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_TRUE(d->isFromCityOnly());
  EXPECT_STREQ(payloadKindName(d->payload), "account");
  const auto& back = std::get<AccountMsg>(d->payload);
  EXPECT_EQ(back.name, "anna");
  EXPECT_EQ(back.role, "operator");
  EXPECT_EQ(back.districts, set.districts);
  EXPECT_EQ(back.passwordDigest, set.passwordDigest);
  AccountMsg removal{AccountAction::REMOVE, "anna", {}, {}, {}};
  EXPECT_TRUE(validate(envelopeFields(removal, 7)).ok());
  auto refused = [](AccountMsg a) { return !validate(envelopeFields(a, 7)).ok(); };
  AccountMsg bad = set;
  bad.role = "admin";
  EXPECT_TRUE(refused(bad));
  bad = set;
  bad.passwordDigest.pop_back();  // not a 32-byte digest (a hash string would not be either)
  EXPECT_TRUE(refused(bad));
  bad = set;
  bad.name.clear();
  EXPECT_TRUE(refused(bad));
  bad = set;
  bad.name = std::string(65, 'a');
  EXPECT_TRUE(refused(bad));
  bad = removal;
  bad.passwordDigest = Bytes(32, 1);
  EXPECT_TRUE(refused(bad));
  bad = removal;
  bad.role = "viewer";
  EXPECT_TRUE(refused(bad));
  bad = set;
  bad.districts.assign(kMaxAccountDistricts + 1, "Bromma");
  EXPECT_TRUE(refused(bad));
}

TEST(CodecRoundTrip, EveryModeSurvives) {
  for (Mode mode : {Mode::ACTUAL, Mode::EXERCISE, Mode::SYSTEM, Mode::TEST}) {
    Message m = envelopeFields(sampleContinuity());
    m.mode = mode;
    auto d = roundTrip(m);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->mode, mode);
  }
}

TEST(CodecRoundTrip, EncodingIsDeterministic) {
  Message m = envelopeFields(sampleUnitStatus(), 12);
  EXPECT_EQ(encodeBody(m), encodeBody(m));
  auto d = roundTrip(m);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(encodeBody(*d), encodeBody(m));
}

TEST(CodecRoundTrip, PayloadKindNamesAreStable) {
  EXPECT_STREQ(payloadKindName(sampleHeartbeat()), "heartbeat");
  EXPECT_STREQ(payloadKindName(sampleUnitStatus()), "unit_status");
  EXPECT_STREQ(payloadKindName(sampleCapacity()), "capacity");
  EXPECT_STREQ(payloadKindName(sampleContinuity()), "continuity");
  EXPECT_STREQ(payloadKindName(sampleReadinessAnswer()), "readiness_answer");
  EXPECT_STREQ(payloadKindName(sampleDirectiveAck()), "directive_ack");
  EXPECT_STREQ(payloadKindName(sampleReadinessCheck()), "readiness_check");
  EXPECT_STREQ(payloadKindName(sampleDirective()), "directive");
  EXPECT_STREQ(payloadKindName(sampleKeyRotation()), "key_rotation");
}

TEST(CodecRoundTrip, OnlyReadinessChecksAndDirectivesAreCityOnly) {
  EXPECT_TRUE(envelopeFields(sampleReadinessCheck()).isFromCityOnly());
  EXPECT_TRUE(envelopeFields(sampleDirective()).isFromCityOnly());
  for (const Payload& p :
       {Payload(sampleHeartbeat()), Payload(sampleUnitStatus()), Payload(sampleCapacity()),
        Payload(sampleContinuity()), Payload(sampleReadinessAnswer()),
        Payload(sampleDirectiveAck()), Payload(sampleKeyRotation())}) {
    EXPECT_FALSE(envelopeFields(p).isFromCityOnly()) << payloadKindName(p);
  }
}

TEST(CodecRoundTrip, CityOnlyKindSurvivesDecodingFromAProvider) {
  // The codec decodes a directive from a provider; refusing it is the broker's step 7, which
  // relies on isFromCityOnly() of the decoded message.
  auto d = roundTrip(envelopeFields(sampleDirective(), 2));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_TRUE(d->isFromCityOnly());
  EXPECT_EQ(d->senderId, kProvider);
}

// ---- Envelope -------------------------------------------------------------------------------

TEST(Envelope, RoundTripsBodyAndSignature) {
  Bytes body = encodeBody(envelopeFields(sampleContinuity()));
  Bytes sig(64, 0xa5);
  auto parts = decodeEnvelope(encodeEnvelope(body, sig));
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  EXPECT_EQ(parts->body, body);
  EXPECT_EQ(parts->signature, sig);
}

TEST(Envelope, RefusesSignatureOfWrongLength) {
  Bytes body = encodeBody(envelopeFields(sampleContinuity()));
  for (size_t n : {0, 1, 63, 65, 128}) {
    auto parts = decodeEnvelope(encodeEnvelope(body, Bytes(n, 1)));
    ASSERT_FALSE(parts.ok()) << n;
    EXPECT_NE(parts.error().message.find("64 bytes"), std::string::npos);
  }
}

TEST(Envelope, RefusesEmptyBody) {
  auto parts = decodeEnvelope(encodeEnvelope({}, Bytes(64, 1)));
  ASSERT_FALSE(parts.ok());
  EXPECT_NE(parts.error().message.find("empty body"), std::string::npos);
}

TEST(Envelope, RefusesFramesOfBadShape) {
  Bytes good = encodeEnvelope(encodeBody(envelopeFields(sampleContinuity())), Bytes(64, 1));
  EXPECT_FALSE(decodeEnvelope(nullptr, 0).ok());
  EXPECT_FALSE(decodeEnvelope(good.data(), good.size() - 1).ok());
  EXPECT_FALSE(decodeEnvelope(good.data(), good.size() - 8).ok());
  Bytes huge(kMaxFrameBytes + 8, 0);
  EXPECT_FALSE(decodeEnvelope(huge).ok());
}

// ---- Downlink -------------------------------------------------------------------------------

Result<Downlink> roundTripDownlink(const Downlink& d) {
  Bytes b = encodeDownlink(d);
  return decodeDownlink(b.data(), b.size());
}

TEST(DownlinkCodec, AckRoundTrips) {
  auto d = roundTripDownlink(AckMsg{77, true, {}});
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(std::get<AckMsg>(*d).seq, 77u);
  EXPECT_TRUE(std::get<AckMsg>(*d).duplicate);
}

TEST(DownlinkCodec, RejectRoundTripsEveryReason) {
  for (uint16_t r = 0; r <= static_cast<uint16_t>(RejectReason::PERSONAL_DATA); ++r) {
    RejectMsg in{9, static_cast<RejectReason>(r), 8, Bytes(32, 0x5c), "kedjan bröts vid 8"};
    auto d = roundTripDownlink(in);
    ASSERT_TRUE(d.ok()) << d.error().message;
    const auto& out = std::get<RejectMsg>(*d);
    EXPECT_EQ(std::tie(out.seq, out.reason, out.headSeq, out.headHash, out.detail),
              std::tie(in.seq, in.reason, in.headSeq, in.headHash, in.detail));
  }
}

TEST(DownlinkCodec, RejectReasonOutOfRangeIsRefused) {
  auto d =
      roundTripDownlink(RejectMsg{1, static_cast<RejectReason>(kRejectReasonCount), 0, {}, ""});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("reject reason"), std::string::npos);
}

TEST(DownlinkCodec, LongRejectDetailIsCutToTheLimit) {
  auto d = roundTripDownlink(RejectMsg{1, RejectReason::MALFORMED, 0, {}, std::string(500, 'x')});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::get<RejectMsg>(*d).detail, std::string(kMaxShortText, 'x'));
}

TEST(DownlinkCodec, LongRejectDetailIsCutOnACharacterBoundary) {
  // 199 ASCII bytes then "ä" (2 bytes): a byte cut at 200 would split the letter.
  std::string detail = std::string(kMaxShortText - 1, 'x') + "äöå";
  auto d = roundTripDownlink(RejectMsg{1, RejectReason::MALFORMED, 0, {}, detail});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::get<RejectMsg>(*d).detail, std::string(kMaxShortText - 1, 'x'));
}

TEST(DownlinkCodec, HeadRoundTrips) {
  auto d = roundTripDownlink(HeadMsg{41, Bytes(32, 0x3d), kSentAt, {}});
  ASSERT_TRUE(d.ok()) << d.error().message;
  const auto& h = std::get<HeadMsg>(*d);
  EXPECT_EQ(h.headSeq, 41u);
  EXPECT_EQ(h.headHash, Bytes(32, 0x3d));
  EXPECT_EQ(h.serverTime, kSentAt);
  EXPECT_TRUE(h.beacon.empty());
}

TEST(DownlinkCodec, AHeadCarriesTheCitysTimeBeaconExactlyAsSigned) {
  auto city = Identity::generate(kCitySenderId);
  Message m;
  m.senderId = kCitySenderId;
  m.keyId = city->keyId();
  m.sentAt = kSentAt;
  m.payload = TimeBeaconMsg{ReadinessLevel::HEIGHTENED, 7, "rc-2026-11-25-ab", kSentAt - 1, {}};
  auto beacon = seal(*city, m);
  auto d = roundTripDownlink(HeadMsg{41, Bytes(32, 0x3d), kSentAt, beacon.envelope});
  ASSERT_TRUE(d.ok()) << d.error().message;
  const auto& h = std::get<HeadMsg>(*d);
  EXPECT_EQ(h.beacon, beacon.envelope);
  auto parts = decodeEnvelope(h.beacon);
  ASSERT_TRUE(parts.ok());
  EXPECT_TRUE(verifyBody(city->signPublic(), parts->body, parts->signature));
  auto body = decodeBody(parts->body);
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(std::get<TimeBeaconMsg>(body->payload).checkId, "rc-2026-11-25-ab");
  // A beacon with a seq is not a beacon.
  m.seq = 1;
  EXPECT_FALSE(decodeBody(encodeBody(m)).ok());
}

TEST(DownlinkCodec, CityEnvelopeRoundTripsAndStillVerifies) {
  initSodium();
  auto city = Identity::generate("city");
  Message m = envelopeFields(sampleDirective(), 1);
  m.senderId = "city";
  m.keyId = city->keyId();
  SealedFrame f = seal(*city, m);
  auto d = roundTripDownlink(CityEnvelopeMsg{f.envelope});
  ASSERT_TRUE(d.ok()) << d.error().message;
  auto parts = decodeEnvelope(std::get<CityEnvelopeMsg>(*d).envelope);
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  EXPECT_EQ(parts->body, f.body);
  EXPECT_TRUE(verifyBody(city->signPublic(), parts->body, parts->signature));
}

TEST(DownlinkCodec, RefusesFramesOfBadShape) {
  Bytes good = encodeDownlink(AckMsg{1, false, {}});
  EXPECT_FALSE(decodeDownlink(nullptr, 0).ok());
  EXPECT_FALSE(decodeDownlink(good.data(), good.size() - 3).ok());
  Bytes huge(kMaxFrameBytes + 8, 0);
  EXPECT_FALSE(decodeDownlink(huge.data(), huge.size()).ok());
}

}  // namespace
}  // namespace samband::common
