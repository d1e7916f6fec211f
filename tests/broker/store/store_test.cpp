// Tests of the broker's Store: schema migration on a real SQLite file, and the roster operations
// (enroll, transfer, copied keys, revocation) with real keys.
#include "broker/store/store.h"
#include "broker/store/roster_store.h"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using samband::test_time::kNow;

using samband::testing::TempDir;

std::unique_ptr<Store> openOrFail(const std::string& path,
                                  Store::Access access = Store::Access::readWrite) {
  auto store = Store::open(path, access);
  if (!store) {
    ADD_FAILURE() << store.error().message;
    return nullptr;
  }
  return std::move(store).value();
}

// unit code -> provider id, read straight from the units table.
std::map<std::string, std::string> unitsTable(Store& store) {
  std::map<std::string, std::string> out;
  SQLite::Statement q(store.db(), "SELECT code, provider_id FROM units");
  while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
  return out;
}

int64_t count(Store& store, const std::string& table) {
  return store.db().execAndGet("SELECT count(*) FROM " + table).getInt64();
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = openOrFail(dir_.file("samband.db")); }

  EnrollOutcome enrollOrFail(const common::Identity& id, const std::vector<std::string>& units,
                             bool allowTransfer = false) {
    auto r = RosterStore(*store_).enroll(
        common::makeEnrollRequest(id, "Skolbolaget " + id.id(), units, kNow), allowTransfer, kNow);
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return {};
    }
    return *r;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  std::unique_ptr<common::Identity> beta_ = common::Identity::generate("556677-0002");
};

TEST_F(StoreTest, FreshDatabaseMigratesToCurrentSchemaVersion) {
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->db().execAndGet("PRAGMA user_version").getInt(), Store::kSchemaVersion);
  EXPECT_EQ(store_->db().execAndGet("PRAGMA journal_mode").getString(), "wal");
  for (const char* table : {"providers", "keys", "units", "frames", "unit_status", "capacity",
                            "capacity_reports", "continuity", "rejections", "outbound", "meta"}) {
    EXPECT_TRUE(store_->db().tableExists(table)) << table;
  }
}

TEST_F(StoreTest, ReopeningMigratedDatabaseKeepsItsData) {
  enrollOrFail(*alpha_, {"10000001"});
  store_.reset();
  auto again = openOrFail(dir_.file("samband.db"));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->db().execAndGet("PRAGMA user_version").getInt(), Store::kSchemaVersion);
  EXPECT_EQ(unitsTable(*again), (std::map<std::string, std::string>{{"10000001", alpha_->id()}}));
}

TEST_F(StoreTest, RefusesDatabaseFromNewerBroker) {
  store_->db().exec("PRAGMA user_version=" + std::to_string(Store::kSchemaVersion + 1));
  store_.reset();
  auto r = Store::open(dir_.file("samband.db"), Store::Access::readWrite);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("newer"), std::string::npos) << r.error().message;
}

TEST_F(StoreTest, ReadOnlyOpenOfMissingDatabaseNamesInitCommand) {
  auto r = Store::open(dir_.file("absent.db"), Store::Access::readOnly);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("samband-broker init"), std::string::npos) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("absent.db")));
}

TEST_F(StoreTest, EnrollAddsProviderKeyAndUnits) {
  EnrollOutcome out = enrollOrFail(*alpha_, {"10000001", "10000002"});
  EXPECT_TRUE(out.newProvider);
  EXPECT_FALSE(out.keyAlreadyEnrolled);
  EXPECT_EQ(out.unitsAdded, (std::vector<std::string>{"10000001", "10000002"}));
  EXPECT_TRUE(out.unitsTransferred.empty());

  auto keys = RosterStore(*store_).loadKeys().value();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].keyId, common::toHex(alpha_->keyId()));
  EXPECT_EQ(keys[0].providerId, alpha_->id());
  EXPECT_EQ(keys[0].signPublic, alpha_->signPublic());
  EXPECT_EQ(keys[0].curvePublic, alpha_->curvePublic());
  EXPECT_EQ(keys[0].enrolledAt, kNow);
  EXPECT_FALSE(keys[0].revokedAt.has_value());
  EXPECT_EQ(unitsTable(*store_), (std::map<std::string, std::string>{{"10000001", alpha_->id()},
                                                                     {"10000002", alpha_->id()}}));
  EXPECT_EQ(store_->db()
                .execAndGet("SELECT name FROM providers WHERE id='" + alpha_->id() + "'")
                .getString(),
            "Skolbolaget " + alpha_->id());
}

TEST_F(StoreTest, ReenrollingSameKeyIsIdempotent) {
  enrollOrFail(*alpha_, {"10000001"});
  EnrollOutcome again = enrollOrFail(*alpha_, {"10000001"});
  EXPECT_FALSE(again.newProvider);
  EXPECT_TRUE(again.keyAlreadyEnrolled);
  EXPECT_TRUE(again.unitsAdded.empty());
  EXPECT_TRUE(again.unitsTransferred.empty());
  EXPECT_EQ(count(*store_, "providers"), 1);
  EXPECT_EQ(count(*store_, "keys"), 1);
  EXPECT_EQ(count(*store_, "units"), 1);
}

