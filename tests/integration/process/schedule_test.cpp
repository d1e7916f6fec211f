// The daily readiness schedule under a FakeClock (no sleeping until 07:30): due from the
// configured local time on school days only (weekends, public holidays and the city's holidays
// excused at normal level, every day at heightened level), never on skipped holidays, once per date
// across scheduler restarts, the report written at the deadline, and daylight-saving days handled
// by the time zone (Europe/Stockholm).
#include <gtest/gtest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "broker/city/directives.h"
#include "broker/city/readiness.h"
#include "broker/city/scheduler.h"
#include "broker/store/calendar_store.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace samband::testing {
namespace {

using broker::ReadinessSchedule;
using broker::Scheduler;

// Milliseconds of a UTC time "YYYY-MM-DDTHH:MM:SS".
int64_t utc(const char* text) {
  std::tm tm{};
  EXPECT_EQ(std::sscanf(text, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                        &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
            6)
      << text;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

class Schedule : public ::testing::Test {
 protected:
  void SetUp() override {
    broker::applyTimeZone("Europe/Stockholm");
    dbPath_ = tmp_.path() + "/samband.db";
    auto store = broker::Store::open(dbPath_, broker::Store::Access::readWrite);
    ASSERT_TRUE(store.ok()) << store.error().message;
    auto provider = common::Identity::generate("556677-8899");
    auto request = common::makeEnrollRequest(*provider, "Skolbolaget", {"12345678"}, 1);
    ASSERT_TRUE(broker::RosterStore(**store).enroll(request, false, 1).ok());
  }

  // A scheduler as `serve` runs it, on the same database each time (a "restart").
  std::unique_ptr<Scheduler> scheduler(const ReadinessSchedule& schedule = ReadinessSchedule()) {
    return std::make_unique<Scheduler>(dbPath_, *city_, clock_, schedule);
  }

  int checks() {
    SQLite::Database db(dbPath_);
    return db.execAndGet("SELECT count(*) FROM readiness_checks").getInt();
  }

  TempDir tmp_;
  std::string dbPath_;
  std::unique_ptr<common::Identity> city_ = common::Identity::generate("city");
  common::FakeClock clock_{0};
};

TEST_F(Schedule, IsDueFrom0730StockholmTimeNotBefore) {
  auto s = scheduler();
  clock_.setMs(utc("2026-11-25T06:29:59"));  // Wednesday 07:29:59 CET
  EXPECT_FALSE(s->tick().has_value());
  EXPECT_EQ(checks(), 0);
  clock_.setMs(utc("2026-11-25T06:30:00"));  // 07:30 CET
  auto id = s->tick();
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->rfind("rc-2026-11-25-", 0), 0u) << *id;
  EXPECT_EQ(checks(), 1);
}

TEST_F(Schedule, ABrokerBackWithinTheDeadlineStillSendsTodaysCheckButNotLater) {
  auto s = scheduler();
  clock_.setMs(utc("2026-11-25T07:30:00"));  // 08:30 CET: the 60-minute window has passed
  EXPECT_FALSE(s->tick().has_value());
  clock_.setMs(utc("2026-11-26T06:45:00"));  // 07:45 CET the next day: back in time
  EXPECT_TRUE(s->tick().has_value());
  EXPECT_EQ(checks(), 1);
}

TEST_F(Schedule, SkipsWeekendsAndDisabledSchedules) {
  auto s = scheduler();
  clock_.setMs(
      utc("2026-11-28T06:40:00"));  // Saturday 07:40 CET, inside the window of a school day
  EXPECT_FALSE(s->tick().has_value());
  clock_.setMs(utc("2026-11-29T06:40:00"));  // Sunday
  EXPECT_FALSE(s->tick().has_value());
  EXPECT_EQ(checks(), 0);

  ReadinessSchedule off;
  off.enabled = false;
  auto disabled = scheduler(off);
  clock_.setMs(utc("2026-11-30T06:40:00"));  // Monday 07:40 CET
  EXPECT_FALSE(disabled->tick().has_value());
  EXPECT_EQ(checks(), 0);
  EXPECT_TRUE(s->tick().has_value());
}

TEST_F(Schedule, SkipsHolidayRangesInclusively) {
  ReadinessSchedule schedule;
  schedule.skip = {{"2026-12-21", "2027-01-06"}, {"2027-04-02", "2027-04-02"}};
  auto s = scheduler(schedule);
  for (const char* day : {"2026-12-21T06:40:00", "2026-12-30T06:40:00", "2027-01-06T06:40:00",
                          "2027-04-02T06:40:00"}) {
    clock_.setMs(utc(day));
    EXPECT_FALSE(s->tick().has_value()) << day;
  }
  EXPECT_EQ(checks(), 0);
  clock_.setMs(utc("2027-01-07T06:40:00"));  // Thursday after the break
  EXPECT_TRUE(s->tick().has_value());
  clock_.setMs(utc("2026-12-18T06:40:00"));  // Friday before it
  EXPECT_TRUE(s->tick().has_value());
}

TEST_F(Schedule, NoCheckOnPublicHolidaysOrTheCitysHolidaysAtNormalLevel) {
  ReadinessSchedule schedule;
  schedule.holidays = {{{2027, 2, 22}, {2027, 2, 26}, "sportlov"}};
  {
    auto store = broker::Store::open(dbPath_, broker::Store::Access::readWrite);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(broker::CalendarStore(**store)
                    .replacePeriod({{{2027, 11, 1}, {2027, 11, 5}, "Höstlov"}}, "f", 1)
                    .ok());
  }
  auto s = scheduler(schedule);
  for (const char* day : {"2027-05-06T05:40:00",     // Kristi himmelfärds dag (Thursday)
                          "2027-12-24T06:40:00",     // julafton (Friday)
                          "2027-02-23T06:40:00",     // sportlov, from [calendar]
                          "2027-11-03T06:40:00"}) {  // höstlov, imported
    clock_.setMs(utc(day));
    EXPECT_FALSE(s->tick().has_value()) << day;
  }
  EXPECT_EQ(checks(), 0);
  clock_.setMs(utc("2027-05-07T05:40:00"));  // the Friday after Ascension is a school day
  EXPECT_TRUE(s->tick().has_value());
}

TEST_F(Schedule, ReadinessRunByHandStillRunsOnADayWithoutSchool) {
  auto s = scheduler();
  clock_.setMs(utc("2026-11-28T06:40:00"));  // Saturday
  EXPECT_FALSE(s->tick().has_value());
  auto store = broker::Store::open(dbPath_, broker::Store::Access::readWrite);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(broker::issueCheck(**store, *city_, broker::CheckOptions(), clock_.nowMs()).ok());
  EXPECT_EQ(checks(), 1);
}

TEST_F(Schedule, AtHeightenedLevelTheCheckGoesOutOnSaturdaysAndHolidaysToo) {
  {
    auto store = broker::Store::open(dbPath_, broker::Store::Access::readWrite);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->setMeta(broker::kMetaLevel, "heightened").ok());
  }
  ReadinessSchedule schedule;
  schedule.skip = {{"2027-05-06", "2027-05-06"}};
  auto s = scheduler(schedule);
  clock_.setMs(utc("2026-11-28T06:40:00"));  // Saturday
  EXPECT_TRUE(s->tick().has_value());
  clock_.setMs(utc("2027-05-06T05:40:00"));  // Ascension, and listed in skip
  EXPECT_TRUE(s->tick().has_value());
  clock_.setMs(utc("2027-05-06T05:20:00"));  // before 07:30 it is still not due
  EXPECT_FALSE(s->tick().has_value());
  EXPECT_EQ(checks(), 2);
}

TEST_F(Schedule, IssuesOncePerDateAcrossRestarts) {
  clock_.setMs(utc("2026-11-25T06:31:00"));
  {
    auto s = scheduler();
    EXPECT_TRUE(s->tick().has_value());
    clock_.setMs(utc("2026-11-25T08:00:00"));
    EXPECT_FALSE(s->tick().has_value());
  }
  {
    auto restarted = scheduler();
    clock_.setMs(utc("2026-11-25T09:00:00"));
    EXPECT_FALSE(restarted->tick().has_value());
    EXPECT_EQ(checks(), 1);
    clock_.setMs(utc("2026-11-26T06:30:00"));  // the next school day
    EXPECT_TRUE(restarted->tick().has_value());
  }
  EXPECT_EQ(checks(), 2);
  // A check run by hand that day does not count as the scheduled one, and vice versa.
  {
    auto store = broker::Store::open(dbPath_, broker::Store::Access::readWrite);
    ASSERT_TRUE(store.ok());
    clock_.setMs(utc("2026-11-27T05:00:00"));
    ASSERT_TRUE(broker::issueCheck(**store, *city_, broker::CheckOptions(), clock_.nowMs()).ok());
  }
  auto s = scheduler();
  clock_.setMs(utc("2026-11-27T06:30:00"));
  EXPECT_TRUE(s->tick().has_value());
  EXPECT_EQ(checks(), 4);
}

TEST_F(Schedule, WritesTheReportAtTheDeadline) {
  ReadinessSchedule schedule;
  schedule.deadlineMs = 60 * 60 * 1000;
  auto s = scheduler(schedule);
  clock_.setMs(utc("2026-11-25T06:30:00"));
  auto id = s->tick();
  ASSERT_TRUE(id.has_value());
  SQLite::Database db(dbPath_);
  SQLite::Statement q(db, "SELECT closed_at, summary FROM readiness_checks WHERE id=?");
  q.bind(1, *id);
  ASSERT_TRUE(q.executeStep());
  EXPECT_TRUE(q.getColumn(0).isNull());

  clock_.setMs(utc("2026-11-25T07:29:59"));  // a second before the deadline
  s->tick();
  q.reset();
  ASSERT_TRUE(q.executeStep());
  EXPECT_TRUE(q.getColumn(0).isNull());

  clock_.setMs(utc("2026-11-25T07:30:00"));
  s->tick();
  q.reset();
  ASSERT_TRUE(q.executeStep());
  ASSERT_FALSE(q.getColumn(0).isNull());
  EXPECT_EQ(q.getColumn(0).getInt64(), utc("2026-11-25T07:30:00"));
  auto summary = nlohmann::json::parse(q.getColumn(1).getString());
  EXPECT_EQ(summary["providers"], 1);
  EXPECT_EQ(summary["missing"], 1);
  EXPECT_EQ(summary["answered"], 0);
  EXPECT_EQ(summary["all_good"], false);
}

TEST_F(Schedule, FollowsDaylightSavingTime) {
  ReadinessSchedule everyDay;
  everyDay.weekdays = {0, 1, 2, 3, 4, 5, 6};
  // Spring forward on Sunday 2027-03-28 at 01:00 UTC: 07:30 local is 05:30 UTC from then on.
  EXPECT_FALSE(broker::dueDate(everyDay, utc("2027-03-28T05:29:59")).has_value());
  EXPECT_EQ(broker::dueDate(everyDay, utc("2027-03-28T05:30:00")), "2027-03-28");
  // The day before, still CET: 07:30 local is 06:30 UTC.
  EXPECT_FALSE(broker::dueDate(everyDay, utc("2027-03-27T06:29:59")).has_value());
  EXPECT_EQ(broker::dueDate(everyDay, utc("2027-03-27T06:30:00")), "2027-03-27");
  // Fall back on Sunday 2026-10-25 at 01:00 UTC: 07:30 local is 06:30 UTC again.
  EXPECT_FALSE(broker::dueDate(everyDay, utc("2026-10-25T06:29:59")).has_value());
  EXPECT_EQ(broker::dueDate(everyDay, utc("2026-10-25T06:30:00")), "2026-10-25");
  EXPECT_EQ(broker::dueDate(everyDay, utc("2026-10-24T05:30:00")), "2026-10-24");  // CEST
  // Local dates change at local midnight: 22:30 UTC on 28 March is 00:30 on the 29th.
  EXPECT_EQ(broker::localDate(utc("2027-03-28T22:30:00")), "2027-03-29");
  EXPECT_EQ(broker::localDate(utc("2026-10-25T22:59:59")), "2026-10-25");

  // And the scheduler on the first school day after each change.
  auto s = scheduler();
  // (Monday 29 March 2027 is Easter Monday: no school, so Tuesday.)
  clock_.setMs(utc("2027-03-30T05:29:00"));  // Tuesday 07:29 CEST
  EXPECT_FALSE(s->tick().has_value());
  clock_.setMs(utc("2027-03-30T05:30:00"));
  EXPECT_TRUE(s->tick().has_value());
  clock_.setMs(utc("2026-10-26T06:29:00"));  // Monday 07:29 CET
  EXPECT_FALSE(s->tick().has_value());
  clock_.setMs(utc("2026-10-26T06:30:00"));
  EXPECT_TRUE(s->tick().has_value());
}

}  // namespace
}  // namespace samband::testing
