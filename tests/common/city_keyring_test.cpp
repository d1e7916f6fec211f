// The city key hierarchy (issue 15): certificates and revocations signed by an offline root,
// and the keyring that agents and auditors check city signatures with. Real keys throughout.
#include "common/city_keyring.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/ids.h"
#include "common/signing.h"
#include "tests/support/temp_dir.h"

namespace samband::common {
namespace {

using samband::testing::TempDir;

constexpr int64_t kNow = 1'800'000'000'000;

Bytes bodyBytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

struct Hierarchy {
  std::unique_ptr<Identity> root = Identity::generate(kCitySenderId);
  std::unique_ptr<Identity> primary = Identity::generate(kCitySenderId);
  std::unique_ptr<Identity> standby = Identity::generate(kCitySenderId);
};

TEST(CityKeyStatement, RoundTripsThroughItsFixedLayout) {
  Hierarchy h;
  auto cert = certifyCityKey(*h.root, h.primary->publicPart(), "primary", kNow);
  auto back = CityKeyStatement::decode(cert.statementBytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->action, CityKeyAction::certify);
  EXPECT_EQ(back->keyId, h.primary->keyId());
  EXPECT_EQ(back->rootKeyId, h.root->keyId());
  EXPECT_EQ(back->signPublic, h.primary->signPublic());
  EXPECT_EQ(back->curvePublic, h.primary->curvePublic());
  EXPECT_EQ(back->label, "primary");
  EXPECT_EQ(back->issuedAt, kNow);
  EXPECT_EQ(back->encode(), cert.statementBytes);
}

TEST(CityKeyStatement, RefusesTruncatedTrailingAndInconsistentBytes) {
  Hierarchy h;
  Bytes good = certifyCityKey(*h.root, h.primary->publicPart(), "p", kNow).statementBytes;
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(CityKeyStatement::decode(Bytes(good.begin(), good.begin() + n)).ok()) << n;
  }
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(CityKeyStatement::decode(longer).ok());
  Bytes badVersion = good;
  badVersion[0] = 2;
  EXPECT_FALSE(CityKeyStatement::decode(badVersion).ok());
  Bytes badAction = good;
  badAction[1] = 7;
  EXPECT_FALSE(CityKeyStatement::decode(badAction).ok());
  Bytes otherKeyId = good;
  otherKeyId[10] ^= 1;  // the key id no longer belongs to the signing key
  EXPECT_FALSE(CityKeyStatement::decode(otherKeyId).ok());
}

TEST(CityKeyring, TheRootItselfSignsForTheCityAsASingleKeyInstallation) {
  Hierarchy h;
  CityKeyring ring(h.root->signPublic());
  Bytes body = bodyBytes("hello");
  EXPECT_TRUE(ring.verifyBody(h.root->keyId(), body, signBody(*h.root, body), kNow).ok());
}

TEST(CityKeyring, AcceptsACertifiedKeyAndRefusesAnUncertifiedOne) {
  Hierarchy h;
  CityKeyring ring(h.root->signPublic());
  Bytes body = bodyBytes("directive");
  auto before = ring.verifyBody(h.primary->keyId(), body, signBody(*h.primary, body), kNow);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error().kind, ErrorKind::unauthorised);
  auto added = ring.add(certifyCityKey(*h.root, h.primary->publicPart(), "primary", kNow));
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_TRUE(*added);
  EXPECT_TRUE(ring.verifyBody(h.primary->keyId(), body, signBody(*h.primary, body), kNow).ok());
  // Adding it again teaches nothing.
  EXPECT_FALSE(*ring.add(certifyCityKey(*h.root, h.primary->publicPart(), "primary", kNow)));
  // A certified key id with another key's signature still fails.
  EXPECT_FALSE(ring.verifyBody(h.primary->keyId(), body, signBody(*h.standby, body), kNow).ok());
}

TEST(CityKeyring, RefusesACertificateSignedByAnotherRoot) {
  Hierarchy h;
  auto otherRoot = Identity::generate(kCitySenderId);
  CityKeyring ring(h.root->signPublic());
  auto added = ring.add(certifyCityKey(*otherRoot, h.primary->publicPart(), "evil", kNow));
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().kind, ErrorKind::unauthorised);
  Bytes body = bodyBytes("x");
  EXPECT_FALSE(ring.verifyBody(h.primary->keyId(), body, signBody(*h.primary, body), kNow).ok());
}

TEST(CityKeyring, RefusesAStatementWhoseRootKeyIdIsOursButSignatureIsNot) {
  Hierarchy h;
  auto forged = certifyCityKey(*h.root, h.primary->publicPart(), "primary", kNow);
  forged.signature = certifyCityKey(*h.standby, h.primary->publicPart(), "primary", kNow).signature;
  CityKeyring ring(h.root->signPublic());
  EXPECT_FALSE(ring.add(forged).ok());
  // A signature over the statement under another domain (a body signature) does not count.
  auto wrongDomain = certifyCityKey(*h.root, h.primary->publicPart(), "primary", kNow);
  wrongDomain.signature = signBody(*h.root, wrongDomain.statementBytes);
  EXPECT_FALSE(ring.add(wrongDomain).ok());
}

