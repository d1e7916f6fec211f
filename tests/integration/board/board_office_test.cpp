// HTTP-level tests of what the office asks the board: the free-seats view (units with free seats
// per school form and year, sorted by district and seats, totals per district and school form,
// filters, the same as CSV, ages of old reports) and the office's gauges on /metrics (units past
// the calendar's allowance, the newest readiness check by outcome, unacknowledged directives,
// clock offsets, checkpoints), against a real database.
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "board_test_paths.h"
#include "broker/city/checkpointer.h"
#include "broker/city/city_chain.h"
#include "broker/city/directives.h"
#include "broker/city/readiness.h"
#include "common/bytes.h"
#include "tests/integration/board/board_fixture.h"

namespace samband::broker::testing {
namespace {

using nlohmann::json;

class BoardSeats : public BoardFixture {
 protected:
  void SetUp() override {
    BoardFixture::SetUp();
    // Kungsholmen: Ekskolan 5/8 and Lönnskolan 2/3 in grundskola year 1, Lönnskolan none in
    // year 2; Södermalm: Björkskolan 4/6 in förskoleklass. A fourth unit without a district.
    db().db().exec(
        "INSERT INTO units(code, provider_id, name, district, school_forms) VALUES "
        "('45678901', '112233-4455', 'Almskolan', NULL, 'grundskola:1')");
    capacity("12345678", "grundskola", 1, 20, 5, 8);
    capacity("34567890", "grundskola", 1, 25, 2, 3);
    capacity("34567890", "grundskola", 2, 25, 0, 0);
    capacity("23456789", "forskoleklass", 0, 10, 4, 6);
    capacity("45678901", "grundskola", 1, 30, 1, 1);
    viewer_ = login(kViewer);
  }
  json get(const std::string& path) {
    auto r = client().Get(path.c_str(), as(viewer_));
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
  std::string text(const std::string& path, std::string* disposition = nullptr) {
    auto r = client().Get(path.c_str(), as(viewer_));
    EXPECT_TRUE(r) << path;
    if (!r) return "";
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    if (disposition) *disposition = r->get_header_value("Content-Disposition");
    return r->body;
  }
  static std::vector<std::string> codes(const json& seats) {
    std::vector<std::string> out;
    for (const auto& u : seats["units"]) {
      out.push_back(u["code"].get<std::string>() + "/" + u["form"].get<std::string>() + "/" +
                    std::to_string(u["year"].get<int>()));
    }
    return out;
  }
  LoggedIn viewer_;
};

TEST_F(BoardSeats, ListsUnitsWithFreeSeatsByDistrictAndSeatsWithTotalsPerDistrictAndForm) {
  json s = get("/api/seats");
  // Kungsholmen (most seats first), then Södermalm, then the unit without a district; the row
  // without free seats is not listed.
  EXPECT_EQ(codes(s),
            (std::vector<std::string>{"12345678/grundskola/1", "34567890/grundskola/1",
                                      "23456789/forskoleklass/0", "45678901/grundskola/1"}));
  const json& first = s["units"][0];
  EXPECT_EQ(first["district"], "Kungsholmen");
  EXPECT_EQ(first["name"], "Ekskolan");
  EXPECT_EQ(first["provider_id"], kProvider);
  EXPECT_EQ(first["seats_now"], 5);
  EXPECT_EQ(first["seats_72h"], 8);
  EXPECT_EQ(first["old"], false);
  EXPECT_TRUE(s["units"][3]["district"].is_null());
  ASSERT_EQ(s["totals"].size(), 3u);
  EXPECT_EQ(s["totals"][0]["district"], "Kungsholmen");
  EXPECT_EQ(s["totals"][0]["form"], "grundskola");
  EXPECT_EQ(s["totals"][0]["seats_now"], 7);
  EXPECT_EQ(s["totals"][0]["seats_72h"], 11);
  EXPECT_EQ(s["totals"][0]["units"], 2);
  EXPECT_EQ(s["totals"][1]["district"], "Södermalm");
  EXPECT_EQ(s["totals"][1]["form"], "forskoleklass");
  EXPECT_EQ(s["totals"][1]["seats_now"], 4);
  EXPECT_TRUE(s["totals"][2]["district"].is_null());
  EXPECT_EQ(s["excluded_units"], 0);
  EXPECT_EQ(s["forms"][0]["form"], "forskoleklass") << "forms in the protocol's order";
  EXPECT_EQ(s["forms"][1]["form"], "grundskola");
  EXPECT_EQ(s["forms"][1]["years"], json::array({1}));
}

TEST_F(BoardSeats, FiltersByFormYearAndDistrictAndLeavesOutClosedAndRemoteUnits) {
  EXPECT_EQ(codes(get("/api/seats?form=forskoleklass")),
            (std::vector<std::string>{"23456789/forskoleklass/0"}));
  EXPECT_EQ(codes(get("/api/seats?form=grundskola&year=1&district=Kungsholmen")),
            (std::vector<std::string>{"12345678/grundskola/1", "34567890/grundskola/1"}));
  EXPECT_EQ(codes(get("/api/seats?district=-")),
            (std::vector<std::string>{"45678901/grundskola/1"}));
  EXPECT_TRUE(get("/api/seats?form=grundskola&year=9")["units"].empty());
  // A closed unit's seats are not available.
  report("12345678", "closed", "");
  json s = get("/api/seats?form=grundskola");
  EXPECT_EQ(codes(s), (std::vector<std::string>{"34567890/grundskola/1", "45678901/grundskola/1"}));
  EXPECT_EQ(s["excluded_units"], 1);
  EXPECT_EQ(s["totals"][0]["seats_now"], 2);
  for (const char* bad : {"/api/seats?form=skola", "/api/seats?year=x", "/api/seats?year=-1",
                          "/api/seats?mode=real", "/api/seats.csv?totals=2"}) {
    auto r = client().Get(bad, as(viewer_));
    EXPECT_EQ(errorOf(r, 400), "invalid_input") << bad;
  }
}

TEST_F(BoardSeats, TheCsvHasTheSameRowsAndTotalsAndNeutralisesFormulas) {
  db().db().exec("UPDATE units SET name='=HYPERLINK(\"x\")' WHERE code='34567890'");
  std::string disposition;
  const std::string csv = text("/api/seats.csv?form=grundskola", &disposition);
  EXPECT_NE(disposition.find("samband-seats-"), std::string::npos) << disposition;
  std::istringstream lines(csv);
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  ASSERT_EQ(rows.size(), 4u) << csv;
  EXPECT_EQ(rows[0],
            "district,unit_code,unit_name,provider_id,provider_name,school_form,year,seats_now,"
            "seats_72h,enrolled,state,reported_at,age_s,old\r");
  EXPECT_EQ(rows[1].rfind("Kungsholmen,12345678,Ekskolan,556677-8899,Skolbolaget AB,grundskola,1,"
                          "5,8,20,unknown,",
                          0),
            0u)
      << rows[1];
  EXPECT_NE(rows[2].find("\"'=HYPERLINK(\"\"x\"\")\""), std::string::npos) << rows[2];
  EXPECT_EQ(rows[3].rfind(",45678901,Almskolan,", 0), 0u) << rows[3];
  const std::string totals = text("/api/seats.csv?totals=1");
  EXPECT_EQ(totals.rfind("district,school_form,seats_now,seats_72h,units,old_units,"
                         "oldest_report_at\r\nKungsholmen,grundskola,7,11,2,0,",
                         0),
            0u)
      << totals;
  EXPECT_NE(totals.find("\r\nSödermalm,forskoleklass,4,6,1,0,"), std::string::npos) << totals;
  const std::string excel = text("/api/seats.csv?totals=1&excel=1");
  EXPECT_EQ(excel.rfind("\xEF\xBB\xBF"
                        "district;school_form;",
                        0),
            0u);
}

TEST_F(BoardSeats, SeatsFromReportsOlderThanTheCalendarAllowsSayHowOldTheyAre) {
  // Wednesday 11:06 UTC; two days later every capacity report is over 26 school hours old.
  clock_.advanceMs(50 * 3600 * 1000LL);
  capacity("23456789", "forskoleklass", 0, 10, 4, 6);  // reported again: fresh
  viewer_ = login(kViewer);                            // the first session has expired
  json s = get("/api/seats");
  for (const auto& u : s["units"]) {
    EXPECT_EQ(u["old"], u["code"] != "23456789") << u.dump();
    EXPECT_GE(u["age_s"].get<int64_t>(), u["code"] == "23456789" ? 0 : 50 * 3600);
  }
  EXPECT_EQ(s["totals"][0]["old_units"], 2);
  EXPECT_TRUE(s["totals"][0]["oldest_report_at"].is_string());
  EXPECT_EQ(s["totals"][1]["old_units"], 0);
  json c = get("/api/capacity");
  EXPECT_EQ(c["report_old_after_s"], 93600);
  bool sawOld = false;
  for (const auto& d : c["districts"]) {
    for (const auto& row : d["rows"]) {
      if (d["district"] == "Kungsholmen" && row["form"] == "grundskola" && row["year"] == 1) {
        EXPECT_EQ(row["old_units"], 2);
        EXPECT_EQ(row["seats_now"], 7);
        sawOld = true;
      }
      if (d["district"] == "Södermalm") {
        EXPECT_EQ(row["old_units"], 0);
      }
    }
  }
  EXPECT_TRUE(sawOld) << c.dump();
}

// ----------------------------------------------------------------------- /metrics

class BoardOfficeMetrics : public BoardFixture {
 protected:
  // Every sample of `name` in a /metrics answer, by its label text ("" without labels).
  std::map<std::string, std::string> samples(const std::string& name) {
    auto r = client().Get("/metrics");
    EXPECT_TRUE(r && r->status == 200);
    std::map<std::string, std::string> out;
    if (!r) return out;
    std::istringstream in(r->body);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(name, 0) != 0) continue;
      const std::string rest = line.substr(name.size());
      if (!rest.empty() && rest[0] != '{' && rest[0] != ' ') continue;  // a longer name
      const auto space = rest.rfind(' ');
      out[rest.substr(0, space)] = rest.substr(space + 1);
    }
    return out;
  }
  void enroll(const common::Identity& id) {
    SQLite::Statement q(db().db(),
                        "INSERT INTO keys(key_id, provider_id, sign_public, curve_public, "
                        "enrolled_at) VALUES(?,?,?,?,0)");
    q.bind(1, common::toHex(id.keyId()));
    q.bind(2, id.id());
    q.bind(3, id.signPublic().data(), 32);
    q.bind(4, id.curvePublic().data(), 32);
    q.exec();
  }
};

TEST_F(BoardOfficeMetrics, UnitsPastTheCalendarsAllowanceByReason) {
  report("12345678", "normal", "");
  report("23456789", "reduced", "");
  auto m = samples("samband_units_report_overdue");
  EXPECT_EQ(m["{reason=\"old\"}"], "0");
  EXPECT_EQ(m["{reason=\"expired\"}"], "0");
  EXPECT_EQ(m["{reason=\"never_reported\"}"], "1") << "Lönnskolan never reported";
  // Two school days later both reports are old; one also said it was valid only until noon.
  clock_.advanceMs(50 * 3600 * 1000LL);
  db().db().exec("UPDATE unit_status SET valid_until=" + std::to_string(kStartMs + 3600 * 1000) +
                 " WHERE code='23456789'");
  m = samples("samband_units_report_overdue");
  EXPECT_EQ(m["{reason=\"old\"}"], "1");
  EXPECT_EQ(m["{reason=\"expired\"}"], "1");
  EXPECT_EQ(m["{reason=\"never_reported\"}"], "1");
  EXPECT_EQ(samples("samband_report_allowance_seconds")[""], "93600");
  EXPECT_EQ(samples("samband_report_allowance_school_time")[""], "1");
  // The existing gauge of units by operational state stays.
  auto states = samples("samband_units");
  EXPECT_EQ(states["{state=\"reduced\"}"], "1");
  EXPECT_EQ(states["{state=\"unknown\"}"], "1");
}

TEST_F(BoardOfficeMetrics, TheNewestReadinessCheckByOutcome) {
  EXPECT_TRUE(samples("samband_readiness_latest_providers").empty()) << "no check yet";
  enroll(*identity_);
  auto other = common::Identity::generate(kOtherProvider);
  enroll(*other);
  CheckOptions options;
  options.deadlineMs = 10 * 60 * 1000;
  auto id = issueCheck(db(), *city_, options, clock_.nowMs());
  ASSERT_TRUE(id.ok()) << id.error().message;
  common::ReadinessAnswerMsg answer;
  answer.checkId = *id;
  answer.results = {{"clock_skew", true, "12 ms"}, {"disk", false, "3 MB free"}};
  ASSERT_TRUE(
      recordReadinessAnswer(db(), kProvider, answer, clock_.nowMs(), clock_.nowMs(), 0).ok());
  auto m = samples("samband_readiness_latest_providers");
  EXPECT_EQ(m["{mode=\"actual\",outcome=\"answered\"}"], "1");
  EXPECT_EQ(m["{mode=\"actual\",outcome=\"pending\"}"], "1");
  EXPECT_EQ(m["{mode=\"actual\",outcome=\"missing\"}"], "0");
  EXPECT_EQ(samples("samband_readiness_latest_failed_self_tests")["{mode=\"actual\"}"], "1");
  EXPECT_EQ(samples("samband_readiness_latest_issued_timestamp_seconds")["{mode=\"actual\"}"],
            "1795000000");
  clock_.advanceMs(11 * 60 * 1000);  // past the deadline: the silent provider is missing
  m = samples("samband_readiness_latest_providers");
  EXPECT_EQ(m["{mode=\"actual\",outcome=\"pending\"}"], "0");
  EXPECT_EQ(m["{mode=\"actual\",outcome=\"missing\"}"], "1");
}

TEST_F(BoardOfficeMetrics, OpenDirectivesAndWhoHasNotAcknowledged) {
  enroll(*identity_);
  auto other = common::Identity::generate(kOtherProvider);
  enroll(*other);
  DirectiveOptions withAck;
  withAck.text = "Rapportera varje timme.";
  withAck.requireAck = true;
  auto first = sendDirective(db(), *city_, withAck, clock_.nowMs());
  ASSERT_TRUE(first.ok()) << first.error().message;
  DirectiveOptions exercise = withAck;
  exercise.mode = common::Mode::EXERCISE;
  ASSERT_TRUE(sendDirective(db(), *city_, exercise, clock_.nowMs()).ok());
  DirectiveOptions info;
  info.text = "Information.";
  auto second = sendDirective(db(), *city_, info, clock_.nowMs());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(samples("samband_directives_open")[""], "2") << "the exercise directive is not counted";
  EXPECT_EQ(samples("samband_directives_unacknowledged")[""], "1");
  auto unacked = samples("samband_directive_recipients_unacknowledged");
  EXPECT_EQ(unacked["{directive=\"" + *first + "\"}"], "2");
  EXPECT_EQ(unacked.count("{directive=\"" + *second + "\"}"), 0u) << "no ack was asked for";
  EXPECT_EQ(samples("samband_directive_recipients_undelivered")["{directive=\"" + *second + "\"}"],
            "2");
  common::DirectiveAckMsg ack;
  ack.directiveId = *first;
  ack.kind = common::AckKind::DELIVERED;
  ASSERT_TRUE(recordDirectiveAck(db(), kProvider, ack, clock_.nowMs()).ok());
  ack.kind = common::AckKind::ACKNOWLEDGED;
  ASSERT_TRUE(recordDirectiveAck(db(), kProvider, ack, clock_.nowMs()).ok());
  EXPECT_EQ(
      samples("samband_directive_recipients_unacknowledged")["{directive=\"" + *first + "\"}"],
      "1");
  EXPECT_EQ(samples("samband_directive_recipients_undelivered")["{directive=\"" + *first + "\"}"],
            "1");
  clock_.advanceMs(25 * 3600 * 1000LL);  // both expired after the default 24 h
  EXPECT_EQ(samples("samband_directives_open")[""], "0");
  EXPECT_EQ(samples("samband_directives_unacknowledged")[""], "0");
}

TEST_F(BoardOfficeMetrics, ProvidersByClockOffset) {
  auto m = samples("samband_providers_clock_offset");
  EXPECT_EQ(m["{range=\"unmeasured\"}"], "2");
  db().db().exec(
      "UPDATE providers SET clock_offset_ms=-180000 WHERE id='556677-8899';"
      "UPDATE providers SET clock_offset_ms=300 WHERE id='112233-4455'");
  m = samples("samband_providers_clock_offset");
  EXPECT_EQ(m["{range=\"under_1s\"}"], "1");
  EXPECT_EQ(m["{range=\"over_2min\"}"], "1");
  EXPECT_EQ(m["{range=\"unmeasured\"}"], "0");
  EXPECT_EQ(samples("samband_provider_clock_offset_max_abs_seconds")[""], "180");
}

TEST_F(BoardOfficeMetrics, CheckpointsKeepUpAndTheirSignatureIsChecked) {
  report("12345678", "normal", "");
  EXPECT_EQ(samples("samband_checkpoint_latest_number")[""], "0");
  EXPECT_EQ(samples("samband_checkpoint_frames_behind")[""], "1");
  EXPECT_TRUE(samples("samband_checkpoint_latest_signature_valid").empty());
  ASSERT_TRUE(
      db().setMeta(kMetaCitySignPublic, common::toHex(city_->signPublic().data(), 32)).ok());
  Checkpointer checkpointer(db(), *city_);
  auto sealed = checkpointer.seal(clock_.nowMs());
  ASSERT_TRUE(sealed.ok() && *sealed);
  EXPECT_EQ(samples("samband_checkpoint_latest_number")[""], "1");
  EXPECT_EQ(samples("samband_checkpoint_frames_behind")[""], "0");
  EXPECT_EQ(samples("samband_checkpoint_latest_signature_valid")[""], "1");
  report("23456789", "normal", "");
  EXPECT_EQ(samples("samband_checkpoint_frames_behind")[""], "1");
  // A signature that no longer matches (an altered archive or key) shows at once.
  db().db().exec("UPDATE checkpoints SET signature=zeroblob(64)");
  EXPECT_EQ(samples("samband_checkpoint_latest_signature_valid")[""], "0");
}

TEST_F(BoardOfficeMetrics, EveryMetricNameIsDocumentedInBoardMd) {
  // With a check, a directive and a checkpoint every family of the office is on the page.
  enroll(*identity_);
  CheckOptions options;
  ASSERT_TRUE(issueCheck(db(), *city_, options, clock_.nowMs()).ok());
  DirectiveOptions d;
  d.text = "Rapportera.";
  d.requireAck = true;
  ASSERT_TRUE(sendDirective(db(), *city_, d, clock_.nowMs()).ok());
  ASSERT_TRUE(
      db().setMeta(kMetaCitySignPublic, common::toHex(city_->signPublic().data(), 32)).ok());
  Checkpointer checkpointer(db(), *city_);
  ASSERT_TRUE(checkpointer.seal(clock_.nowMs()).ok());
  std::ifstream file(std::string(SAMBAND_SOURCE_DIR) + "/docs/board.md");
  ASSERT_TRUE(file) << "docs/board.md not found";
  const std::string doc((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto r = client().Get("/metrics");
  ASSERT_TRUE(r && r->status == 200);
  std::istringstream in(r->body);
  int families = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    const std::string name = line.substr(7, line.find(' ', 7) - 7);
    ++families;
    EXPECT_NE(doc.find("`" + name), std::string::npos) << name << " is not in docs/board.md";
  }
  EXPECT_GT(families, 40);
}

}  // namespace
}  // namespace samband::broker::testing
