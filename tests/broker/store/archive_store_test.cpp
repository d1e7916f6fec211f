// Tests of ArchiveStore's typed queries against a temporary SQLite file: chain heads and stored
// bodies, appending frames, the audit walk, heartbeat and last-seen times, refusal counters, the
// picture writes moving only forward, and errors returned (never thrown) on a broken schema.
#include "broker/store/archive_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "broker/store/write_transaction.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using common::Bytes;

using samband::test_time::kNow;

class ArchiveStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open(dir_.file("samband.db"), Store::Access::readWrite);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    auto r = RosterStore(*store_).enroll(
        common::makeEnrollRequest(*alpha_, "Huvudman", {"10000001"}, kNow), false, kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
    archive_ = std::make_unique<ArchiveStore>(*store_);
  }

  int64_t append(uint64_t seq, const Bytes& hash, const std::string& sender = "556677-0001",
                 const std::string& keyId = "k1") {
    const Bytes envelope(16, static_cast<uint8_t>(seq));
    auto id = archive_->appendFrame(
        NewFrame{sender, keyId, seq, "unit_status", "actual", kNow, kNow, hash, envelope});
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : 0;
  }

  int64_t scalar(const std::string& sql) { return store_->db().execAndGet(sql).getInt64(); }

  samband::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  std::unique_ptr<ArchiveStore> archive_;
};

TEST_F(ArchiveStoreTest, HeadOfAnEmptyChainIsSeqZero) {
  auto h = archive_->head("556677-0001", "k1");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->seq, 0u);
  EXPECT_TRUE(h->hash.empty());
}

TEST_F(ArchiveStoreTest, HeadIsTheNewestFrameOfThatSenderAndKey) {
  const Bytes h1(32, 1), h2(32, 2), other(32, 9);
  const int64_t first = append(1, h1);
  EXPECT_LT(first, append(2, h2)) << "frame ids grow";
  append(7, other, "556677-0002");
  append(5, other, "556677-0001", "k2");
  auto h = archive_->head("556677-0001", "k1");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->seq, 2u);
  EXPECT_EQ(h->hash, h2);
  auto at1 = archive_->bodyHashAt("556677-0001", "k1", 1);
  ASSERT_TRUE(at1.ok());
  EXPECT_EQ(*at1, h1);
  auto at3 = archive_->bodyHashAt("556677-0001", "k1", 3);
  ASSERT_TRUE(at3.ok());
  EXPECT_FALSE(at3->has_value());
}

TEST_F(ArchiveStoreTest, WalksFramesInChainOrderWithTheirEnrolledKey) {
  const std::string key = common::toHex(alpha_->keyId());
  append(2, Bytes(32, 2), "556677-0001", key);
  append(1, Bytes(32, 1), "556677-0001", key);
  append(1, Bytes(32, 3), "556677-0001", "unknown-key");
  std::vector<std::pair<std::string, uint64_t>> seen;
  auto walked = archive_->forEachFrame([&](const ArchivedFrame& f) {
    seen.emplace_back(f.keyId, f.seq);
    if (f.keyId == key) {
      ASSERT_TRUE(f.signPublic.has_value());
      EXPECT_EQ(*f.signPublic, Bytes(alpha_->signPublic().begin(), alpha_->signPublic().end()));
    } else {
      EXPECT_FALSE(f.signPublic.has_value());
    }
  });
  ASSERT_TRUE(walked.ok()) << walked.error().message;
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_pair(key, uint64_t{1}));
  EXPECT_EQ(seen[1], std::make_pair(key, uint64_t{2}));
}