TEST(CityKeyring, ARevokedKeyIsRefusedFromItsTimeOnAndOnlyThen) {
  Hierarchy h;
  CityKeyring ring(h.root->signPublic());
  ASSERT_TRUE(ring.add(certifyCityKey(*h.root, h.primary->publicPart(), "primary", kNow)).ok());
  ASSERT_TRUE(
      ring.add(revokeCityKey(*h.root, h.primary->keyId(), "stolen", kNow, kNow + 1000)).ok());
  Bytes body = bodyBytes("beacon");
  Bytes sig = signBody(*h.primary, body);
  EXPECT_TRUE(ring.verifyBody(h.primary->keyId(), body, sig, kNow + 999).ok());
  auto after = ring.verifyBody(h.primary->keyId(), body, sig, kNow + 1000);
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.error().message.find("revoked"), std::string::npos);
  // An earlier revocation moves the time back; a later one never forward.
  ASSERT_TRUE(ring.add(revokeCityKey(*h.root, h.primary->keyId(), "", kNow, kNow + 500)).ok());
  EXPECT_FALSE(ring.verifyBody(h.primary->keyId(), body, sig, kNow + 600).ok());
  EXPECT_FALSE(*ring.add(revokeCityKey(*h.root, h.primary->keyId(), "", kNow, kNow + 5000)));
}

TEST(CityKeyring, ARevocationLearnedBeforeTheCertificateStillHolds) {
  Hierarchy h;
  CityKeyring ring(h.root->signPublic());
  ASSERT_TRUE(ring.add(revokeCityKey(*h.root, h.primary->keyId(), "", kNow, kNow)).ok());
  ASSERT_TRUE(ring.add(certifyCityKey(*h.root, h.primary->publicPart(), "primary", kNow)).ok());
  Bytes body = bodyBytes("late");
  EXPECT_FALSE(ring.verifyBody(h.primary->keyId(), body, signBody(*h.primary, body), kNow).ok());
}

TEST(CityKeyring, TheRootCannotBeRevoked) {
  Hierarchy h;
  CityKeyring ring(h.root->signPublic());
  EXPECT_FALSE(ring.add(revokeCityKey(*h.root, h.root->keyId(), "", kNow, kNow)).ok());
  Bytes body = bodyBytes("still root");
  EXPECT_TRUE(ring.verifyBody(h.root->keyId(), body, signBody(*h.root, body), kNow).ok());
}

TEST(CityKeyring, TwoBrokersCertifiedByOneRootAreBothAccepted) {
  Hierarchy h;
  CityKeyring ring(h.root->signPublic());
  ASSERT_TRUE(ring.add(certifyCityKey(*h.root, h.primary->publicPart(), "primary", kNow)).ok());
  ASSERT_TRUE(ring.add(certifyCityKey(*h.root, h.standby->publicPart(), "standby", kNow)).ok());
  Bytes body = bodyBytes("either");
  EXPECT_TRUE(ring.verifyBody(h.primary->keyId(), body, signBody(*h.primary, body), kNow).ok());
  EXPECT_TRUE(ring.verifyBody(h.standby->keyId(), body, signBody(*h.standby, body), kNow).ok());
  EXPECT_EQ(ring.keys().size(), 3u);  // root, primary, standby
}

TEST(CityKeysFile, ReadsRootPubWithCertificatesAppendedAndPicksTheTransportKey) {
  TempDir dir;
  Hierarchy h;
  auto cert = certifyCityKey(*h.root, h.primary->publicPart(), "primary", kNow);
  {
    std::ofstream out(dir.file("city-keys.pub"));
    out << h.root->publicPart().toText() << cert.toText();
  }
  auto file = loadCityKeysFile(dir.file("city-keys.pub"));
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->root.signPublic, h.root->signPublic());
  ASSERT_EQ(file->statements.size(), 1u);
  EXPECT_EQ(file->transportKey(), h.primary->curvePublic());
  // A plain city.pub (a single-key installation) still reads; its own key is the transport.
  ASSERT_TRUE(h.root->publicPart().save(dir.file("city.pub")).ok());
  auto plain = loadCityKeysFile(dir.file("city.pub"));
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_TRUE(plain->statements.empty());
  EXPECT_EQ(plain->transportKey(), h.root->curvePublic());
}

TEST(CityKeysFile, RefusesACertificateOfAnotherRootAndADamagedLine) {
  TempDir dir;
  Hierarchy h;
  auto other = Identity::generate(kCitySenderId);
  {
    std::ofstream out(dir.file("mixed.pub"));
    out << h.root->publicPart().toText()
        << certifyCityKey(*other, h.primary->publicPart(), "x", kNow).toText();
  }
  EXPECT_FALSE(loadCityKeysFile(dir.file("mixed.pub")).ok());
  {
    std::ofstream out(dir.file("damaged.pub"));
    out << h.root->publicPart().toText() << "certificate = 01zz:00\n";
  }
  auto damaged = loadCityKeysFile(dir.file("damaged.pub"));
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.error().message.find("line"), std::string::npos);
}

TEST(CityKeyring, ChecksCheckpointsUnderTheKeyTheyName) {
  Hierarchy h;
  CityKeyring ring(h.root->signPublic());
  Checkpoint cp;
  cp.number = 1;
  cp.prevHash = zeroHash();
  cp.digest = zeroHash();
  cp.headsRoot = zeroHash();
  cp.signedAt = kNow;
  cp.cityKeyId = h.primary->keyId();
  Bytes header = encodeCheckpoint(cp);
  Bytes sig = signCheckpoint(*h.primary, header);
  EXPECT_FALSE(verifyCityCheckpoint(ring, header, sig).ok());
  ASSERT_TRUE(ring.add(certifyCityKey(*h.root, h.primary->publicPart(), "primary", kNow)).ok());
  EXPECT_TRUE(verifyCityCheckpoint(ring, header, sig).ok());
  ASSERT_TRUE(ring.add(revokeCityKey(*h.root, h.primary->keyId(), "", kNow, kNow)).ok());
  EXPECT_FALSE(verifyCityCheckpoint(ring, header, sig).ok());
}

}  // namespace
}  // namespace samband::common
