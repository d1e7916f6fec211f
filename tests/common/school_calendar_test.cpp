// The school calendar: Swedish public holidays for any year (checked against the published dates
// for 2025-2035), the eves that are no school days, the city's holiday weeks, and school time
// between two instants in Stockholm's zone, across weekends, holidays and daylight saving.
#include "common/school_calendar.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "common/ics_holidays.h"

namespace samband::common {
namespace {

CivilDate date(const char* iso) {
  auto d = parseCivilDate(iso, "test");
  EXPECT_TRUE(d.ok()) << iso;
  return d.ok() ? *d : CivilDate{};
}

TEST(SchoolCalendar, EasterSundayMatchesThePublishedDates2025To2035) {
  const char* published[] = {"2025-04-20", "2026-04-05", "2027-03-28", "2028-04-16",
                             "2029-04-01", "2030-04-21", "2031-04-13", "2032-03-28",
                             "2033-04-17", "2034-04-09", "2035-03-25"};
  for (int y = 2025; y <= 2035; ++y) {
    EXPECT_EQ(formatCivilDate(easterSunday(y)), published[y - 2025]);
  }
}

TEST(SchoolCalendar, MidsummerEveIsTheFridayBetweenThe19thAndThe25thOfJune2025To2035) {
  const char* published[] = {"2025-06-20", "2026-06-19", "2027-06-25", "2028-06-23",
                             "2029-06-22", "2030-06-21", "2031-06-20", "2032-06-25",
                             "2033-06-24", "2034-06-23", "2035-06-22"};
  for (int y = 2025; y <= 2035; ++y) {
    const CivilDate eve = date(published[y - 2025]);
    EXPECT_EQ(SchoolCalendar::publicHolidayName(eve), "Midsommarafton") << published[y - 2025];
    EXPECT_EQ(weekdayOf(eve), 4);
    EXPECT_FALSE(SchoolCalendar::publicHolidayName(civilFromDays(daysFromCivil(eve) - 7)));
  }
}

TEST(SchoolCalendar, NamesEveryPublicHolidayOf2027) {
  SchoolCalendar c;
  EXPECT_EQ(c.whyNoSchool(date("2027-01-01")), "Nyårsdagen");
  EXPECT_EQ(c.whyNoSchool(date("2027-01-06")), "Trettondedag jul");
  EXPECT_EQ(c.whyNoSchool(date("2027-03-26")), "Långfredagen");
  EXPECT_EQ(c.whyNoSchool(date("2027-03-29")), "Annandag påsk");
  EXPECT_EQ(c.whyNoSchool(date("2027-05-01")), "Första maj");
  EXPECT_EQ(c.whyNoSchool(date("2027-05-06")), "Kristi himmelsfärdsdag");
  EXPECT_EQ(c.whyNoSchool(date("2027-06-06")), "Sveriges nationaldag");
  EXPECT_EQ(c.whyNoSchool(date("2027-06-25")), "Midsommarafton");
  EXPECT_EQ(c.whyNoSchool(date("2027-11-06")), "Alla helgons dag");
  EXPECT_EQ(c.whyNoSchool(date("2027-12-24")), "Julafton");
  EXPECT_EQ(c.whyNoSchool(date("2027-12-31")), "Nyårsafton");
  EXPECT_TRUE(c.isSchoolDay(date("2027-03-25")));  // Maundy Thursday is a school day
  EXPECT_TRUE(c.isSchoolDay(date("2027-05-07")));  // the Friday after Ascension
}

TEST(SchoolCalendar, WeekendsAndTheCitysHolidayWeeksAreNoSchoolDays) {
  SchoolCalendar c({{date("2027-02-22"), date("2027-02-26"), "sportlov"}});
  EXPECT_EQ(c.whyNoSchool(date("2027-02-20")), "lördag");
  EXPECT_EQ(c.whyNoSchool(date("2027-02-21")), "söndag");
  for (const char* d : {"2027-02-22", "2027-02-24", "2027-02-26"}) {
    EXPECT_EQ(c.whyNoSchool(date(d)), "sportlov") << d;
  }
  EXPECT_TRUE(c.isSchoolDay(date("2027-03-01")));
  EXPECT_TRUE(c.isSchoolDay(date("2027-02-19")));
}

class StockholmTime : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv("TZ");
    saved_ = old ? old : "";
    hadTz_ = old != nullptr;
    setenv("TZ", "Europe/Stockholm", 1);
    tzset();
  }
  void TearDown() override {
    if (hadTz_) {
      setenv("TZ", saved_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  // Epoch ms of a local Stockholm wall time.
  static int64_t at(const char* isoDate, int hour, int minute = 0) {
    CivilDate d = date(isoDate);
    std::tm tm{};
    tm.tm_year = d.year - 1900;
    tm.tm_mon = d.month - 1;
    tm.tm_mday = d.day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_isdst = -1;
    return static_cast<int64_t>(std::mktime(&tm)) * 1000;
  }
  static constexpr int64_t kHour = 3'600'000;
  std::string saved_;
  bool hadTz_ = false;
};

TEST_F(StockholmTime, AFridayAfternoonReportOnMondayMorningIsAsOldAsOneFromTheDayBefore) {
  SchoolCalendar c;
  // Friday 2027-03-05 15:00 to Monday 08:00: 9 h on Friday, 8 h on Monday.
  EXPECT_EQ(c.schoolMillisBetween(at("2027-03-05", 15), at("2027-03-08", 8), localUtcOffsetMs),
            17 * kHour);
  EXPECT_EQ(c.schoolMillisBetween(at("2027-03-04", 15), at("2027-03-05", 8), localUtcOffsetMs),
            17 * kHour);
}

TEST_F(StockholmTime, AHolidayWeekDoesNotAgeAReport) {
  SchoolCalendar c({{date("2027-02-22"), date("2027-02-26"), "sportlov"}});
  // Friday before sportlov 14:00 to the Monday after, 09:00: 10 h + 9 h.
  EXPECT_EQ(c.schoolMillisBetween(at("2027-02-19", 14), at("2027-03-01", 9), localUtcOffsetMs),
            19 * kHour);
}

TEST_F(StockholmTime, SchoolTimeFollowsDaylightSavingAndNeverGoesNegative) {
  SchoolCalendar c;
  // Sunday 2027-10-31 has 25 hours (back to winter time); Friday and Monday count 24 h each.
  EXPECT_EQ(at("2027-11-02", 0) - at("2027-10-29", 0), (4 * 24 + 1) * kHour);
  EXPECT_EQ(c.schoolMillisBetween(at("2027-10-29", 0), at("2027-11-02", 0), localUtcOffsetMs),
            48 * kHour);
  // Easter 2027: Good Friday and Easter Monday are holidays, so that long weekend adds nothing.
  EXPECT_EQ(c.schoolMillisBetween(at("2027-03-26", 0), at("2027-03-30", 0), localUtcOffsetMs), 0);
  EXPECT_EQ(c.schoolMillisBetween(at("2027-03-30", 0), at("2027-03-26", 0), localUtcOffsetMs), 0);
  EXPECT_EQ(c.schoolMillisBetween(at("2027-03-30", 10), at("2027-03-30", 11, 30), localUtcOffsetMs),
            kHour + kHour / 2);
}

TEST(SchoolCalendar, DatesParseStrictly) {
  EXPECT_TRUE(parseCivilDate("2028-02-29", "d").ok());
  for (const char* bad : {"2027-02-29", "2027-13-01", "2027-1-01", "27-01-01", "", "2027-01-0x"}) {
    auto d = parseCivilDate(bad, "--from");
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_NE(d.error().message.find("YYYY-MM-DD"), std::string::npos);
  }
  for (int64_t days : {-1000, 0, 1, 20000, 50000}) {
    EXPECT_EQ(daysFromCivil(civilFromDays(days)), days);
  }
}

constexpr const char* kIcs =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Stockholms stad//Lov//SV\r\n"
    "BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20270222\r\nDTEND;VALUE=DATE:20270227\r\n"
    "SUMMARY:Sportlov\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:2\r\nDTSTART:20271101T000000\r\nSUMMARY:Studiedag\\, höst\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:3\r\nDTSTART;VALUE=DATE:20271027\r\nDTEND;VALUE=DATE:2027\r\n"
    " 1030\r\nSUMMARY:Höstlov\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

TEST(IcsHolidays, ReadsDateRangesWithExclusiveEndsFoldedLinesAndEscapes) {
  auto r = parseIcsHolidays(kIcs, "lov.ics");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(formatCivilDate((*r)[0].from), "2027-02-22");
  EXPECT_EQ(formatCivilDate((*r)[0].to), "2027-02-26");
  EXPECT_EQ((*r)[0].name, "Sportlov");
  EXPECT_EQ(formatCivilDate((*r)[1].from), "2027-11-01");
  EXPECT_EQ(formatCivilDate((*r)[1].to), "2027-11-01");
  EXPECT_EQ((*r)[1].name, "Studiedag, höst");
  EXPECT_EQ(formatCivilDate((*r)[2].to), "2027-10-29");
}

TEST(IcsHolidays, RefusesBrokenFilesNamingTheLine) {
  struct Case {
    std::string text;
    std::string words;
  } cases[] = {
      {"hello world\n", "line 1"},
      {"BEGIN:VEVENT\nDTSTART:20270101\nEND:VEVENT\n", "VCALENDAR"},
      {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n", "no DTSTART"},
      {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2027AB01\nEND:VEVENT\nEND:VCALENDAR\n", "line 3"},
      {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20270301\n"
       "DTEND;VALUE=DATE:20270201\nEND:VEVENT\nEND:VCALENDAR\n",
       "ends before it starts"},
      {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20270301\nEND:VCALENDAR\n", "END:VEVENT"},
      {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20270230\nEND:VEVENT\nEND:VCALENDAR\n",
       "not an iCalendar date"},
  };
  for (const auto& c : cases) {
    auto r = parseIcsHolidays(c.text, "lov.ics");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().kind, ErrorKind::invalidInput);
    EXPECT_NE(r.error().message.find(c.words), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(parseIcsHolidays(std::string(kMaxIcsBytes + 1, 'x'), "big.ics").ok());
}

}  // namespace
}  // namespace samband::common
