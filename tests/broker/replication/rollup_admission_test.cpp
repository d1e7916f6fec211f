// Who may connect to an upstream broker's city port (admittedCity, the ZAP rule of RollupServer,
// docs/rollup.md): a city's enrolled transport key, or the transport half of a broker key its
// root certified (a standby never enrolled with enroll-city), by the certificates stored from
// the city's relayed chains; not once revoked, and not when several cities' roots claim the key.
#include <gtest/gtest.h>

#include "broker/replication/rollup_server.h"
#include "broker/store/rollup_store.h"
#include "common/city_keyring.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/signing.h"
#include "tests/support/temp_dir.h"

namespace samband::broker {
namespace {

using common::Bytes;

constexpr int64_t kNow = 1'800'000'000'000;

Bytes bytesOf(const common::PublicKey& k) { return Bytes(k.begin(), k.end()); }

class RollupAdmission : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open(tmp_.path() + "/upstream.db", Store::Access::readWrite);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }

  // Enrols `city` with its root and its primary broker's transport key.
  void enrol(const std::string& city, const common::Identity& root,
             const common::Identity& primary) {
    RollupCityRow row;
    row.city = city;
    row.rootSignPublic = bytesOf(root.signPublic());
    row.curvePublic = bytesOf(primary.curvePublic());
    row.enrolledAt = kNow;
    ASSERT_TRUE(RollupStore(*store_).enrolCity(row).ok());
  }

  // Stores a city-chain record of `city` signed by `signer` (as the relay would have).
  void storeRecord(const std::string& city, const common::Identity& signer, uint64_t seq,
                   const common::SignedCityKey& statement) {
    common::Message m;
    m.senderId = common::kCitySenderId;
    m.keyId = signer.keyId();
    m.seq = seq;
    m.sentAt = kNow;
    m.payload = statement.toMessage();
    auto sealed = common::seal(signer, m);
    RollupFrameRow row;
    row.sender = common::kCitySenderId;
    row.keyId = common::toHex(signer.keyId());
    row.seq = seq;
    row.bodyHash = sealed.bodyHash;
    row.sentAt = kNow;
    row.receivedAt = kNow;
    row.envelope = sealed.envelope;
    auto inserted = RollupStore(*store_).insertFrame(city, row);
    ASSERT_TRUE(inserted.ok()) << inserted.error().message;
  }

  samband::testing::TempDir tmp_;
  std::unique_ptr<Store> store_;
};

TEST_F(RollupAdmission, AdmitsTheEnrolledKeyAndAStandbyTheCitysRootCertified) {
  auto root = common::Identity::generate("city");
  auto primary = common::Identity::generate("city");
  auto standby = common::Identity::generate("city");
  auto stranger = common::Identity::generate("city");
  enrol("Uppsala", *root, *primary);
  EXPECT_EQ(admittedCity(*store_, bytesOf(primary->curvePublic()), kNow), "Uppsala");
  // Not yet: no certificate of the standby has been relayed.
  EXPECT_FALSE(admittedCity(*store_, bytesOf(standby->curvePublic()), kNow));
  storeRecord("Uppsala", *standby, 1,
              common::certifyCityKey(*root, standby->publicPart(), "standby", kNow - 1000));
  EXPECT_EQ(admittedCity(*store_, bytesOf(standby->curvePublic()), kNow), "Uppsala");
  EXPECT_FALSE(admittedCity(*store_, bytesOf(stranger->curvePublic()), kNow));
  // A certificate signed by another root teaches nothing.
  auto otherRoot = common::Identity::generate("city");
  storeRecord("Uppsala", *stranger, 1,
              common::certifyCityKey(*otherRoot, stranger->publicPart(), "forged", kNow - 1000));
  EXPECT_FALSE(admittedCity(*store_, bytesOf(stranger->curvePublic()), kNow));
  // Revoked by the root: refused from the revocation on.
  storeRecord("Uppsala", *primary, 1,
              common::revokeCityKey(*root, standby->keyId(), "stolen", kNow, kNow + 500));
  EXPECT_EQ(admittedCity(*store_, bytesOf(standby->curvePublic()), kNow), "Uppsala");
  EXPECT_FALSE(admittedCity(*store_, bytesOf(standby->curvePublic()), kNow + 1000));
}

TEST_F(RollupAdmission, RefusesAKeyThatTheRootsOfTwoCitiesCertified) {
  auto rootA = common::Identity::generate("city");
  auto rootB = common::Identity::generate("city");
  auto primaryA = common::Identity::generate("city");
  auto primaryB = common::Identity::generate("city");
  auto standbyB = common::Identity::generate("city");
  enrol("Uppsala", *rootA, *primaryA);
  enrol("Enköping", *rootB, *primaryB);
  storeRecord("Enköping", *standbyB, 1,
              common::certifyCityKey(*rootB, standbyB->publicPart(), "standby", kNow - 1000));
  EXPECT_EQ(admittedCity(*store_, bytesOf(standbyB->curvePublic()), kNow), "Enköping");
  // City A's root claims B's standby too: ambiguous, refused (enroll-city settles it).
  storeRecord("Uppsala", *standbyB, 1,
              common::certifyCityKey(*rootA, standbyB->publicPart(), "claimed", kNow - 1000));
  EXPECT_FALSE(admittedCity(*store_, bytesOf(standbyB->curvePublic()), kNow));
  // The enrolled key of a city is never ambiguous.
  EXPECT_EQ(admittedCity(*store_, bytesOf(primaryB->curvePublic()), kNow), "Enköping");
}

}  // namespace
}  // namespace samband::broker
