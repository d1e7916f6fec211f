// The past picture: moments as people type them, and snapshots that must give exactly what a
// replay from the first frame gives, at every frame of an archive with every kind of frame in
// it (reports, capacity, continuity, exercise traffic, roster records and a transfer, a check
// and its answers, a level directive and its acknowledgements).
#include <gtest/gtest.h>

#include <cstdlib>

#include "broker/city/readiness_schedule.h"
#include "broker/picture/archive_replay.h"
#include "broker/picture/as_of.h"
#include "broker/picture/board_view.h"
#include "broker/picture/moment.h"
#include "broker/picture/snapshotter.h"
#include "broker/store/audit_store.h"
#include "broker/store/snapshot_store.h"
#include "common/clock.h"
#include "tests/broker/picture/archive_builder.h"
#include "tests/support/temp_dir.h"

namespace samband::broker {
namespace {

using common::OperationalState;
using testing::ArchiveBuilder;

constexpr int64_t kStart = 1'803'800'000'000;  // 2027-02-28, a Sunday

TEST(Moment, ReadsLocalTimeAndRfc3339) {
  applyTimeZone("Europe/Stockholm");
  // Winter: UTC+1; summer: UTC+2.
  EXPECT_EQ(*parseMoment("2027-02-23T09:40", "--as-of"), *parseMoment("2027-02-23T08:40:00Z", "x"));
  EXPECT_EQ(*parseMoment("2027-06-23 09:40:30", "x"),
            *parseMoment("2027-06-23T09:40:30+02:00", "x"));
  EXPECT_EQ(*parseMoment("2027-02-23T08:40:00.250Z", "x") - *parseMoment("2027-02-23T08:40Z", "x"),
            250);
  EXPECT_EQ(*parseMoment("1970-01-01T00:00:00Z", "x"), 0);
  EXPECT_EQ(*parseMoment("2027-02-23T08:40:00-01:30", "x"),
            *parseMoment("2027-02-23T10:10:00Z", "x"));
  EXPECT_EQ(formatLocalMoment(*parseMoment("2027-02-23T08:40:00Z", "x")),
            "2027-02-23T09:40:00.000+01:00");
}

TEST(Moment, RefusesTimesThatDoNotExistOrAreAmbiguous) {
  applyTimeZone("Europe/Stockholm");
  auto skipped = parseMoment("2027-03-28T02:30", "--as-of");  // clocks jump 02:00 -> 03:00
  ASSERT_FALSE(skipped.ok());
  EXPECT_NE(skipped.error().message.find("skipped"), std::string::npos);
  auto twice = parseMoment("2027-10-31T02:30", "--as-of");  // 03:00 -> 02:00
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("twice"), std::string::npos);
  EXPECT_TRUE(parseMoment("2027-10-31T02:30+02:00", "--as-of").ok());
  for (const char* bad : {"", "yesterday", "2027-02-30T09:00", "2027-02-23", "2027-02-23T25:00",
                          "2027-02-23T09:40+1", "2027-02-23T09:40Zulu", "2027-02-23T09:4"}) {
    auto r = parseMoment(bad, "--as-of");
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find("--as-of '"), std::string::npos);
    }
  }
}

class PastPictureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    applyTimeZone("Europe/Stockholm");
    b_ = std::make_unique<ArchiveBuilder>(dir_.path() + "/samband.db", kStart);
    ArchiveBuilder& b = *b_;
    b.enrol("556677-8899", {"11111111", "11111112"});
    b.enrol("556000-0001", {"22222221"});
    b.enrol("556000-0002", {"33333331"});
    for (int round = 0; round < 6; ++round) {
      b.advance(60'000);
      b.report("556677-8899",
               ArchiveBuilder::status(
                   "11111111", round < 3 ? OperationalState::NORMAL : OperationalState::REDUCED,
                   280 - round));
      if (round <= 3) {  // then the unit moves to another provider
        b.report("556677-8899", ArchiveBuilder::status("11111112", OperationalState::NORMAL, 120));
      }
      b.commit();
      b.advance(20'000);
      b.report("556000-0001",
               ArchiveBuilder::status(
                   "22222221", round == 4 ? OperationalState::CLOSED : OperationalState::NORMAL,
                   80 + round));
      common::CapacityMsg c{"22222221",
                            {{common::SchoolForm::GRUNDSKOLA, 4, 50, round, 2 * round}}};
      b.report("556000-0001", c);
      b.report("556000-0001", ArchiveBuilder::status("22222221", OperationalState::RELOCATED, 1),
               common::Mode::EXERCISE);
      b.commit();
      if (round == 1) {
        b.city(common::ReadinessCheckMsg{"rc-test-1", b.now(), b.now() + 3'600'000, true, {}});
        b.advance(5'000);
        b.report("556677-8899", common::ReadinessAnswerMsg{
                                    "rc-test-1", {{"disk_free", true, ""}}, false, b.now()});
        b.report("556000-0002", common::ReadinessAnswerMsg{
                                    "rc-test-1", {{"clock_skew", false, "9 s"}}, true, b.now()});
        b.commit();
      }
      if (round == 2) {
        common::DirectiveMsg d{
            "D-000001",           1, "Höjd beredskap", common::ReadinessLevel::HEIGHTENED, true,
            b.now() + 86'400'000, {}};
        b.city(d);
        b.advance(3'000);
        b.report("556677-8899",
                 common::DirectiveAckMsg{"D-000001", common::AckKind::DELIVERED, {}});
        b.report("556000-0001",
                 common::DirectiveAckMsg{"D-000001", common::AckKind::DELIVERED, {}});
        b.commit();
        b.advance(30'000);
        b.report("556677-8899",
                 common::DirectiveAckMsg{"D-000001", common::AckKind::ACKNOWLEDGED, {}});
        b.commit();
      }
      if (round == 3) {
        b.report("556000-0002",
                 common::ContinuityMsg{common::ContinuityState::AT_RISK, 0, "Brist"});
        b.commit();
        // A roster transfer: the city signs that a unit moves.
        common::EnrolmentMsg move{
            common::EnrolmentAction::UNITS, "556000-0002", {}, {}, {}, {"11111112"}, b.now(), {}};
        b.city(move, common::Mode::SYSTEM);
        b.report("556000-0002", ArchiveBuilder::status("11111112", OperationalState::REMOTE, 40));
        b.commit();
      }
    }
    // Two hours later the check's deadline has passed.
    b.advance(2 * 3'600'000);
    b.report("556000-0002", ArchiveBuilder::status("33333331", OperationalState::NORMAL, 50));
    b.commit();
  }

  // The picture of `r` at `atMs` as `status --json` renders it, and its raw tables.
  std::string rendered(ArchiveReplay& r, int64_t atMs) {
    EXPECT_TRUE(labelReplay(b_->store(), r, kStart).ok());
    PictureMoment moment{atMs, r.frames(), r.lastFrameId(), &b_->store()};
    auto p = currentPicture(r.store(), LivenessRules{}, atMs, {}, &moment);
    EXPECT_TRUE(p.ok());
    auto tables = AuditStore(r.store()).pictureTables();
    EXPECT_TRUE(tables.ok());
    std::string out = p.ok() ? p->dump() : "";
    BoardView view(r.store(), BoardViewRules{}, atMs, {}, &moment);
    auto capacity = view.capacity("actual");
    EXPECT_TRUE(capacity.ok());
    if (capacity.ok()) out += capacity->dump();
    if (tables.ok()) {
      for (const auto& [name, rows] : tables->tables) {
        for (const auto& [key, row] : rows) {
          out += "\n" + name + " " + key;
          for (const auto& [column, value] : row) out += " " + column + "=" + value;
        }
      }
    }
    return out;
  }

  samband::testing::TempDir dir_;
  std::unique_ptr<ArchiveBuilder> b_;
};

TEST_F(PastPictureTest, SnapshotsGiveWhatAReplayFromTheFirstFrameGives) {
  common::FakeClock clock(kStart);
  auto stored = catchUpSnapshots(b_->store(), 3, clock);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  auto last = SnapshotStore(b_->store()).newestFrameId();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*stored, *last / 3);
  EXPECT_EQ(*catchUpSnapshots(b_->store(), 3, clock), 0) << "nothing new: nothing stored";
  ASSERT_GT(*last, 40);
  for (int64_t id = 1; id <= *last; ++id) {
    auto fast = replayUpToFrame(b_->store(), id, true);
    auto slow = replayUpToFrame(b_->store(), id, false);
    ASSERT_TRUE(fast.ok() && slow.ok());
    EXPECT_EQ((*fast)->frames(), id);
    EXPECT_EQ((*slow)->frames(), id);
    const int64_t at = (*slow)->receivedUpTo();
    EXPECT_EQ(rendered(**fast, at), rendered(**slow, at)) << "frame " << id;
  }
}

TEST_F(PastPictureTest, EveryMomentRebuiltFromASnapshotEqualsTheFullReplay) {
  common::FakeClock clock(kStart);
  ASSERT_TRUE(catchUpSnapshots(b_->store(), 4, clock).ok());
  int checked = 0, fromSnapshot = 0;
  for (int64_t at = kStart; at <= b_->now(); at += 29'000) {
    auto fast = pictureAsOf(b_->store(), at, b_->now() + 1);
    auto slow = pictureAsOf(b_->store(), at, b_->now() + 1, AsOfOptions{false});
    ASSERT_TRUE(fast.ok() && slow.ok()) << at;
    EXPECT_EQ((*fast)->moment().frames, (*slow)->moment().frames);
    auto pf = currentPicture((*fast)->store(), LivenessRules{}, at, {}, &(*fast)->moment());
    auto ps = currentPicture((*slow)->store(), LivenessRules{}, at, {}, &(*slow)->moment());
    ASSERT_TRUE(pf.ok() && ps.ok());
    EXPECT_EQ(pf->dump(), ps->dump()) << at;
    if ((*fast)->fromSnapshot() > 0) fromSnapshot++;
    checked++;
  }
  EXPECT_GT(checked, 50);
  EXPECT_GT(fromSnapshot, checked / 2);
}

TEST_F(PastPictureTest, ShowsWhatTheArchiveSaidAtEachMoment) {
  // Just after the directive and the first acknowledgement: level heightened, one of three
  // acknowledged; the check open with two answers, one with a failed self-test.
  auto past = pictureAsOf(b_->store(), kStart + 3 * 80'000 + 3 * 60'000, b_->now());
  ASSERT_TRUE(past.ok()) << past.error().message;
  auto p = currentPicture((*past)->store(), LivenessRules{}, 0, {}, &(*past)->moment());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)["level"], "heightened");
  ASSERT_EQ((*p)["open_checks"].size(), 1u);
  EXPECT_EQ((*p)["open_checks"][0]["answered"].size(), 2u);
  EXPECT_EQ((*p)["open_checks"][0]["failed_self_tests"], nlohmann::json::array({"556000-0002"}));
  EXPECT_EQ((*p)["open_checks"][0]["not_confirmed"], nlohmann::json::array({"556677-8899"}));
  ASSERT_EQ((*p)["open_directives"].size(), 1u);
  EXPECT_EQ((*p)["open_directives"][0]["recipients"], 3);
  EXPECT_EQ((*p)["open_directives"][0]["acknowledged"], 1);
  EXPECT_EQ((*p)["open_directives"][0]["not_delivered"], nlohmann::json::array({"556000-0002"}));
  for (const auto& r : (*p)["rejected"]) EXPECT_TRUE(r.is_null());
  EXPECT_EQ((*p)["other_modes"].size(), 1u) << "exercise traffic apart";

  // At the end: the transferred unit under its new provider, remote.
  auto end = pictureAsOf(b_->store(), b_->now(), b_->now());
  ASSERT_TRUE(end.ok());
  auto q = currentPicture((*end)->store(), LivenessRules{}, 0, {}, &(*end)->moment());
  ASSERT_TRUE(q.ok());
  bool found = false;
  for (const auto& provider : (*q)["providers"]) {
    for (const auto& u : provider["units"]) {
      if (u["code"] == "11111112") {
        found = true;
        EXPECT_EQ(provider["id"], "556000-0002");
        EXPECT_EQ(u["operational"], "remote");
      }
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ((*q)["open_checks"].size(), 0u) << "the check's deadline is past";
}

TEST_F(PastPictureTest, ASnapshotThatDoesNotLoadCostsSpeedNotTruth) {
  auto last = SnapshotStore(b_->store()).newestFrameId();
  ASSERT_TRUE(last.ok());
  SnapshotInfo bad{*last - 2, *last - 2, b_->now() - 1, kReplayFormat, kStart, 0};
  ASSERT_TRUE(SnapshotStore(b_->store()).insert(bad, common::Bytes(4096, 0x5a)).ok());
  auto past = pictureAsOf(b_->store(), b_->now(), b_->now());
  auto full = pictureAsOf(b_->store(), b_->now(), b_->now(), AsOfOptions{false});
  ASSERT_TRUE(past.ok() && full.ok());
  EXPECT_EQ((*past)->fromSnapshot(), 0);
  auto a = currentPicture((*past)->store(), LivenessRules{}, 0, {}, &(*past)->moment());
  auto c = currentPicture((*full)->store(), LivenessRules{}, 0, {}, &(*full)->moment());
  EXPECT_EQ(a->dump(), c->dump());
}

TEST_F(PastPictureTest, RefusesMomentsBeforeTheArchiveAndInTheFuture) {
  auto before = pictureAsOf(b_->store(), kStart - 1, b_->now());
  ASSERT_FALSE(before.ok());
  EXPECT_NE(before.error().message.find("the archive starts at"), std::string::npos);
  auto future = pictureAsOf(b_->store(), b_->now() + 1, b_->now());
  ASSERT_FALSE(future.ok());
  EXPECT_NE(future.error().message.find("in the future"), std::string::npos);
}

}  // namespace
}  // namespace samband::broker
