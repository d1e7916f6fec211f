// Tests of BoardView without HTTP: the board's picture (summary, old and expired reports,
// exercise traffic apart), the unit filter, free seats, what-if marks, a provider's history
// and the CSV, on a real SQLite file whose rows the test writes directly.
#include "broker/picture/board_view.h"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "broker/store/roster_store.h"
#include "tests/broker/store/store_fixture.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using nlohmann::json;

using samband::test_time::kNow;
constexpr int64_t kHour = 3600 * 1000LL;

class BoardViewTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    ASSERT_TRUE(RosterStore(*store_)
                    .importUnits({unit("10000001", "556677-0001", "Norr", "grundskola:1"),
                                  unit("10000002", "556677-0001", "Söder", "fritidshem:0"),
                                  unit("20000001", "556677-0002", "Norr", "")},
                                 false)
                    .ok());
  }

  static UnitRosterRow unit(const std::string& code, const std::string& provider,
                            const std::string& district, const std::string& forms) {
    UnitRosterRow u;
    u.code = code;
    u.providerId = provider;
    u.name = "Skola " + code;
    u.district = district;
    u.schoolForms = forms;
    return u;
  }

  void status(const std::string& mode, const std::string& code, const std::string& provider,
              const std::string& operational, int64_t sentAt, int64_t validUntil = 0,
              const std::string& note = "") {
    SQLite::Statement q(store_->db(),
                        "INSERT OR REPLACE INTO unit_status VALUES(?,?,?,1,?,?,?,'',0,100,90,10,"
                        "9,'no','no','grid',-1,'ok','ok','ok','ok','ok',-1,?,?,'')");
    q.bind(1, mode);
    q.bind(2, code);
    q.bind(3, provider);
    q.bind(4, sentAt);
    q.bind(5, sentAt);
    q.bind(6, operational);
    q.bind(7, note);
    q.bind(8, validUntil);
    q.exec();
  }

  void capacity(const std::string& mode, const std::string& code, int year, int seats) {
    SQLite::Statement q(store_->db(), "INSERT INTO capacity VALUES(?,?,'grundskola',?,20,?,?,?,1)");
    q.bind(1, mode);
    q.bind(2, code);
    q.bind(3, year);
    q.bind(4, seats);
    q.bind(5, seats + 1);
    q.bind(6, kNow);
    q.exec();
  }

  BoardView view() { return BoardView(*store_, BoardViewRules{}, kNow); }
};

TEST_F(BoardViewTest, PictureCountsStatesAndMarksOldAndExpiredReports) {
  status("actual", "10000001", "556677-0001", "reduced", kNow - 27 * kHour);
  status("actual", "10000002", "556677-0001", "normal", kNow - kHour, kNow - 1);
  auto p = view().picture();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ((*p)["level"], "normal");
  const json& units = (*p)["summary"]["units"];
  EXPECT_EQ(units["total"], 3);
  EXPECT_EQ(units["reduced"], 1);
  EXPECT_EQ(units["normal"], 1);
  EXPECT_EQ(units["unknown"], 1);
  EXPECT_EQ(units["old"], 2);  // one too old, one past its valid-until
  const json& first = (*p)["providers"][0]["units"][0];
  EXPECT_EQ(first["code"], "10000001");
  EXPECT_EQ(first["old"], true);
  EXPECT_EQ(first["expired"], false);
  EXPECT_EQ(first["age_s"], 27 * 3600);
  EXPECT_EQ(first["school_forms"], json({"grundskola"}));
  EXPECT_EQ((*p)["providers"][0]["units"][1]["expired"], true);
  EXPECT_TRUE((*p)["providers"][1]["units"][0]["age_s"].is_null());
}

