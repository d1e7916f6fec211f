// The [calendar] table: the city's holiday ranges read from a config file, errors that name the
// file, table, key and element, and the level rule that decides whether the calendar counts.
#include "common/calendar_config.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace samband::common {
namespace {

using samband::testing::TempDir;

Result<std::vector<HolidayRange>> holidaysOf(const TempDir& dir, const std::string& toml) {
  auto file = ConfigFile::load(dir.write("broker.toml", toml));
  EXPECT_TRUE(file) << file.error().message;
  return loadCalendarHolidays(**file);
}

TEST(CalendarConfig, ReadsHolidayRangesWithTheirNames) {
  TempDir dir;
  auto h = holidaysOf(dir,
                      "[calendar]\nholidays = [[\"2027-02-22\", \"2027-02-26\", \"sportlov\"],\n"
                      "  [\"2027-11-01\", \"2027-11-05\", \"höstlov\"]]\n");
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ(formatCivilDate((*h)[0].from), "2027-02-22");
  EXPECT_EQ(formatCivilDate((*h)[0].to), "2027-02-26");
  EXPECT_EQ((*h)[1].name, "höstlov");
}

TEST(CalendarConfig, NoTableMeansNoCityHolidays) {
  TempDir dir;
  auto h = holidaysOf(dir, "[broker]\nlisten = \"tcp://127.0.0.1:7700\"\n");
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->empty());
}

TEST(CalendarConfig, ErrorsNameFileTableKeyAndWhatToWrite) {
  TempDir dir;
  auto shape = holidaysOf(dir, "[calendar]\nholidays = [\"2027-02-22\"]\n");
  ASSERT_FALSE(shape);
  EXPECT_NE(shape.error().message.find("broker.toml: [calendar] holidays"), std::string::npos);
  EXPECT_NE(shape.error().message.find("[\"2027-02-22\", \"2027-02-26\", \"sportlov\"]"),
            std::string::npos);

  auto date = holidaysOf(dir, "[calendar]\nholidays = [[\"2027-02-30\", \"2027-03-01\", \"x\"]]\n");
  ASSERT_FALSE(date);
  EXPECT_NE(date.error().message.find("element 1"), std::string::npos);
  EXPECT_NE(date.error().message.find("YYYY-MM-DD"), std::string::npos);

  auto order =
      holidaysOf(dir, "[calendar]\nholidays = [[\"2027-03-05\", \"2027-03-01\", \"lov\"]]\n");
  ASSERT_FALSE(order);
  EXPECT_NE(order.error().message.find("before the first"), std::string::npos);
}

TEST(CalendarConfig, CalendarExcusesSilenceOnlyAtNormalLevel) {
  EXPECT_TRUE(calendarExcusesSilence(""));
  EXPECT_TRUE(calendarExcusesSilence("normal"));
  EXPECT_FALSE(calendarExcusesSilence("heightened"));
  EXPECT_FALSE(calendarExcusesSilence("highest"));
}

TEST(CalendarConfig, MergeKeepsEachRangeOnce) {
  HolidayRange a{{2027, 2, 22}, {2027, 2, 26}, "sportlov"};
  HolidayRange b{{2027, 4, 6}, {2027, 4, 9}, "påsklov"};
  auto merged = mergeHolidays({a}, {a, b});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[1].name, "påsklov");
}

}  // namespace
}  // namespace samband::common