TEST_F(ArchiveStoreTest, CountersAndTimesAccumulate) {
  ASSERT_TRUE(archive_->addRejections({{"replay", 2}}).ok());
  ASSERT_TRUE(archive_->addRejections({{"replay", 3}, {"malformed", 1}}).ok());
  EXPECT_EQ(scalar("SELECT count FROM rejections WHERE reason='replay'"), 5);
  const std::string key = common::toHex(alpha_->keyId());
  ASSERT_TRUE(archive_->setLastHeartbeats({{key, HeartbeatMark{kNow, UINT64_MAX - 1}}}).ok());
  auto last = archive_->lastHeartbeat(key);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->sentAt, kNow);
  EXPECT_EQ(last->counter, UINT64_MAX - 1) << "counters above INT64_MAX survive the round trip";
  ASSERT_TRUE(archive_->setClockOffsets({{"556677-0001", ClockOffset{-90'000, kNow}}}).ok());
  EXPECT_EQ(scalar("SELECT clock_offset_ms FROM providers WHERE id='556677-0001'"), -90'000);
  ASSERT_TRUE(archive_->noteLastSeen({{"556677-0001", kNow}}).ok());
  ASSERT_TRUE(archive_->noteLastSeen({{"556677-0001", kNow - 1000}}).ok());
  EXPECT_EQ(scalar("SELECT last_seen FROM providers WHERE id='556677-0001'"), kNow)
      << "last seen never moves back";
}

TEST_F(ArchiveStoreTest, UnitStatusAndContinuityFollowArchiveOrderNotTheSendersClock) {
  constexpr int64_t kThreeDays = 3 * 86'400'000;
  common::UnitStatusMsg s;
  s.unitCode = "10000001";
  s.pupilsPresent = 100;
  ASSERT_TRUE(
      archive_->upsertUnitStatus("actual", "556677-0001", 1, kNow + kThreeDays, kNow, s).ok());
  s.pupilsPresent = 50;
  ASSERT_TRUE(archive_->upsertUnitStatus("actual", "556677-0001", 2, kNow, kNow, s).ok());
  EXPECT_EQ(scalar("SELECT pupils_present FROM unit_status WHERE code='10000001'"), 50)
      << "a later frame wins although its sender's clock says it is older";
  s.pupilsPresent = 7;
  ASSERT_TRUE(archive_->upsertUnitStatus("actual", "556677-0001", 1, kNow, kNow, s).ok());
  EXPECT_EQ(scalar("SELECT pupils_present FROM unit_status WHERE code='10000001'"), 50)
      << "an earlier frame applied again never moves the picture back";
  common::ContinuityMsg c;
  c.note = "stamped ahead";
  ASSERT_TRUE(archive_->upsertContinuity("actual", "556677-0001", 1, kNow + kThreeDays, c).ok());
  c.note = "later";
  ASSERT_TRUE(archive_->upsertContinuity("actual", "556677-0001", 2, kNow, c).ok());
  EXPECT_EQ(store_->db().execAndGet("SELECT note FROM continuity").getString(), "later");
  c.note = "earlier frame";
  ASSERT_TRUE(archive_->upsertContinuity("actual", "556677-0001", 1, kNow, c).ok());
  EXPECT_EQ(store_->db().execAndGet("SELECT note FROM continuity").getString(), "later");
}

TEST_F(ArchiveStoreTest, CapacityIsReplacedByALaterFrameOnly) {
  common::CapacityMsg c{"10000001",
                        {{common::SchoolForm::GRUNDSKOLA, 3, 25, 2, 4},
                         {common::SchoolForm::GRUNDSKOLA, 4, 25, 1, 1}}};
  ASSERT_TRUE(archive_->replaceCapacity("actual", 2, kNow + 86'400'000, c).ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM capacity"), 2);
  common::CapacityMsg earlier{"10000001", {{common::SchoolForm::GRUNDSKOLA, 3, 25, 9, 9}}};
  ASSERT_TRUE(archive_->replaceCapacity("actual", 1, kNow + 2 * 86'400'000, earlier).ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM capacity"), 2) << "frame 1 is older than frame 2";
  common::CapacityMsg later{"10000001", {{common::SchoolForm::GRUNDSKOLA, 3, 25, 7, 7}}};
  ASSERT_TRUE(archive_->replaceCapacity("actual", 3, kNow, later).ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM capacity"), 1);
  EXPECT_EQ(scalar("SELECT seats_now FROM capacity"), 7);
}

TEST_F(ArchiveStoreTest, TransactionNotCommittedLeavesNothing) {
  {
    auto tx = WriteTransaction::begin(*store_);
    ASSERT_TRUE(tx.ok()) << tx.error().message;
    append(1, Bytes(32, 1));
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), 0);
  auto tx = WriteTransaction::begin(*store_);
  ASSERT_TRUE(tx.ok());
  append(1, Bytes(32, 1));
  ASSERT_TRUE(tx->commit().ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM frames"), 1);
}

TEST_F(ArchiveStoreTest, BrokenSchemaIsAnErrorNotAnException) {
  store_->db().exec("DROP TABLE frames");
  auto h = archive_->head("556677-0001", "k1");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().kind, common::ErrorKind::unavailable);
  const Bytes hash(32, 1), envelope(8, 1);
  auto id = archive_->appendFrame(
      NewFrame{"556677-0001", "k1", 1, "unit_status", "actual", kNow, kNow, hash, envelope});
  EXPECT_FALSE(id.ok());
  EXPECT_FALSE(archive_->forEachFrame([](const ArchivedFrame&) {}).ok());
}

}  // namespace
}  // namespace samband::broker
