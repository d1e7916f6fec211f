// Tests of the ingest's roster snapshot: it is read again after a change to the roster by any
// connection (the CLI is another process), and only then: the commit thread's periodic look is a
// read of the roster's change counter (broker migration 18).
#include "broker/ingest/roster_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "broker/store/archive_store.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/ids.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using samband::test_time::kNow;

class RosterCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::open(dir_.file("samband.db"), Store::Access::readWrite);
    ASSERT_TRUE(store.ok()) << store.error().message;
    writer_ = std::move(store).value();
    enrollIdentity(*first_, {"30000001"});
    cache_ = std::make_unique<RosterCache>(dir_.file("samband.db"), clock_);
  }

  void enrollIdentity(const common::Identity& id, const std::vector<std::string>& units) {
    auto r = RosterStore(*writer_).enroll(
        common::makeEnrollRequest(id, "Huvudman " + id.id(), units, kNow), false, kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  common::FakeClock clock_{kNow};
  samband::testing::TempDir dir_;
  std::unique_ptr<Store> writer_;
  std::unique_ptr<common::Identity> first_ = common::Identity::generate("556677-0101");
  std::unique_ptr<common::Identity> second_ = common::Identity::generate("556677-0102");
  std::unique_ptr<RosterCache> cache_;
};

TEST_F(RosterCacheTest, AnEnrolmentByAnotherConnectionIsSeenAtTheNextLook) {
  EXPECT_EQ(cache_->reloads(), 1u);
  EXPECT_EQ(cache_->current()->unitOwner.count("30000002"), 0u);
  enrollIdentity(*second_, {"30000002"});
  // Not yet looked: the snapshot is the old one.
  cache_->refreshIfOlder(2000);
  EXPECT_EQ(cache_->current()->keys.size(), 1u);
  clock_.advanceMs(2001);
  cache_->refreshIfOlder(2000);
  auto snap = cache_->current();
  EXPECT_EQ(snap->keys.size(), 2u);
  EXPECT_EQ(snap->unitOwner.at("30000002"), second_->id());
  EXPECT_EQ(snap->keys.count(common::toHex(second_->keyId())), 1u);
  EXPECT_EQ(cache_->reloads(), 2u);
}

TEST_F(RosterCacheTest, LooksWithoutAChangeDoNotReadTheRosterAgain) {
  for (int i = 0; i < 5; ++i) {
    clock_.advanceMs(2001);
    cache_->refreshIfOlder(2000);
    cache_->refreshIfOlder(0);
  }
  EXPECT_EQ(cache_->reloads(), 1u);
  // A heartbeat mark is written to `keys` on every commit with heartbeats; it is not part of the
  // snapshot and must not make every look a reload.
  ASSERT_TRUE(ArchiveStore(*writer_)
                  .setLastHeartbeats({{common::toHex(first_->keyId()), HeartbeatMark{kNow, 7}}})
                  .ok());
  cache_->refreshIfOlder(0);
  EXPECT_EQ(cache_->reloads(), 1u);
}

TEST_F(RosterCacheTest, ARevocationAndAUnitMovedToAnotherProviderAreEachSeen) {
  enrollIdentity(*second_, {"30000002"});
  cache_->refreshIfOlder(0);
  ASSERT_EQ(cache_->reloads(), 2u);
  const std::string keyHex = common::toHex(first_->keyId());
  ASSERT_TRUE(RosterStore(*writer_).revokeKey(keyHex, kNow + 5).ok());
  cache_->refreshIfOlder(0);
  EXPECT_EQ(cache_->reloads(), 3u);
  ASSERT_TRUE(cache_->current()->keys.at(keyHex).revokedAt.has_value());
  writer_->db().exec("UPDATE units SET provider_id='" + second_->id() + "' WHERE code='30000001'");
  cache_->refreshIfOlder(0);
  EXPECT_EQ(cache_->reloads(), 4u);
  EXPECT_EQ(cache_->current()->unitOwner.at("30000001"), second_->id());
}

}  // namespace
}  // namespace samband::broker
