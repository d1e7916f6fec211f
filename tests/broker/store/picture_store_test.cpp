// Tests of PictureStore's rows on a real SQLite file: the change fingerprint moves with what the
// board shows, and the health and metrics counts.
#include "broker/store/picture_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/store/archive_store.h"
#include "broker/store/read_transaction.h"
#include "broker/store/rollup_store.h"
#include "broker/store/roster_store.h"
#include "tests/broker/store/store_fixture.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using samband::test_time::kNow;

using PictureStoreTest = testing::StoreFixture;

UnitRosterRow unit(const std::string& code) {
  UnitRosterRow u;
  u.code = code;
  u.providerId = "556677-0001";
  u.name = "Skola " + code;
  return u;
}

TEST_F(PictureStoreTest, FingerprintMovesWithRosterLevelAndWhatIfMarks) {
  PictureStore rows(*store_);
  auto empty = rows.fingerprint();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->print, "0|0|||0,0,0");
  ASSERT_TRUE(RosterStore(*store_).importUnits({unit("10000001")}, false).ok());
  ASSERT_TRUE(store_->setMeta("level", "heightened").ok());
  ASSERT_TRUE(rows.setWhatIf("10000001", true, "anna", kNow).ok());
  auto print = rows.fingerprint();
  ASSERT_TRUE(print.ok());
  EXPECT_EQ(print->print, "0|1|heightened|10000001|0,0,0");
  ASSERT_EQ(print->lastSeen.size(), 1u);
  EXPECT_EQ(print->lastSeen[0], (std::pair<std::string, int64_t>{"556677-0001", 0}));
}

// An upstream broker's /rollup page is live too: a city enrolled, a relayed frame stored and a
// refusal each move the fingerprint (docs/board.md, "The upstream's page").
TEST_F(PictureStoreTest, FingerprintMovesWithRelayedFramesRefusalsAndCities) {
  PictureStore rows(*store_);
  RollupStore rs(*store_);
  RollupCityRow city;
  city.city = "Uppsala";
  city.rootSignPublic = common::Bytes(32, 1);
  city.curvePublic = common::Bytes(32, 2);
  city.enrolledAt = kNow;
  ASSERT_TRUE(rs.enrolCity(city).ok());
  EXPECT_EQ(rows.fingerprint()->print, "0|0|||0,0,1");
  RollupFrameRow frame;
  frame.sender = "556677-0001";
  frame.keyId = "00aa";
  frame.seq = 1;
  frame.bodyHash = common::Bytes(32, 3);
  frame.sentAt = kNow;
  frame.receivedAt = kNow;
  frame.envelope = common::Bytes(10, 4);
  ASSERT_TRUE(rs.insertFrame("Uppsala", frame).ok());
  EXPECT_EQ(rows.fingerprint()->print, "0|0|||1,0,1");
  ASSERT_TRUE(rs.countRefusal("Uppsala", "bad_signature", 2).ok());
  EXPECT_EQ(rows.fingerprint()->print, "0|0|||1,2,1");
}

TEST_F(PictureStoreTest, SetWhatIfRefusesAUnitOutsideTheRoster) {
  auto s = PictureStore(*store_).setWhatIf("99999999", true, "anna", kNow);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, common::ErrorKind::notFound);
  EXPECT_TRUE(PictureStore(*store_).whatIfMarks()->empty());
}

TEST_F(PictureStoreTest, CountsAndHealthDescribeTheDatabase) {
  ASSERT_TRUE(RosterStore(*store_).importUnits({unit("10000001"), unit("10000002")}, false).ok());
  auto counts = PictureStore(*store_).counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->providerLastSeen.size(), 1u);
  EXPECT_FALSE(counts->providerLastSeen[0].has_value());
  EXPECT_EQ(counts->unitsByState.at("unknown"), 2);
  EXPECT_EQ(counts->archivedFrames, 0);
  auto health = PictureStore(*store_).health();
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->schemaVersion, kSchemaVersion);
  EXPECT_EQ(health->archivedFrames, 0);
}

TEST_F(PictureStoreTest, UnitsWithoutAReportHaveNoStatus) {
  ASSERT_TRUE(RosterStore(*store_).importUnits({unit("10000001")}, false).ok());
  auto units = PictureStore(*store_).units();
  ASSERT_TRUE(units.ok());
  ASSERT_EQ(units->size(), 1u);
  EXPECT_EQ((*units)[0].name, "Skola 10000001");
  EXPECT_FALSE((*units)[0].status.has_value());
  auto providers = PictureStore(*store_).providers();
  ASSERT_TRUE(providers.ok());
  ASSERT_EQ(providers->size(), 1u);
  EXPECT_EQ((*providers)[0].lastSeq, 0);
  EXPECT_FALSE((*providers)[0].continuity.has_value());
}

// The keys the board's UnitTextCache checks each unit by: every roster unit in units()'s order
// (by code, whatever order the roster was imported in), with the frame of its actual status only
// (exercise traffic is not the real picture), and unitsByCode() gives units()'s rows.
TEST_F(PictureStoreTest, UnitKeysFollowUnitsOrderAndTheActualStatusFrame) {
  ASSERT_TRUE(RosterStore(*store_)
                  .importUnits({unit("10000003"), unit("10000002"), unit("10000001")}, false)
                  .ok());
  ArchiveStore archive(*store_);
  common::UnitStatusMsg s;
  s.unitCode = "10000003";
  ASSERT_TRUE(archive.upsertUnitStatus("actual", "556677-0001", 7, kNow, kNow, s).ok());
  s.unitCode = "10000001";
  ASSERT_TRUE(archive.upsertUnitStatus("exercise", "556677-0001", 8, kNow, kNow, s).ok());
  PictureStore rows(*store_);
  auto transaction = ReadTransaction::begin(*store_);
  ASSERT_TRUE(transaction.ok());
  std::vector<std::string> seen;
  std::vector<int64_t> frames;
  ASSERT_TRUE(rows.forEachUnitKey([&](const UnitKeyView& k) {
                    seen.emplace_back(k.code);
                    frames.push_back(k.frameId);
                    EXPECT_EQ(k.name,
                              std::optional<std::string_view>("Skola " + std::string(k.code)));
                    EXPECT_EQ(k.providerId, "556677-0001");
                  })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"10000001", "10000002", "10000003"}));
  EXPECT_EQ(frames, (std::vector<int64_t>{0, 0, 7}));
  auto all = rows.units();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].status->frameId, 7);
  auto some = rows.unitsByCode({"10000003", "99999999", "10000001"});
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->size(), 2u) << "an unknown code is left out";
  EXPECT_EQ((*some)[0].code, "10000003");
  EXPECT_EQ((*some)[0].status->frameId, 7);
  EXPECT_FALSE((*some)[1].status.has_value());
  auto names = rows.providerNames();
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 1u);
  EXPECT_EQ((*names)[0].id, "556677-0001");
}

}  // namespace
}  // namespace samband::broker
