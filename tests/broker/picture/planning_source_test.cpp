// The planner's input as read from a real database file: for each unit, form and year the newest
// capacity figure wins between the unit's own report and the city's import, in both orders, by
// the broker's clock (and the board's free seats count the same figure); each unit's status
// (closed_until, age in school time), the providers' duty contacts.
#include "broker/picture/planning_source.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "broker/picture/board_view.h"
#include "broker/store/archive_store.h"
#include "broker/store/capacity_store.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tests/support/temp_dir.h"

namespace samband::broker {
namespace {

constexpr int64_t kWednesday = 1'795'000'000'000;  // 2026-11-18T11:06:40Z, a Wednesday
constexpr int64_t kOneHour = 3'600'000;
constexpr const char* kPlannedUnit = "10000001";

class PlanningSource : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::open(dir_.file("samband.db"), Store::Access::readWrite);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    auto r = RosterStore(*store_).enroll(
        common::makeEnrollRequest(*alpha_, "Alfa Skolor AB", {kPlannedUnit, "10000002"},
                                  kWednesday),
        false, kWednesday);
    ASSERT_TRUE(r.ok()) << r.error().message;
    archive_ = std::make_unique<ArchiveStore>(*store_);
  }

  int64_t frame(const char* kind, int64_t sentAt, int64_t receivedAt) {
    const common::Bytes hash(32, static_cast<uint8_t>(++seq_));
    const common::Bytes envelope(8, 0);
    const std::string sender = alpha_->id();
    const std::string key = "00";
    auto id = archive_->appendFrame(
        NewFrame{sender, key, seq_, kind, "actual", sentAt, receivedAt, hash, envelope});
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : 0;
  }

  // The unit's own capacity report, received by the broker at `receivedAt` (sent at `sentAt`).
  void reportCapacity(int enrolled, int seats, int64_t receivedAt, int64_t sentAt = 0) {
    if (sentAt == 0) sentAt = receivedAt;
    common::CapacityMsg c;
    c.unitCode = kPlannedUnit;
    c.entries.push_back(
        {common::SchoolForm::GRUNDSKOLA, 4, enrolled, seats, static_cast<int32_t>(seats + 2)});
    ASSERT_TRUE(
        archive_->replaceCapacity("actual", frame("capacity", sentAt, receivedAt), sentAt, c).ok());
  }

  void importCapacity(int enrolled, int seats, int64_t atMs) {
    ASSERT_TRUE(CapacityStore(*store_)
                    .importFigures({{kPlannedUnit, "grundskola", 4, enrolled, seats, seats + 2}},
                                   "register.csv", atMs)
                    .ok());
  }

  void status(const std::string& code, common::OperationalState state, int64_t sentAt,
              const std::string& closedUntil = "") {
    common::UnitStatusMsg s;
    s.unitCode = code;
    s.operational = state;
    s.closedUntil = closedUntil;
    s.pupilsEnrolled = 240;
    ASSERT_TRUE(archive_
                    ->upsertUnitStatus("actual", alpha_->id(), frame("unit_status", sentAt, sentAt),
                                       sentAt, sentAt, s)
                    .ok());
  }

  PlanningData read(int64_t nowMs = kWednesday) {
    auto d = loadPlanningData(*store_, nowMs, {});
    EXPECT_TRUE(d.ok()) << d.error().message;
    return d.ok() ? std::move(d).value() : PlanningData{};
  }

  // The enrolled figure the planner sees for the unit's year 4, and where it came from.
  std::pair<int, FigureOrigin> figure() {
    const PlanningData d = read();
    EXPECT_EQ(d.input.cohorts.size(), 1u);
    if (d.input.cohorts.empty()) return {-1, {}};
    return {d.input.cohorts[0].enrolled, d.figureOrigins.at({kPlannedUnit, "grundskola", 4})};
  }

  // The board's free seats now for grundskola year 4, city-wide.
  int64_t boardSeatsNow() {
    auto cap = BoardView(*store_, BoardViewRules{}, kWednesday).capacity("actual");
    EXPECT_TRUE(cap.ok()) << cap.error().message;
    for (const auto& cell : (*cap)["city"]) {
      if (cell["form"] == "grundskola" && cell["year"] == 4)
        return cell["seats_now"].get<int64_t>();
    }
    return -1;
  }

  samband::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ArchiveStore> archive_;
  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  uint64_t seq_ = 0;
};

