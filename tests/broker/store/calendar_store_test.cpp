// CalendarStore against a temporary SQLite file: imported holiday ranges are kept once, read back
// in date order, and count beside the config's ranges in the broker's school calendar.
#include "broker/store/calendar_store.h"

#include <gtest/gtest.h>

#include "tests/broker/store/store_fixture.h"

namespace samband::broker {
namespace {

using common::HolidayRange;

class CalendarStoreTest : public testing::StoreFixture {};

TEST_F(CalendarStoreTest, ImportedRangesAreKeptOnceInDateOrder) {
  CalendarStore calendar(*store_);
  const HolidayRange hostlov{{2027, 11, 1}, {2027, 11, 5}, "Höstlov"};
  const HolidayRange sportlov{{2027, 2, 22}, {2027, 2, 26}, "Sportlov"};
  auto first = calendar.add({hostlov, sportlov}, "lov.ics", 1);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, 2);
  auto second = calendar.add({hostlov}, "lov.ics", 2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 0);
  auto all = calendar.holidays();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "Sportlov");
  EXPECT_EQ(common::formatCivilDate((*all)[1].to), "2027-11-05");
}

TEST_F(CalendarStoreTest, SchoolCalendarCountsConfiguredAndImportedRanges) {
  ASSERT_TRUE(CalendarStore(*store_).add({{{2027, 11, 1}, {2027, 11, 5}, "Höstlov"}}, "f", 1).ok());
  auto calendar = schoolCalendarOf(*store_, {{{2027, 2, 22}, {2027, 2, 26}, "sportlov"}});
  ASSERT_TRUE(calendar.ok());
  EXPECT_EQ(calendar->whyNoSchool({2027, 2, 23}), "sportlov");
  EXPECT_EQ(calendar->whyNoSchool({2027, 11, 3}), "Höstlov");
  EXPECT_TRUE(calendar->isSchoolDay({2027, 11, 8}));
}

}  // namespace
}  // namespace samband::broker