// Local dates in Stockholm for one test; the zone the test binary had before comes back after.
class ScopedStockholmTime {
 public:
  ScopedStockholmTime() {
    const char* old = std::getenv("TZ");
    if (old != nullptr) old_ = old;
    hadOld_ = old != nullptr;
    ::setenv("TZ", "Europe/Stockholm", 1);
    ::tzset();
  }
  ~ScopedStockholmTime() {
    if (hadOld_) {
      ::setenv("TZ", old_.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::string old_;
  bool hadOld_ = false;
};

constexpr int64_t kFridayAfternoon = 1802440800000;  // Fri 2027-02-12 15:00 in Stockholm
constexpr int64_t kMondayMorning = 1802674800000;    // Mon 2027-02-15 08:00 in Stockholm

TEST_F(BoardViewTest, FridayAfternoonReportIsNotOldOnMondayMorning) {
  ScopedStockholmTime zone;
  status("actual", "10000001", "556677-0001", "normal", kFridayAfternoon);
  auto p = BoardView(*store_, BoardViewRules{}, kMondayMorning).picture();
  ASSERT_TRUE(p.ok()) << p.error().message;
  const json& u = (*p)["providers"][0]["units"][0];
  EXPECT_EQ(u["age_s"], 65 * 3600);         // wall clock: Friday 15:00 to Monday 08:00
  EXPECT_EQ(u["age_school_s"], 17 * 3600);  // 9 h of Friday and 8 h of Monday
  EXPECT_EQ(u["age_school_hours"], 17.0);
  EXPECT_EQ(u["old"], false);
  EXPECT_EQ((*p)["age_counts"], "school_time");
}

TEST_F(BoardViewTest, HolidayWeekOfTheConfigIsNotCountedEither) {
  ScopedStockholmTime zone;
  status("actual", "10000001", "556677-0001", "normal", kFridayAfternoon);
  BoardViewRules rules;
  rules.holidays = {{{2027, 2, 15}, {2027, 2, 19}, "sportlov"}};
  auto p = BoardView(*store_, rules, kMondayMorning + 7 * 24 * kHour).picture();
  ASSERT_TRUE(p.ok()) << p.error().message;
  const json& u = (*p)["providers"][0]["units"][0];
  EXPECT_EQ(u["age_school_s"], 9 * 3600 + 8 * 3600);  // Friday, then the next Monday's morning
  EXPECT_EQ(u["old"], false);
}

TEST_F(BoardViewTest, AtHeightenedLevelEveryHourCounts) {
  ScopedStockholmTime zone;
  ASSERT_TRUE(store_->setMeta("level", "heightened").ok());
  status("actual", "10000001", "556677-0001", "normal", kFridayAfternoon);
  auto p = BoardView(*store_, BoardViewRules{}, kMondayMorning).picture();
  ASSERT_TRUE(p.ok()) << p.error().message;
  const json& u = (*p)["providers"][0]["units"][0];
  EXPECT_EQ(u["age_school_hours"], 65.0);
  EXPECT_EQ(u["old"], true);
  EXPECT_EQ((*p)["age_counts"], "all_time");
}

TEST_F(BoardViewTest, ExerciseTrafficIsListedApartAndNeverInTheSummary) {
  status("exercise", "10000001", "556677-0001", "closed", kNow - 1000, 0, "övning");
  auto p = view().picture();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)["summary"]["units"]["closed"], 0);
  EXPECT_EQ((*p)["summary"]["units"]["unknown"], 3);
  ASSERT_EQ((*p)["exercise"].size(), 1u);
  EXPECT_EQ((*p)["exercise"][0]["mode"], "exercise");
  EXPECT_EQ((*p)["exercise"][0]["operational"], "closed");
  EXPECT_EQ((*p)["exercise"][0]["name"], "Skola 10000001");
  EXPECT_EQ((*p)["exercise"][0]["note"], "övning");
  EXPECT_EQ((*p)["exercise"][0]["age_s"], 1);
}

TEST_F(BoardViewTest, UnitsFilterByDistrictFormStateAndText) {
  status("actual", "10000002", "556677-0001", "closed", kNow, 0, "Vattenläcka");
  auto codes = [&](const UnitFilter& f) {
    std::vector<std::string> out;
    auto units = view().units(f);
    EXPECT_TRUE(units.ok());
    for (const auto& u : (*units)["units"]) out.push_back(u["code"].get<std::string>());
    return out;
  };
  EXPECT_EQ(codes({"Norr", "", "", "", ""}), (std::vector<std::string>{"10000001", "20000001"}));
  EXPECT_EQ(codes({"", "556677-0002", "", "", ""}), (std::vector<std::string>{"20000001"}));
  EXPECT_EQ(codes({"", "", "closed", "", ""}), (std::vector<std::string>{"10000002"}));
  EXPECT_EQ(codes({"", "", "", "fritidshem", ""}), (std::vector<std::string>{"10000002"}));
  EXPECT_EQ(codes({"", "", "", "", "vattenläcka"}), (std::vector<std::string>{"10000002"}));
}

TEST_F(BoardViewTest, CapacityLeavesOutClosedUnitsAndSumsPerDistrict) {
  capacity("actual", "10000001", 1, 5);
  capacity("actual", "20000001", 1, 7);
  capacity("actual", "10000002", 1, 100);
  status("actual", "10000002", "556677-0001", "closed", kNow);
  auto c = view().capacity("actual");
  ASSERT_TRUE(c.ok());
  ASSERT_EQ((*c)["city"].size(), 1u);
  EXPECT_EQ((*c)["city"][0]["seats_now"], 12);
  EXPECT_EQ((*c)["city"][0]["units"], 2);
  EXPECT_EQ((*c)["excluded_units"], 1);
  ASSERT_EQ((*c)["districts"].size(), 1u);
  EXPECT_EQ((*c)["districts"][0]["district"], "Norr");
  EXPECT_EQ(view().capacity("exercise")->at("city").size(), 0u);
}

TEST_F(BoardViewTest, WhatIfMarkIsShownAndRemovedAndUnknownUnitIsNotFound) {
  ASSERT_TRUE(setWhatIfFailing(*store_, "10000001", true, "anna", kNow).ok());
  auto marks = view().whatIf();
  ASSERT_TRUE(marks.ok());
  ASSERT_EQ((*marks)["failing"].size(), 1u);
  EXPECT_EQ((*marks)["failing"][0]["marked_by"], "anna");
  EXPECT_EQ((*marks)["failing"][0]["provider_id"], "556677-0001");
  EXPECT_EQ((*view().picture())["summary"]["whatif_failing"], 1);
  ASSERT_TRUE(setWhatIfFailing(*store_, "10000001", false, "anna", kNow).ok());
  EXPECT_EQ((*view().whatIf())["failing"].size(), 0u);
  auto unknown = setWhatIfFailing(*store_, "99999999", true, "anna", kNow);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, common::ErrorKind::notFound);
}