TEST_F(PlanningSource, AnImportNewerThanTheReportWinsAndANewerReportWinsBack) {
  reportCapacity(20, 5, kWednesday - 3 * kOneHour);
  EXPECT_EQ(figure().first, 20);
  EXPECT_FALSE(figure().second.imported);
  EXPECT_EQ(figure().second.atMs, kWednesday - 3 * kOneHour);

  importCapacity(25, 7, kWednesday - 2 * kOneHour);
  EXPECT_EQ(figure().first, 25);
  EXPECT_TRUE(figure().second.imported);
  EXPECT_EQ(figure().second.atMs, kWednesday - 2 * kOneHour);
  EXPECT_EQ(boardSeatsNow(), 7) << "the board's free seats count the same figure";

  reportCapacity(30, 9, kWednesday - kOneHour);
  EXPECT_EQ(figure().first, 30);
  EXPECT_FALSE(figure().second.imported);
  EXPECT_EQ(boardSeatsNow(), 9);
  auto newest = CapacityStore(*store_).newestFigures();
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 1u) << "one figure per unit, form and year";
}

TEST_F(PlanningSource, AReportNewerThanTheImportWinsAndANewerImportWinsBack) {
  importCapacity(25, 7, kWednesday - 3 * kOneHour);
  EXPECT_EQ(figure().first, 25);
  EXPECT_TRUE(figure().second.imported);
  reportCapacity(30, 9, kWednesday - 2 * kOneHour);
  EXPECT_EQ(figure().first, 30);
  EXPECT_FALSE(figure().second.imported);
  importCapacity(22, 4, kWednesday - kOneHour);
  EXPECT_EQ(figure().first, 22);
  EXPECT_TRUE(figure().second.imported);
  EXPECT_EQ(boardSeatsNow(), 4);
}

TEST_F(PlanningSource, TheBrokersClockOrdersFiguresNeverTheSenders) {
  importCapacity(25, 7, kWednesday - 2 * kOneHour);
  // Sent "in the future" by a clock running ahead, received before the import.
  reportCapacity(30, 9, kWednesday - 3 * kOneHour, kWednesday + 24 * kOneHour);
  EXPECT_EQ(figure().first, 25);
  EXPECT_TRUE(figure().second.imported);
}

TEST_F(PlanningSource, FiguresOfOtherClassesAndUnitsStandSideBySide) {
  reportCapacity(20, 5, kWednesday - 3 * kOneHour);
  ASSERT_TRUE(CapacityStore(*store_)
                  .importFigures({{kPlannedUnit, "fritidshem", 0, 40, 0, 10},
                                  {"10000002", "grundskola", 4, 26, 3, 3}},
                                 "register.csv", kWednesday - 2 * kOneHour)
                  .ok());
  const PlanningData d = read();
  ASSERT_EQ(d.input.cohorts.size(), 3u);
  EXPECT_EQ(d.unitsWithCapacity, (std::set<std::string>{kPlannedUnit, "10000002"}));
  EXPECT_FALSE(d.figureOrigins.at({kPlannedUnit, "grundskola", 4}).imported);
  EXPECT_TRUE(d.figureOrigins.at({kPlannedUnit, "fritidshem", 0}).imported);
}

TEST_F(PlanningSource, ReadsEachUnitsStatusClosedUntilAgeAndTheDutyContacts) {
  status(kPlannedUnit, common::OperationalState::CLOSED, kWednesday - kOneHour, "2026-12-04");
  // Friday 16:00 to Wednesday 08:53 is four days and more, but only Monday, Tuesday and part of
  // Wednesday are school days.
  status("10000002", common::OperationalState::NORMAL, kWednesday - (4 * 24 + 17) * kOneHour);
  ASSERT_TRUE(RosterStore(*store_).setDutyContact(alpha_->id(), "IT-jour 08-123 456 78").ok());
  const PlanningData d = read();
  ASSERT_EQ(d.situations.size(), 2u);
  const UnitSituation& closed = d.situations.at(kPlannedUnit);
  EXPECT_EQ(closed.operational, "closed");
  ASSERT_TRUE(closed.closedUntil.has_value());
  EXPECT_EQ(common::formatCivilDate(*closed.closedUntil), "2026-12-04");
  EXPECT_EQ(closed.pupilsEnrolledReported, 240);
  EXPECT_EQ(d.closedUnits, std::set<std::string>{kPlannedUnit});
  const UnitSituation& open = d.situations.at("10000002");
  EXPECT_FALSE(open.closedUntil.has_value());
  EXPECT_LT(open.reportAgeMs, 3 * 24 * kOneHour) << "school time, not wall time";
  EXPECT_GT(open.reportAgeMs, 2 * 24 * kOneHour);
  EXPECT_EQ(d.dutyContacts.at(alpha_->id()), "IT-jour 08-123 456 78");
  EXPECT_EQ(d.unitProviders.at(kPlannedUnit), alpha_->id());
  EXPECT_EQ(common::formatCivilDate(d.today),
            common::formatCivilDate(common::localDateOf(kWednesday)));

  ASSERT_TRUE(RosterStore(*store_).setDutyContact(alpha_->id(), "").ok());
  EXPECT_EQ(read().dutyContacts.count(alpha_->id()), 0u) << "cleared";
  EXPECT_EQ(RosterStore(*store_).setDutyContact("556677-9999", "x").error().kind,
            common::ErrorKind::notFound);
}

}  // namespace
}  // namespace samband::broker
