// HTTP-level tests of accounts as an office runs them: a user changes their own password on the
// board (old password required, CSRF and same origin, their other sessions end, the old password
// guessed no faster than a login), and a user limited to districts never sees another
// district's unit on any API or export — units, picture, providers and their history, CSV, free
// seats, what-if marks, the plan and the contingency ranking, the live stream.
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "broker/accounts/users.h"
#include "tests/integration/board/board_fixture.h"

namespace samband::broker::testing {
namespace {

using nlohmann::json;

constexpr const char* kNewPassword = "ett helt nytt lösenord";

class BoardPassword : public BoardFixture {
 protected:
  httplib::Result change(const LoggedIn& who, const json& body, bool withCsrf = true,
                         const std::string& origin = "") {
    httplib::Headers h = as(who, withCsrf);
    if (!origin.empty()) h.emplace("Origin", origin);
    return client().Post("/api/password", h, body.dump(), "application/json");
  }
  int sessionStatus(const LoggedIn& who) {
    auto r = client().Get("/api/session", as(who));
    return r ? r->status : -1;
  }
};

TEST_F(BoardPassword, TheUserChangesTheirOwnPasswordAndTheirOtherSessionsEnd) {
  auto desk = login(kViewer);
  auto wall = login(kViewer);
  auto colleague = login(kOperator);
  auto r = change(desk, {{"old_password", kPassword}, {"new_password", kNewPassword}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto body = json::parse(r->body);
  EXPECT_EQ(body["sessions_ended"], 1);
  EXPECT_EQ(sessionStatus(desk), 200) << "the session that changed it stays";
  EXPECT_EQ(sessionStatus(wall), 401) << "the user's other session ended";
  EXPECT_EQ(sessionStatus(colleague), 200) << "another user's session is untouched";
  // Only the new password logs in now.
  auto old = client().Post("/api/login", json{{"name", kViewer}, {"password", kPassword}}.dump(),
                           "application/json");
  EXPECT_EQ(errorOf(old, 401), "wrong_credentials");
  auto fresh = login(kViewer, kNewPassword);
  EXPECT_FALSE(fresh.cookie.empty());
}

TEST_F(BoardPassword, AWrongOldPasswordChangesNothing) {
  auto desk = login(kViewer);
  auto wall = login(kViewer);
  auto r = change(desk, {{"old_password", "inte mitt lösenord"}, {"new_password", kNewPassword}});
  EXPECT_EQ(errorOf(r, 403), "wrong_password");
  EXPECT_EQ(sessionStatus(desk), 200) << "a wrong old password is not a logout";
  EXPECT_EQ(sessionStatus(wall), 200);
  EXPECT_FALSE(login(kViewer).cookie.empty()) << "the old password still works";
}

TEST_F(BoardPassword, NeedsTheCsrfTokenTheSameOriginAndASession) {
  auto desk = login(kViewer);
  const json body{{"old_password", kPassword}, {"new_password", kNewPassword}};
  EXPECT_EQ(errorOf(change(desk, body, false), 403), "csrf");
  EXPECT_EQ(errorOf(change(desk, body, true, "https://evil.example"), 403), "cross_origin");
  auto anonymous = client().Post("/api/password", body.dump(), "application/json");
  EXPECT_EQ(errorOf(anonymous, 401), "unauthorised");
  EXPECT_FALSE(login(kViewer).cookie.empty()) << "nothing was changed";
}

TEST_F(BoardPassword, RefusesAShortOrUnchangedPasswordAndMalformedBodies) {
  auto desk = login(kViewer);
  EXPECT_EQ(errorOf(change(desk, {{"old_password", kPassword}, {"new_password", "kort"}}), 400),
            "invalid_input");
  EXPECT_EQ(errorOf(change(desk, {{"old_password", kPassword}, {"new_password", kPassword}}), 400),
            "invalid_input");
  EXPECT_EQ(errorOf(change(desk, {{"old_password", kPassword}}), 400), "invalid_input");
  EXPECT_EQ(
      errorOf(change(desk, {{"old_password", kPassword}, {"new_password", 12345678901}}), 400),
      "invalid_input");
  EXPECT_EQ(errorOf(change(desk, {{"old_password", kPassword},
                                  {"new_password", kNewPassword},
                                  {"name", kOperator}}),
                    400),
            "invalid_input")
      << "no field to change someone else's password";
  EXPECT_FALSE(login(kViewer).cookie.empty()) << "the password is unchanged";
}

TEST_F(BoardPassword, GuessingTheOldPasswordIsThrottledLikeALogin) {
  auto desk = login(kViewer);
  int throttled = 0;
  for (int i = 0; i < 6; ++i) {
    auto r = change(desk, {{"old_password", "gissning " + std::to_string(i) + " här"},
                           {"new_password", kNewPassword}});
    ASSERT_TRUE(r);
    if (r->status == 429) ++throttled;
  }
  EXPECT_GT(throttled, 0) << "wrong old passwords count as failed logins";
  EXPECT_EQ(sessionStatus(desk), 200);
}

// ----------------------------------------------------------------------- districts

constexpr const char* kSoder = "sara.soder";          // viewer, Södermalm only
constexpr const char* kSoderOperator = "sven.soder";  // operator, Södermalm only
// Everything that names a unit, a unit's name or the district outside Södermalm.
const std::vector<std::string> kElsewhere = {"12345678", "34567890", "Ekskolan", "Lönnskolan",
                                             "Kungsholmen"};

class BoardDistricts : public BoardFixture {
 protected:
  void SetUp() override {
    BoardFixture::SetUp();
    ASSERT_TRUE(Users(db()).add(kSoder, Role::viewer, kPassword, kStartMs, {"Södermalm"}).ok());
    ASSERT_TRUE(
        Users(db()).add(kSoderOperator, Role::operator_, kPassword, kStartMs, {"Södermalm"}).ok());
    // Positions, capacity and reports in both districts; a closed unit and a what-if mark in
    // Kungsholmen, so the plan and the marks have something to leak.
    db().db().exec(
        "UPDATE units SET lat=59.3326, lon=18.0300 WHERE code='12345678';"
        "UPDATE units SET lat=59.3340, lon=18.0400 WHERE code='34567890';"
        "UPDATE units SET lat=59.3150, lon=18.0700 WHERE code='23456789';"
        "INSERT INTO whatif_failing(code, marked_by, marked_at) VALUES('34567890', 'anna', 1)");
    capacity("12345678", "grundskola", 1, 20, 3, 5);
    capacity("34567890", "grundskola", 1, 25, 30, 30);
    capacity("23456789", "forskoleklass", 0, 10, 4, 6);
    report("12345678", "closed", "Vattenläcka i Ekskolan");
    report("23456789", "reduced", "Björkskolan har personalbrist");
    report("12345678", "closed", "övning i Ekskolan", "exercise");
  }

  std::string body(const LoggedIn& who, const std::string& path) {
    auto r = client().Get(path.c_str(), as(who));
    EXPECT_TRUE(r) << path;
    if (!r) return "";
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return r->body;
  }
  static void expectNothingElsewhere(const std::string& path, const std::string& text) {
    for (const auto& word : kElsewhere) {
      EXPECT_EQ(text.find(word), std::string::npos) << path << " shows " << word << ":\n" << text;
    }
  }
};

TEST_F(BoardDistricts, ALimitedUserSeesOnlyTheirDistrictOnEveryApiAndExport) {
  auto sara = login(kSoder);
  EXPECT_EQ(sara.body["districts"], json::array({"Södermalm"}));
  const std::vector<std::string> paths = {"/api/session",
                                          "/api/picture",
                                          "/api/units",
                                          "/api/units?district=Kungsholmen",
                                          "/api/units?q=Ekskolan",
                                          "/api/providers",
                                          "/api/providers/556677-8899",
                                          "/api/capacity",
                                          "/api/seats",
                                          "/api/seats?form=grundskola",
                                          "/api/seats.csv",
                                          "/api/seats.csv?totals=1",
                                          "/api/export.csv",
                                          "/api/export.csv?excel=1",
                                          "/api/whatif",
                                          "/api/plan",
                                          "/api/plan?what_if=1&horizon=72h",
                                          "/api/contingency"};
  for (const auto& path : paths) expectNothingElsewhere(path, body(sara, path));

  auto units = json::parse(body(sara, "/api/units"));
  ASSERT_EQ(units["units"].size(), 1u);
  EXPECT_EQ(units["units"][0]["code"], "23456789");
  auto picture = json::parse(body(sara, "/api/picture"));
  EXPECT_EQ(picture["summary"]["units"]["total"], 1) << "the counts are of the user's units";
  EXPECT_EQ(picture["summary"]["units"]["reduced"], 1);
  EXPECT_EQ(picture["summary"]["units"]["closed"], 0);
  EXPECT_EQ(picture["providers"].size(), 1u) << "a provider without units there is not shown";
  EXPECT_TRUE(picture["exercise"].empty());
  // The provider's history keeps the reports about Björkskolan only.
  auto provider = json::parse(body(sara, "/api/providers/556677-8899"));
  ASSERT_EQ(provider["history"]["items"].size(), 1u);
  EXPECT_EQ(provider["history"]["items"][0]["payload"]["unit"], "23456789");
  // The other provider (Kungsholmen only) does not exist for this user.
  auto other = client().Get("/api/providers/112233-4455", as(sara));
  EXPECT_EQ(errorOf(other, 404), "not_found");
  auto seats = json::parse(body(sara, "/api/seats"));
  ASSERT_EQ(seats["units"].size(), 1u);
  EXPECT_EQ(seats["districts"], json::array({"Södermalm"}));
  // Asking for another district by name gives nothing (the answer only echoes the filter).
  EXPECT_TRUE(json::parse(body(sara, "/api/seats?district=Kungsholmen"))["units"].empty());
  EXPECT_TRUE(json::parse(body(sara, "/api/units?district=Kungsholmen"))["units"].empty());
  auto capacity = json::parse(body(sara, "/api/capacity"));
  ASSERT_EQ(capacity["districts"].size(), 1u);
  EXPECT_EQ(capacity["districts"][0]["district"], "Södermalm");
  auto csv = body(sara, "/api/export.csv");
  EXPECT_NE(csv.find("23456789"), std::string::npos) << csv;
  auto plan = json::parse(body(sara, "/api/plan"));
  EXPECT_TRUE(plan["failing_units"].empty()) << "the closed unit is in another district";
}

TEST_F(BoardDistricts, AnUnlimitedUserStillSeesEveryDistrict) {
  auto olle = login(kViewer);
  EXPECT_EQ(olle.body["districts"], json::array());
  auto units = json::parse(body(olle, "/api/units"));
  EXPECT_EQ(units["units"].size(), 3u);
  auto plan = json::parse(body(olle, "/api/plan"));
  EXPECT_FALSE(plan["failing_units"].empty());
  EXPECT_NE(body(olle, "/api/export.csv").find("Kungsholmen"), std::string::npos);
}

TEST_F(BoardDistricts, ALimitedOperatorCannotMarkAUnitOfAnotherDistrict) {
  auto sven = login(kSoderOperator);
  auto other = client().Post("/api/units/12345678/what-if", as(sven, true),
                             json{{"failing", true}}.dump(), "application/json");
  EXPECT_EQ(errorOf(other, 404), "not_found");
  SQLite::Statement q(db().db(), "SELECT count(*) FROM whatif_failing WHERE code='12345678'");
  q.executeStep();
  EXPECT_EQ(q.getColumn(0).getInt(), 0);
  auto own = client().Post("/api/units/23456789/what-if", as(sven, true),
                           json{{"failing", true}}.dump(), "application/json");
  ASSERT_TRUE(own);
  ASSERT_EQ(own->status, 200) << own->body;
  auto marks = json::parse(own->body);
  ASSERT_EQ(marks["failing"].size(), 1u) << "the mark in Kungsholmen is not listed";
  EXPECT_EQ(marks["failing"][0]["code"], "23456789");
}

TEST_F(BoardDistricts, TheLiveStreamTellsOfAChangeButNamesNoUnit) {
  board_->setStreamHeartbeatMs(100);  // the stream ends soon after the test lets go of it
  auto sara = login(kSoder);
  EventStream events(client(), as(sara));
  ASSERT_TRUE(events.waitFor("event: hello", std::chrono::seconds(5)));
  report("12345678", "normal", "Ekskolan öppnar igen");
  ASSERT_TRUE(events.waitFor("event: change", std::chrono::seconds(5)));
  // The stream carries versions only; the page refetches through the limited API.
  EXPECT_FALSE(events.waitFor("12345678", std::chrono::milliseconds(200)));
  EXPECT_FALSE(events.waitFor("Ekskolan", std::chrono::milliseconds(10)));
  expectNothingElsewhere("/api/units", body(sara, "/api/units"));
}

}  // namespace
}  // namespace samband::broker::testing
