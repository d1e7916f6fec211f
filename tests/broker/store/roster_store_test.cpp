// Tests of RosterStore's key listing and roster units on a real SQLite file (enroll, transfer and
// revocation are in store_test.cpp).
#include "broker/store/roster_store.h"

#include <gtest/gtest.h>

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <future>
#include <thread>

#include "common/bytes.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tests/broker/store/store_fixture.h"

namespace samband::broker {
namespace {

constexpr int64_t kNow = 1764067580123;

using RosterStoreTest = testing::StoreFixture;

UnitRosterRow unit(const std::string& code, const std::string& provider) {
  UnitRosterRow u;
  u.code = code;
  u.providerId = provider;
  u.name = "Skola " + code;
  u.district = "Centrum";
  u.lat = 59.3;
  u.lon = 18.1;
  u.schoolForms = "grundskola:1;grundskola:2";
  return u;
}

TEST_F(RosterStoreTest, ImportedUnitsExportAsStoredByCode) {
  RosterStore roster(*store_);
  UnitRosterRow bare = unit("10000002", "556000-0001");
  bare.name.clear();
  bare.lat.reset();
  bare.schoolForms.clear();
  ASSERT_TRUE(roster.importUnits({bare, unit("10000001", "556000-0001")}, false).ok());
  auto units = roster.exportUnits();
  ASSERT_TRUE(units.ok());
  ASSERT_EQ(units->size(), 2u);
  EXPECT_EQ((*units)[0].code, "10000001");
  EXPECT_EQ((*units)[0].name, "Skola 10000001");
  EXPECT_EQ((*units)[0].lat, 59.3);
  EXPECT_EQ((*units)[0].schoolForms, "grundskola:1;grundskola:2");
  EXPECT_EQ((*units)[1].name, "");
  EXPECT_FALSE((*units)[1].lat.has_value());
  EXPECT_FALSE((*units)[1].lon.has_value());
  EXPECT_EQ(roster.loadUnitOwners()->at("10000002"), "556000-0001");
}

// The broker's committer writes all the time; an import that read first and wrote after would
// find its snapshot stale when the committer commits in between (SQLITE_BUSY_SNAPSHOT, seen as
// "roster not imported: database is locked" with `serve` running). It takes the write lock first.
TEST_F(RosterStoreTest, ImportWaitsForAnotherWriterInsteadOfFailing) {
  SQLite::Database other(dir_.file("broker.db"), SQLite::OPEN_READWRITE, 5000);
  other.exec("BEGIN IMMEDIATE");
  other.exec("INSERT INTO meta(key, value) VALUES('writer', 'committer')");
  // Hold the write lock while the import starts, then commit: the import must wait, not fail.
  auto committed = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    other.exec("COMMIT");
  });
  auto imported = RosterStore(*store_).importUnits({unit("10000001", "556000-0001")}, false);
  committed.get();
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  EXPECT_EQ(RosterStore(*store_).exportUnits()->size(), 1u);
}

TEST_F(RosterStoreTest, ImportRefusesAnotherProvidersUnitWithoutTransfer) {
  RosterStore roster(*store_);
  ASSERT_TRUE(roster.importUnits({unit("10000001", "556000-0001")}, false).ok());
  auto refused =
      roster.importUnits({unit("10000001", "556000-0002"), unit("10000003", "556000-0002")}, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, common::ErrorKind::invalidInput);
  EXPECT_NE(refused.error().message.find("unit 10000001 belongs to 556000-0001"),
            std::string::npos);
  EXPECT_EQ(roster.exportUnits()->size(), 1u);  // nothing written
  ASSERT_TRUE(roster.importUnits({unit("10000001", "556000-0002")}, true).ok());
  EXPECT_EQ(roster.loadUnitOwners()->at("10000001"), "556000-0002");
}

TEST_F(RosterStoreTest, ListKeysShowsEachKeyAndFiltersByProvider) {
  auto alpha = common::Identity::generate("556000-0001");
  auto beta = common::Identity::generate("556000-0002");
  ASSERT_TRUE(alpha && beta);
  RosterStore roster(*store_);
  ASSERT_TRUE(
      roster.enroll(common::makeEnrollRequest(*alpha, "Alfa", {"10000001"}, kNow), false, kNow)
          .ok());
  ASSERT_TRUE(
      roster.enroll(common::makeEnrollRequest(*beta, "Beta", {"20000001"}, kNow), false, kNow)
          .ok());
  ASSERT_TRUE(roster.revokeKey(common::toHex(beta->keyId()), kNow + 7).ok());
  auto all = roster.listKeys(std::nullopt);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].providerId, "556000-0001");
  EXPECT_EQ((*all)[0].providerName, "Alfa");
  EXPECT_EQ((*all)[0].enrolledAt, kNow);
  EXPECT_FALSE((*all)[0].revokedAt.has_value());
  EXPECT_EQ((*all)[0].frames, 0);
  EXPECT_EQ((*all)[1].revokedAt, kNow + 7);
  auto onlyBeta = roster.listKeys(std::string("556000-0002"));
  ASSERT_TRUE(onlyBeta.ok());
  ASSERT_EQ(onlyBeta->size(), 1u);
  EXPECT_EQ((*onlyBeta)[0].keyId, common::toHex(beta->keyId()));
  EXPECT_TRUE(roster.listKeys(std::string("000000-0000"))->empty());
}

}  // namespace
}  // namespace samband::broker
