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
  auto first = calendar.replacePeriod({hostlov, sportlov}, "lov.ics", 1);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->added, 2);
  auto second = calendar.replacePeriod({hostlov}, "lov.ics", 2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->added, 0);
  EXPECT_TRUE(second->removed.empty());
  auto all = calendar.holidays();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "Sportlov");
  EXPECT_EQ(common::formatCivilDate((*all)[1].to), "2027-11-05");
}

TEST_F(CalendarStoreTest, SchoolCalendarCountsConfiguredAndImportedRanges) {
  ASSERT_TRUE(CalendarStore(*store_)
                  .replacePeriod({{{2027, 11, 1}, {2027, 11, 5}, "Höstlov"}}, "f", 1)
                  .ok());
  auto calendar = schoolCalendarOf(*store_, {{{2027, 2, 22}, {2027, 2, 26}, "sportlov"}});
  ASSERT_TRUE(calendar.ok());
  EXPECT_EQ(calendar->whyNoSchool({2027, 2, 23}), "sportlov");
  EXPECT_EQ(calendar->whyNoSchool({2027, 11, 3}), "Höstlov");
  EXPECT_TRUE(calendar->isSchoolDay({2027, 11, 8}));
}

TEST_F(CalendarStoreTest, AFileIsTheTruthForItsSchoolYearsOnly) {
  CalendarStore calendar(*store_);
  const HolidayRange sportlov{{2027, 2, 22}, {2027, 2, 26}, "Sportlov"};
  const HolidayRange paasklov{{2027, 3, 29}, {2027, 4, 2}, "Påsklov"};
  const HolidayRange hostlov{{2027, 11, 1}, {2027, 11, 5}, "Höstlov"};
  ASSERT_TRUE(calendar.replacePeriod({sportlov, paasklov, hostlov}, "lov-2027.ics", 1).ok());
  // The administration moves sportlov a week and publishes the spring term again: the old week
  // goes; höstlov 2027 belongs to the next school year (2027/28) and stays.
  const HolidayRange moved{{2027, 3, 1}, {2027, 3, 5}, "Sportlov"};
  auto r = calendar.replacePeriod({moved, paasklov}, "vt-2027.ics", 2);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->added, 1);
  ASSERT_EQ(r->removed.size(), 1u);
  EXPECT_EQ(common::formatCivilDate(r->removed[0].from), "2027-02-22");
  auto all = calendar.holidays();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(common::formatCivilDate((*all)[0].from), "2027-03-01");
  EXPECT_EQ((*all)[2].name, "Höstlov");
}

}  // namespace
}  // namespace samband::broker
