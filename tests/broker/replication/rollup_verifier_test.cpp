// The upstream's check of relayed frames (docs/rollup.md): a provider's report is believed only
// when the provider's key signed its exact bytes and an enrolment record signed by a broker key
// certified (and not revoked) under THAT city's root enrols the key; seq follows the chain.
#include "broker/replication/rollup_verifier.h"

#include <gtest/gtest.h>

#include "common/codec.h"
#include "common/ids.h"
#include "common/signing.h"

namespace samband::broker {
namespace {

using common::Bytes;
using common::RejectReason;

constexpr const char* kVerifiedProvider = "556677-8899";
constexpr const char* kVerifiedUnit = "12345678";
constexpr int64_t kVerifierNow = 1'800'000'000'000;

// One signer's chain: seals messages with consecutive seq and prevHash links.
struct Chain {
  explicit Chain(const std::string& sender) : id(common::Identity::generate(sender)) {}
  std::unique_ptr<common::Identity> id;
  uint64_t seq = 0;
  Bytes prev;

  Bytes frame(common::Payload payload, common::Mode mode = common::Mode::ACTUAL) {
    common::Message m;
    m.senderId = id->id();
    m.keyId = id->keyId();
    m.seq = ++seq;
    m.prevHash = prev;
    m.sentAt = kVerifierNow;
    m.mode = mode;
    m.payload = std::move(payload);
    auto sealed = common::seal(*id, m);
    prev = sealed.bodyHash;
    return sealed.envelope;
  }
};

common::UnitStatusMsg status(common::OperationalState s) {
  common::UnitStatusMsg u;
  u.unitCode = kVerifiedUnit;
  u.operational = s;
  return u;
}

common::EnrolmentMsg enrol(const common::Identity& provider) {
  common::EnrolmentMsg e;
  e.action = common::EnrolmentAction::ENROL;
  e.provider = provider.id();
  e.keyId = provider.keyId();
  e.signPublic.assign(provider.signPublic().begin(), provider.signPublic().end());
  e.curvePublic.assign(provider.curvePublic().begin(), provider.curvePublic().end());
  e.units = {kVerifiedUnit};
  e.effectiveAt = kVerifierNow - 1000;
  return e;
}

// A city: an offline root, a broker key the root certified, the broker's city chain, and one
// provider enrolled by it.
struct City {
  City() : root(common::Identity::generate("city")), broker("city"), provider(kVerifiedProvider) {
    auto cert =
        common::certifyCityKey(*root, broker.id->publicPart(), "primary", kVerifierNow - 5000);
    certificate = broker.frame(cert.toMessage());
    enrolment = broker.frame(enrol(*provider.id));
  }
  std::unique_ptr<common::Identity> root;
  Chain broker;
  Chain provider;
  Bytes certificate;
  Bytes enrolment;
};

size_t refusedFor(const RollupOutcome& o, RejectReason r) {
  size_t n = 0;
  for (const auto& x : o.refused) n += x.reason == r ? 1 : 0;
  return n;
}

TEST(RollupVerifier, AcceptsAReportEnrolledByACertifiedBrokerKey) {
  City city;
  RollupVerifier v("Uppsala", city.root->signPublic());
  // The report first: the verifier takes the city's records of the answer first anyway.
  auto report = city.provider.frame(status(common::OperationalState::REDUCED));
  auto o = v.admit({report, city.certificate, city.enrolment}, kVerifierNow);
  EXPECT_TRUE(o.refused.empty()) << o.refused.front().detail;
  ASSERT_EQ(o.accepted.size(), 3u);
  EXPECT_EQ(o.accepted.back().sender, kVerifiedProvider);
  EXPECT_EQ(o.accepted.back().frame, report);  // stored exactly as signed
}

TEST(RollupVerifier, RefusesAReportWhoseBodyTheCityRewrote) {
  City city;
  RollupVerifier v("Uppsala", city.root->signPublic());
  ASSERT_EQ(v.admit({city.certificate, city.enrolment}, kVerifierNow).accepted.size(), 2u);
  auto honest = city.provider.frame(status(common::OperationalState::CLOSED));
  auto parts = common::decodeEnvelope(honest);
  ASSERT_TRUE(parts.ok());
  auto m = common::decodeBody(parts->body);
  ASSERT_TRUE(m.ok());
  std::get<common::UnitStatusMsg>(m->payload).operational = common::OperationalState::NORMAL;
  auto rewritten = common::encodeEnvelope(common::encodeBody(*m), parts->signature);
  auto o = v.admit({rewritten}, kVerifierNow);
  EXPECT_TRUE(o.accepted.empty());
  EXPECT_EQ(refusedFor(o, RejectReason::BAD_SIGNATURE), 1u);
  // The honest frame still passes afterwards: the refusal changed nothing.
  EXPECT_EQ(v.admit({honest}, kVerifierNow).accepted.size(), 1u);
}

TEST(RollupVerifier, RefusesAnEnrolmentSignedByAKeyTheRootDidNotCertify) {
  City city;
  Chain forger("city");  // a broker key of no certificate
  Chain intruder("212000-0142");
  RollupVerifier v("Uppsala", city.root->signPublic());
  auto forged = forger.frame(enrol(*intruder.id));
  auto report = intruder.frame(status(common::OperationalState::NORMAL));
  auto o = v.admit({city.certificate, forged, report}, kVerifierNow);
  EXPECT_EQ(o.accepted.size(), 1u);  // the certificate
  EXPECT_EQ(refusedFor(o, RejectReason::BAD_SIGNATURE), 1u);
  EXPECT_EQ(refusedFor(o, RejectReason::UNKNOWN_SENDER), 1u);
}

TEST(RollupVerifier, RefusesRecordsOfARevokedCityBrokerKey) {
  City city;
  auto revocation = common::revokeCityKey(*city.root, city.broker.id->keyId(), "stolen",
                                          kVerifierNow - 2000, kVerifierNow - 2000);
  // A second, honest broker carries the revocation (statements prove themselves).
  Chain other("city");
  auto otherCert =
      common::certifyCityKey(*city.root, other.id->publicPart(), "standby", kVerifierNow - 5000);
  auto carried1 = other.frame(otherCert.toMessage());
  auto carried2 = other.frame(revocation.toMessage());
  RollupVerifier v("Uppsala", city.root->signPublic());
  auto o1 = v.admit({carried1, carried2}, kVerifierNow);
  EXPECT_EQ(o1.accepted.size(), 2u);
  // Now the revoked key's chain: its certificate still proves itself, but every frame it signs
  // at or after the revocation is refused, so its enrolment enrols nobody.
  auto report = city.provider.frame(status(common::OperationalState::NORMAL));
  auto o = v.admit({city.certificate, city.enrolment, report}, kVerifierNow);
  EXPECT_TRUE(o.accepted.empty());
  EXPECT_EQ(refusedFor(o, RejectReason::BAD_SIGNATURE), 2u);
  EXPECT_EQ(refusedFor(o, RejectReason::UNKNOWN_SENDER), 1u);
}

TEST(RollupVerifier, RefusesAProviderOfCityARelayedByCityB) {
  City a;
  City b;
  RollupVerifier vb("Enköping", b.root->signPublic());
  ASSERT_EQ(vb.admit({b.certificate, b.enrolment}, kVerifierNow).accepted.size(), 2u);
  // City B relays A's records and A's provider's report: A's broker key is not under B's root.
  auto report = a.provider.frame(status(common::OperationalState::CLOSED));
  auto o = vb.admit({a.certificate, a.enrolment, report}, kVerifierNow);
  EXPECT_TRUE(o.accepted.empty());
  EXPECT_GE(refusedFor(o, RejectReason::BAD_SIGNATURE), 2u);
  EXPECT_EQ(refusedFor(o, RejectReason::UNKNOWN_SENDER), 1u);
}

TEST(RollupVerifier, RefusesAReplayedSeqAndTakesADuplicateOnce) {
  City city;
  RollupVerifier v("Uppsala", city.root->signPublic());
  ASSERT_EQ(v.admit({city.certificate, city.enrolment}, kVerifierNow).accepted.size(), 2u);
  auto first = city.provider.frame(status(common::OperationalState::NORMAL));
  auto second = city.provider.frame(status(common::OperationalState::REDUCED));
  ASSERT_EQ(v.admit({first, second}, kVerifierNow).accepted.size(), 2u);
  // The provider's key signs another body at seq 2 (a fork a relay might try to pass off).
  city.provider.seq = 1;
  city.provider.prev = common::hash256(common::decodeEnvelope(first)->body);
  auto fork = city.provider.frame(status(common::OperationalState::CLOSED));
  auto o = v.admit({fork}, kVerifierNow);
  EXPECT_TRUE(o.accepted.empty());
  EXPECT_EQ(refusedFor(o, RejectReason::REPLAY), 1u);
  auto again = v.admit({second}, kVerifierNow);
  EXPECT_TRUE(again.accepted.empty());
  EXPECT_TRUE(again.refused.empty());
  EXPECT_EQ(again.duplicates, 1u);
}

TEST(RollupVerifier, CountsGapsAndChecksLinksWhereSeqsAreConsecutive) {
  City city;
  RollupVerifier v("Uppsala", city.root->signPublic());
  ASSERT_EQ(v.admit({city.certificate, city.enrolment}, kVerifierNow).accepted.size(), 2u);
  auto one = city.provider.frame(status(common::OperationalState::NORMAL));
  (void)city.provider.frame(status(common::OperationalState::NORMAL), common::Mode::EXERCISE);
  auto three = city.provider.frame(status(common::OperationalState::REDUCED));
  auto o = v.admit({one, three}, kVerifierNow);
  ASSERT_EQ(o.accepted.size(), 2u);
  EXPECT_FALSE(o.accepted[0].afterGap);
  EXPECT_TRUE(o.accepted[1].afterGap);
  // seq 4 whose prevHash does not name seq 3.
  city.provider.prev = Bytes(32, 7);
  auto four = city.provider.frame(status(common::OperationalState::CLOSED));
  EXPECT_EQ(refusedFor(v.admit({four}, kVerifierNow), RejectReason::OUT_OF_ORDER), 1u);
}

TEST(RollupVerifier, RefusesTrafficThatIsNotRelayedUpward) {
  City city;
  RollupVerifier v("Uppsala", city.root->signPublic());
  ASSERT_EQ(v.admit({city.certificate, city.enrolment}, kVerifierNow).accepted.size(), 2u);
  auto exercise =
      city.provider.frame(status(common::OperationalState::CLOSED), common::Mode::EXERCISE);
  auto o = v.admit({exercise}, kVerifierNow);
  EXPECT_TRUE(o.accepted.empty());
  EXPECT_EQ(refusedFor(o, RejectReason::FORBIDDEN), 1u);
}

// docs/replication.md "Revocations and pulled history", upstream: a provider key's revocation
// naming revokedAfterSeq is judged by the frame's place in the chain, not by when it is relayed.
common::EnrolmentMsg revoke(const common::Identity& provider, std::optional<uint64_t> afterSeq) {
  common::EnrolmentMsg e;
  e.action = common::EnrolmentAction::REVOKE;
  e.provider = provider.id();
  e.keyId = provider.keyId();
  e.effectiveAt = kVerifierNow - 500;
  e.revokedAfterSeq = afterSeq;
  return e;
}

TEST(RollupVerifier, JudgesARevokedProviderKeyByChainPositionNotByReceiptTime) {
  City city;
  RollupVerifier v("Uppsala", city.root->signPublic());
  auto one = city.provider.frame(status(common::OperationalState::NORMAL));
  auto two = city.provider.frame(status(common::OperationalState::REDUCED));
  auto three = city.provider.frame(status(common::OperationalState::CLOSED));
  // The city revoked the key when its archive held seq 2; all three reach the upstream after
  // the revocation's time, in one answer (the city's records are checked first).
  auto revocation = city.broker.frame(revoke(*city.provider.id, 2));
  auto o = v.admit({city.certificate, city.enrolment, revocation, one, two, three}, kVerifierNow);
  ASSERT_EQ(o.accepted.size(), 5u);  // certificate, enrolment, revocation, seq 1 and 2
  EXPECT_EQ(o.accepted[3].seq, 1u);
  EXPECT_EQ(o.accepted[4].seq, 2u);
  ASSERT_EQ(refusedFor(o, RejectReason::REVOKED), 1u);
  EXPECT_EQ(o.refused.front().seq, 3u);
  // The other broker of the city held seq 3 before the revocation reached it and wrote its own
  // record naming that head: the highest head counts, and seq 3 is history too.
  Chain standby("city");
  auto cert =
      common::certifyCityKey(*city.root, standby.id->publicPart(), "standby", kVerifierNow - 5000);
  auto standbyCert = standby.frame(cert.toMessage());
  auto later = standby.frame(revoke(*city.provider.id, 3));
  auto o2 = v.admit({standbyCert, later, three}, kVerifierNow + 60'000);
  EXPECT_TRUE(o2.refused.empty()) << o2.refused.front().detail;
  ASSERT_EQ(o2.accepted.size(), 3u);
  EXPECT_EQ(o2.accepted.back().seq, 3u);
  // Beyond every head: refused, however early it claims to be signed.
  auto four = city.provider.frame(status(common::OperationalState::NORMAL));
  EXPECT_EQ(refusedFor(v.admit({four}, kVerifierNow), RejectReason::REVOKED), 1u);
}

TEST(RollupVerifier, JudgesARevocationWithoutAHeadByReceiptTime) {
  City city;
  RollupVerifier v("Uppsala", city.root->signPublic());
  auto one = city.provider.frame(status(common::OperationalState::NORMAL));
  auto revocation = city.broker.frame(revoke(*city.provider.id, std::nullopt));
  // Received before the revocation's time: admitted; after it: refused.
  ASSERT_EQ(v.admit({city.certificate, city.enrolment, revocation, one}, kVerifierNow - 1000)
                .accepted.size(),
            4u);
  auto two = city.provider.frame(status(common::OperationalState::REDUCED));
  EXPECT_EQ(refusedFor(v.admit({two}, kVerifierNow), RejectReason::REVOKED), 1u);
}

}  // namespace
}  // namespace samband::broker
