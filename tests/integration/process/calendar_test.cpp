// `samband-broker calendar import` and `calendar show` as an operator runs them: holidays from an
// iCalendar file are stored in the database beside [calendar] in broker.toml, and `show` says of
// each day whether it is a school day and why not.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

constexpr const char* kHostlov =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Stad//Lov//SV\r\n"
    "BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20271101\r\nDTEND;VALUE=DATE:20271106\r\n"
    "SUMMARY:Höstlov\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:2\r\nDTSTART;VALUE=DATE:20271112\r\nSUMMARY:Studiedag\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n";

class Calendar : public CityFixture {
 protected:
  CommandResult broker(std::vector<std::string> args) {
    args.insert(args.begin(), brokerBin());
    return runCommand(args);
  }
  nlohmann::json show(const std::string& from, const std::string& to) {
    auto r = broker(
        {"calendar", "show", "--config", brokerConfig(), "--from", from, "--to", to, "--json"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }
};

TEST_F(Calendar, ImportStoresTheFilesHolidaysAndSaysWhichDatesTheyCover) {
  const std::string ics = tmp_.write("lov.ics", kHostlov);
  auto r = broker({"calendar", "import", "--config", brokerConfig(), ics});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("Imported 2 holiday ranges"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(2 new), covering 2027-11-01 to 2027-11-12"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2027-11-01 .. 2027-11-05  Höstlov"), std::string::npos) << r.out;

  auto again = broker({"calendar", "import", "--config", brokerConfig(), ics});
  ASSERT_EQ(again.exitCode, 0) << again.err;
  EXPECT_NE(again.out.find("(0 new)"), std::string::npos) << again.out;

  auto days = show("2027-11-01", "2027-11-12");
  ASSERT_EQ(days["days"].size(), 12u);
  EXPECT_EQ(days["days"][0]["reason"], "Höstlov");
  EXPECT_EQ(days["days"][4]["reason"], "Höstlov");     // Friday 5 November
  EXPECT_EQ(days["days"][6]["reason"], "söndag");      // Sunday 7 November
  EXPECT_EQ(days["days"][7]["school_day"], true);      // Monday 8 November
  EXPECT_EQ(days["days"][11]["reason"], "Studiedag");  // Friday 12 November
  EXPECT_EQ(days["school_days"], 4);
}

TEST_F(Calendar, ACorrectedFileReplacesTheRangesOfItsSchoolYear) {
  ASSERT_EQ(
      broker({"calendar", "import", "--config", brokerConfig(), tmp_.write("lov.ics", kHostlov)})
          .exitCode,
      0);
  // The study day moves from 12 to 19 November.
  std::string corrected = kHostlov;
  corrected.replace(corrected.find("20271112"), 8, "20271119");
  auto r =
      broker({"calendar", "import", "--config", brokerConfig(), tmp_.write("lov2.ics", corrected)});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("(1 new)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Removed 1 range imported earlier"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2027-11-12 .. 2027-11-12  Studiedag"), std::string::npos) << r.out;
  auto days = show("2027-11-12", "2027-11-19");
  EXPECT_EQ(days["days"][0]["school_day"], true);
  EXPECT_EQ(days["days"][7]["reason"], "Studiedag");
}

TEST_F(Calendar, ShowCountsConfigHolidaysAndPublicHolidaysTogether) {
  setTomlKey(brokerConfig(), "calendar", "holidays",
             "[[\"2027-02-22\", \"2027-02-26\", \"sportlov\"]]");
  auto days = show("2027-02-19", "2027-03-01");
  EXPECT_EQ(days["days"][0]["school_day"], true);
  EXPECT_EQ(days["days"][3]["reason"], "sportlov");
  EXPECT_EQ(days["days"][10]["weekday"], "mon");
  EXPECT_EQ(days["days"][10]["school_day"], true);
  EXPECT_EQ(show("2027-03-26", "2027-03-26")["days"][0]["reason"], "Långfredagen");

  auto text = broker({"calendar", "show", "--config", brokerConfig(), "--from", "2027-12-24",
                      "--to", "2027-12-27"});
  ASSERT_EQ(text.exitCode, 0) << text.err;
  EXPECT_NE(text.out.find("2027-12-24  fri  no school: Julafton"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("2027-12-27  mon  school day"), std::string::npos) << text.out;
}

TEST_F(Calendar, MistakesSayWhatToFix) {
  auto bad = broker({"calendar", "import", "--config", brokerConfig(),
                     tmp_.write("bad.ics",
                                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n"
                                "END:VCALENDAR\n")});
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_NE(bad.err.find("bad.ics"), std::string::npos) << bad.err;
  auto order = broker({"calendar", "show", "--config", brokerConfig(), "--from", "2027-03-01",
                       "--to", "2027-02-01"});
  EXPECT_EQ(order.exitCode, 2);
  EXPECT_NE(order.err.find("before --from"), std::string::npos) << order.err;
  auto date = broker({"calendar", "show", "--config", brokerConfig(), "--from", "2027-02-30",
                      "--to", "2027-03-01"});
  EXPECT_EQ(date.exitCode, 2);
  EXPECT_NE(date.err.find("YYYY-MM-DD"), std::string::npos) << date.err;
}

}  // namespace
}  // namespace samband::testing
