// The daily readiness check with two brokers up: the standby's window opens standby_grace_s
// after the primary's, so the primary's check (seen by then) keeps it from issuing its own.
#include <gtest/gtest.h>

#include "broker/city/readiness_schedule.h"

namespace samband::broker {
namespace {

// 2026-12-07 (a Monday) at hh:mm UTC.
int64_t mondayAt(int hh, int mm) {
  const int64_t midnight = 1796601600000LL;  // 2026-12-07T00:00:00Z
  return midnight + (hh * 60LL + mm) * 60'000;
}

TEST(StandbySchedule, TheStandbysWindowOpensAfterTheGrace) {
  applyTimeZone("UTC");
  ReadinessSchedule primary;
  primary.minuteOfDay = 7 * 60 + 30;
  primary.deadlineMs = 60 * 60'000;
  ReadinessSchedule standby = primary;
  standby.standbyDelayMinutes = 10;
  ASSERT_EQ(localDate(mondayAt(7, 30)), "2026-12-07");
  EXPECT_TRUE(dueDate(primary, mondayAt(7, 30)).has_value());
  EXPECT_FALSE(dueDate(standby, mondayAt(7, 30)).has_value());
  EXPECT_FALSE(dueDate(standby, mondayAt(7, 39)).has_value());
  EXPECT_EQ(dueDate(standby, mondayAt(7, 40)), "2026-12-07");
  // Both windows close at the deadline.
  EXPECT_FALSE(dueDate(standby, mondayAt(8, 30)).has_value());
  EXPECT_FALSE(dueDate(primary, mondayAt(8, 30)).has_value());
}

}  // namespace
}  // namespace samband::broker