TEST_F(StoreTest, ReenrollingSameKeyAddsNewUnits) {
  enrollOrFail(*alpha_, {"10000001"});
  EnrollOutcome again = enrollOrFail(*alpha_, {"10000001", "10000003"});
  EXPECT_TRUE(again.keyAlreadyEnrolled);
  EXPECT_EQ(again.unitsAdded, (std::vector<std::string>{"10000003"}));
  EXPECT_EQ(count(*store_, "keys"), 1);
}

TEST_F(StoreTest, RefusesUnitOfAnotherProviderWithoutTransferAndChangesNothing) {
  enrollOrFail(*alpha_, {"10000001"});
  auto before = unitsTable(*store_);

  auto r = RosterStore(*store_).enroll(
      common::makeEnrollRequest(*beta_, "Beta", {"10000002", "10000001"}, kNow),
      /*allowTransfer=*/false, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, common::ErrorKind::conflict);
  EXPECT_NE(r.error().message.find("--transfer"), std::string::npos) << r.error().message;
  // The whole request was refused: not even the free unit, the provider or its key were added.
  EXPECT_EQ(unitsTable(*store_), before);
  EXPECT_EQ(count(*store_, "providers"), 1);
  EXPECT_EQ(count(*store_, "keys"), 1);
}

TEST_F(StoreTest, MovesUnitToAnotherProviderWithTransfer) {
  enrollOrFail(*alpha_, {"10000001", "10000002"});
  EnrollOutcome out = enrollOrFail(*beta_, {"10000001"}, /*allowTransfer=*/true);
  EXPECT_TRUE(out.newProvider);
  EXPECT_EQ(out.unitsTransferred, (std::vector<std::string>{"10000001"}));
  EXPECT_TRUE(out.unitsAdded.empty());
  EXPECT_EQ(unitsTable(*store_), (std::map<std::string, std::string>{{"10000001", beta_->id()},
                                                                     {"10000002", alpha_->id()}}));
  EXPECT_EQ(RosterStore(*store_).loadUnitOwners().value().at("10000001"), beta_->id());
}

TEST_F(StoreTest, RefusesCopiedTransportKey) {
  enrollOrFail(*alpha_, {"10000001"});
  // Beta's own signing key, but alpha's CURVE public key: one transport key for two signers.
  auto request = common::makeEnrollRequest(*beta_, "Beta", {"10000002"}, kNow);
  request.curvePublic = alpha_->curvePublic();
  auto r = RosterStore(*store_).enroll(request, false, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, common::ErrorKind::conflict);
  EXPECT_NE(r.error().message.find("copied"), std::string::npos) << r.error().message;
  EXPECT_EQ(count(*store_, "keys"), 1);
  EXPECT_EQ(count(*store_, "providers"), 1);
  EXPECT_EQ(unitsTable(*store_).count("10000002"), 0u);
}

TEST_F(StoreTest, RefusesSigningKeyEnrolledForAnotherProvider) {
  enrollOrFail(*alpha_, {"10000001"});
  auto request = common::makeEnrollRequest(*alpha_, "Beta", {"10000002"}, kNow);
  request.provider = beta_->id();
  auto r = RosterStore(*store_).enroll(request, false, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, common::ErrorKind::conflict);
  EXPECT_EQ(count(*store_, "providers"), 1);
  EXPECT_EQ(RosterStore(*store_).loadKeys().value().at(0).providerId, alpha_->id());
}

TEST_F(StoreTest, RevokeKeyRecordsTimeAndCannotBeRepeated) {
  enrollOrFail(*alpha_, {"10000001"});
  const std::string keyId = common::toHex(alpha_->keyId());
  ASSERT_TRUE(RosterStore(*store_).revokeKey(keyId, kNow + 5).ok());
  auto keys = RosterStore(*store_).loadKeys().value();
  ASSERT_EQ(keys.size(), 1u);
  ASSERT_TRUE(keys[0].revokedAt.has_value());
  EXPECT_EQ(*keys[0].revokedAt, kNow + 5);

  common::Status again = RosterStore(*store_).revokeKey(keyId, kNow + 10);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, common::ErrorKind::notFound);
  EXPECT_EQ(*RosterStore(*store_).loadKeys().value().at(0).revokedAt, kNow + 5);
}

TEST_F(StoreTest, RevokeUnknownKeyIsNotFound) {
  common::Status s = RosterStore(*store_).revokeKey(common::toHex(alpha_->keyId()), kNow);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, common::ErrorKind::notFound);
}

TEST_F(StoreTest, RefusesReenrollingRevokedKey) {
  enrollOrFail(*alpha_, {"10000001"});
  ASSERT_TRUE(RosterStore(*store_).revokeKey(common::toHex(alpha_->keyId()), kNow).ok());
  auto r = RosterStore(*store_).enroll(
      common::makeEnrollRequest(*alpha_, "Alpha", {"10000001"}, kNow), false, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, common::ErrorKind::conflict);
  EXPECT_TRUE(RosterStore(*store_).loadKeys().value().at(0).revokedAt.has_value());
}

TEST_F(StoreTest, RejectionCountsAreReadByReason) {
  store_->db().exec("INSERT INTO rejections(reason, count) VALUES('replay', 3), ('malformed', 7)");
  auto counts = store_->rejectionCounts().value();
  EXPECT_EQ(counts,
            (std::vector<std::pair<std::string, int64_t>>{{"malformed", 7}, {"replay", 3}}));
}

}  // namespace
}  // namespace samband::broker