TEST_F(BoardViewTest, ProviderHistoryPagesNewestFirstAndFlagsUndecodableFrames) {
  for (int seq = 1; seq <= 3; ++seq) {
    SQLite::Statement q(store_->db(),
                        "INSERT INTO frames(sender, key_id, seq, kind, mode, sent_at, "
                        "received_at, body_hash, envelope) VALUES('556677-0001','k',?,"
                        "'unit_status','actual',?,?,x'00',x'0102')");
    q.bind(1, seq);
    q.bind(2, kNow + seq);
    q.bind(3, kNow + seq);
    q.exec();
  }
  auto page = view().provider("556677-0001", 0, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_TRUE(page->has_value());
  const json& history = (**page)["history"];
  EXPECT_EQ(history["total"], 3);
  ASSERT_EQ(history["items"].size(), 2u);
  EXPECT_EQ(history["items"][0]["seq"], 3);
  EXPECT_TRUE(history["items"][0]["payload"].is_null());
  EXPECT_NE(history["items"][0]["error"].get<std::string>().find("audit"), std::string::npos);
  ASSERT_TRUE(history["next_before"].is_number_integer());
  auto rest = view().provider("556677-0001", history["next_before"].get<int64_t>(), 2);
  ASSERT_TRUE(rest.ok() && rest->has_value());
  EXPECT_EQ((**rest)["history"]["items"].size(), 1u);
  EXPECT_TRUE((**rest)["history"]["next_before"].is_null());
  EXPECT_FALSE(view().provider("000000-0000", 0, 2)->has_value());
}

TEST_F(BoardViewTest, CsvHasOneRowPerUnitAndNeutralisesFormulas) {
  status("actual", "10000001", "556677-0001", "reduced", kNow, 0, "=HYPERLINK(\"x\")");
  auto csv = view().csv();
  ASSERT_TRUE(csv.ok());
  size_t rows = 0;
  for (size_t at = csv->find("\r\n"); at != std::string::npos; at = csv->find("\r\n", at + 2)) {
    ++rows;
  }
  EXPECT_EQ(rows, 4u);  // header and three units
  EXPECT_EQ(csv->substr(0, csv->find("\r\n")).substr(csv->find("whatif_failing")),
            "whatif_failing,closed_until")
      << "closed_until is the last column";
  EXPECT_NE(csv->find("\"'=HYPERLINK(\"\"x\"\")\""), std::string::npos);
  EXPECT_EQ(csvField("a,b"), "\"a,b\"");
  EXPECT_EQ(csvField("@SUM"), "'@SUM");
  EXPECT_EQ(csvField("plain"), "plain");
}

}  // namespace
}  // namespace samband::broker
