// HTTP-level tests of the board's access control: sessions, roles, CSRF, login slow-down.
#include <gtest/gtest.h>

#include <atomic>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "broker/accounts/sessions.h"
#include "broker/accounts/users.h"
#include "tests/integration/board/board_fixture.h"

namespace samband::broker::testing {
namespace {

using nlohmann::json;

const std::vector<std::string> kDataGets{"/api/session",
                                         "/api/picture",
                                         "/api/units",
                                         "/api/providers",
                                         "/api/providers/556677-8899",
                                         "/api/capacity",
                                         "/api/whatif",
                                         "/api/events",
                                         "/api/export.csv",
                                         "/api/readiness",
                                         "/api/readiness?check=rc-2026-11-18-abcdef",
                                         "/api/readiness/history",
                                         "/api/readiness/history?rates=1",
                                         "/api/directives",
                                         "/api/directives/D-000001",
                                         "/api/plan",
                                         "/api/plan?horizon=72h&what_if=0",
                                         "/api/contingency",
                                         "/api/no-such-endpoint"};

int statusOf(const httplib::Result& r) { return r ? r->status : -1; }

TEST_F(BoardFixture, EveryDataEndpointAnswers401WithoutASession) {
  auto c = client();
  for (const auto& path : kDataGets) {
    auto r = c.Get(path.c_str());
    EXPECT_EQ(statusOf(r), 401) << path;
    if (r) {
      EXPECT_EQ(json::parse(r->body)["error"], "unauthorised") << path;
    }
  }
  EXPECT_EQ(
      statusOf(c.Post("/api/units/12345678/what-if", R"({"failing":true})", "application/json")),
      401);
  EXPECT_EQ(statusOf(c.Post("/api/logout", "{}", "application/json")), 401);
  EXPECT_EQ(statusOf(c.Post("/api/directives", R"({"to":"all","text":"Stäng skolorna"})",
                            "application/json")),
            401);
}

TEST_F(BoardFixture, AForgedOrMalformedCookieIsNotASession) {
  auto c = client();
  const std::vector<std::string> cookies{"samband_session=", "samband_session=abc",
                                         "samband_session=" + randomToken(),
                                         "samband_session=' OR 1=1 --", "other=1"};
  for (const auto& cookie : cookies) {
    auto r = c.Get("/api/picture", {{"Cookie", cookie}});
    EXPECT_EQ(statusOf(r), 401) << cookie;
  }
}

TEST_F(BoardFixture, ThePageHealthAndMetricsNeedNoSession) {
  auto c = client();
  EXPECT_EQ(statusOf(c.Get("/")), 200);
  EXPECT_EQ(statusOf(c.Get("/board.js")), 200);
  EXPECT_EQ(statusOf(c.Get("/healthz")), 200);
  EXPECT_EQ(statusOf(c.Get("/metrics")), 200);
}

TEST_F(BoardFixture, LoginSetsAnHttpOnlyStrictCookieAndGivesACsrfToken) {
  json body{{"name", kViewer}, {"password", kPassword}};
  auto r = client().Post("/api/login", body.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_EQ(cookie.rfind("samband_session=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain HTTP without secure_cookies";
  json answer = json::parse(r->body);
  EXPECT_EQ(answer["role"], "viewer");
  EXPECT_EQ(answer["csrf_token"].get<std::string>().size(), 43u);

  auto who = login(kViewer);
  auto session = client().Get("/api/session", as(who));
  ASSERT_EQ(statusOf(session), 200);
  EXPECT_EQ(json::parse(session->body)["name"], kViewer);
  EXPECT_EQ(statusOf(client().Get("/api/picture", as(who))), 200);
}

TEST_F(BoardFixture, TheDatabaseHoldsOnlyTheHashOfTheSessionToken) {
  auto who = login(kViewer);
  const std::string token = who.cookie.substr(who.cookie.find('=') + 1);
  SQLite::Statement q(db().db(), "SELECT token_hash FROM sessions");
  ASSERT_TRUE(q.executeStep());
  std::string stored(static_cast<const char*>(q.getColumn(0).getBlob()),
                     static_cast<size_t>(q.getColumn(0).getBytes()));
  EXPECT_EQ(stored.find(token), std::string::npos);
  EXPECT_EQ(stored.size(), 32u);
}

TEST_F(BoardFixture, WrongPasswordAndUnknownUserAreRejectedAlike) {
  for (const auto& [name, password] : std::vector<std::pair<std::string, std::string>>{
           {kViewer, "fel lösenord!!"}, {"nobody", kPassword}, {kViewer, ""}}) {
    json body{{"name", name}, {"password", password}};
    auto r = client().Post("/api/login", body.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << name;
    EXPECT_EQ(json::parse(r->body)["error"], "wrong_credentials");
    EXPECT_FALSE(r->has_header("Set-Cookie"));
  }
}

TEST_F(BoardFixture, LoginRefusesFormsAndOtherSites) {
  auto c = client();
  // A cross-site HTML form can only send form encodings, never JSON without a preflight.
  auto form = c.Post("/api/login", "name=olle&password=x", "application/x-www-form-urlencoded");
  EXPECT_EQ(statusOf(form), 400);
  json body{{"name", kViewer}, {"password", kPassword}};
  auto evil =
      c.Post("/api/login", {{"Origin", "https://evil.example"}}, body.dump(), "application/json");
  EXPECT_EQ(statusOf(evil), 403);
  auto site =
      c.Post("/api/login", {{"Sec-Fetch-Site", "cross-site"}}, body.dump(), "application/json");
  EXPECT_EQ(statusOf(site), 403);
}

TEST_F(BoardFixture, RepeatedFailedLoginsAreSlowedDownPerUser) {
  auto attempt = [&](const std::string& password) {
    json body{{"name", kOperator}, {"password", password}};
    return client().Post("/api/login", body.dump(), "application/json");
  };
  EXPECT_EQ(statusOf(attempt("wrong one 1")), 401);
  EXPECT_EQ(statusOf(attempt("wrong one 2")), 401);
  EXPECT_EQ(statusOf(attempt("wrong one 3")), 401);
  // Locked now: even the right password is not tried.
  auto locked = attempt(kPassword);
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status, 429);
  EXPECT_EQ(locked->get_header_value("Retry-After"), "1");
  EXPECT_EQ(json::parse(locked->body)["error"], "too_many_attempts");

  clock_.advanceMs(1000);
  EXPECT_EQ(statusOf(attempt("wrong one 4")), 401);
  auto longer = attempt(kPassword);
  ASSERT_TRUE(longer);
  EXPECT_EQ(longer->status, 429);
  EXPECT_EQ(longer->get_header_value("Retry-After"), "2") << "the delay doubles";

  clock_.advanceMs(2000);
  EXPECT_EQ(statusOf(attempt(kPassword)), 200) << "the right password works after the wait";
  // Success clears the count: the next failure is free again.
  EXPECT_EQ(statusOf(attempt("wrong again")), 401);
  EXPECT_EQ(statusOf(attempt(kPassword)), 200);
}

TEST_F(BoardFixture, ConcurrentFailedLoginsAllCount) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      json body{{"name", kOperator}, {"password", "wrong " + std::to_string(i)}};
      auto r = client().Post("/api/login", body.dump(), "application/json");
      EXPECT_TRUE(r && (r->status == 401 || r->status == 429)) << statusOf(r);
    });
  }
  for (auto& t : threads) t.join();
  json body{{"name", kOperator}, {"password", kPassword}};
  EXPECT_EQ(statusOf(client().Post("/api/login", body.dump(), "application/json")), 429);
}

TEST_F(BoardFixture, ManyFailuresFromOneAddressSlowDownEveryName) {
  for (int i = 0; i < 10; ++i) {
    json body{{"name", "guess" + std::to_string(i)}, {"password", "x"}};
    auto r = client().Post("/api/login", body.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, i < 5 ? 401 : 429) << i;
  }
  json body{{"name", kViewer}, {"password", kPassword}};
  auto locked = client().Post("/api/login", body.dump(), "application/json");
  EXPECT_EQ(statusOf(locked), 429);
  EXPECT_EQ(json::parse(locked->body)["scope"], "address");
  EXPECT_EQ(board_->counters().passwordChecks.load(), 5u);
}

TEST_F(BoardFixture, FortyConcurrentGuessesGetAtMostFivePasswordChecks) {
  std::vector<std::thread> threads;
  std::atomic<int> answered{0};
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&, i] {
      json body{{"name", kOperator}, {"password", "gissning " + std::to_string(i)}};
      auto r = client().Post("/api/login", body.dump(), "application/json");
      EXPECT_TRUE(r && (r->status == 401 || r->status == 429)) << statusOf(r);
      if (r) answered++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered.load(), 40);
  EXPECT_LE(board_->counters().passwordChecks.load(), 5u) << "every guess was checked";
  EXPECT_GE(board_->counters().lockoutsNameAddress.load(), 1u);

  // The real operator, at another address that has not been failing, gets in at once ...
  auto [cookie, operatorLogin] = loginFrom("127.0.0.2", kOperator);
  EXPECT_EQ(operatorLogin.status, 200) << operatorLogin.body;
  EXPECT_FALSE(cookie.empty());
  // ... while the guesser's address stays slowed down, even with the right password.
  auto [none, guesser] = loginFrom("127.0.0.1", kOperator);
  EXPECT_EQ(guesser.status, 429) << guesser.body;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(json::parse(guesser.body, nullptr, false)["scope"], "name_address");
  RawAnswer metrics = rawRequest("127.0.0.2", board_->port(), "GET", "/metrics");
  EXPECT_NE(metrics.body.find("samband_login_lockouts_total{scope=\"name_address\"} 1"),
            std::string::npos)
      << metrics.body;
  EXPECT_EQ(metrics.body.find("samband_login_throttled_total 0"), std::string::npos);
}

TEST_F(BoardFixture, TheSlowDownSurvivesARestartOfTheBoard) {
  for (int i = 0; i < 3; ++i) {
    json body{{"name", kOperator}, {"password", "wrong"}};
    ASSERT_EQ(statusOf(client().Post("/api/login", body.dump(), "application/json")), 401);
  }
  board_->stop();
  board_ = std::make_unique<Board>(options_, metrics_, clock_);
  ASSERT_TRUE(board_->start().ok());
  json body{{"name", kOperator}, {"password", kPassword}};
  EXPECT_EQ(statusOf(client().Post("/api/login", body.dump(), "application/json")), 429);
}

TEST_F(BoardFixture, ViewerGets403OnOperatorActions) {
  auto viewer = login(kViewer);
  auto r = client().Post("/api/units/12345678/what-if", as(viewer, true), R"({"failing":true})",
                         "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(json::parse(r->body)["error"], "forbidden");
  SQLite::Statement q(db().db(), "SELECT count(*) FROM whatif_failing");
  q.executeStep();
  EXPECT_EQ(q.getColumn(0).getInt(), 0);
}

TEST_F(BoardFixture, OperatorMarksAUnitFailingForPlanningWithoutChangingReports) {
  report("12345678", "normal", "");
  auto op = login(kOperator);
  auto r = client().Post("/api/units/12345678/what-if", as(op, true), R"({"failing":true})",
                         "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json marks = json::parse(r->body)["failing"];
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_EQ(marks[0]["code"], "12345678");
  EXPECT_EQ(marks[0]["marked_by"], kOperator);

  auto units = json::parse(client().Get("/api/units", as(op))->body)["units"];
  for (const auto& u : units) {
    if (u["code"] == "12345678") {
      EXPECT_TRUE(u["whatif_failing"].get<bool>());
      EXPECT_EQ(u["operational"], "normal") << "the report is untouched";
    }
  }
  auto off = client().Post("/api/units/12345678/what-if", as(op, true), R"({"failing":false})",
                           "application/json");
  ASSERT_EQ(statusOf(off), 200);
  EXPECT_TRUE(json::parse(off->body)["failing"].empty());
  auto unknown = client().Post("/api/units/99999999/what-if", as(op, true), R"({"failing":true})",
                               "application/json");
  EXPECT_EQ(statusOf(unknown), 404);
}

TEST_F(BoardFixture, OperatorPostsNeedTheCsrfTokenAndTheSameOrigin) {
  auto op = login(kOperator);
  auto noToken = client().Post("/api/units/12345678/what-if", as(op, false), R"({"failing":true})",
                               "application/json");
  EXPECT_EQ(statusOf(noToken), 403);
  auto headers = as(op, false);
  headers.emplace("X-CSRF-Token", std::string(43, 'A'));
  auto wrongToken = client().Post("/api/units/12345678/what-if", headers, R"({"failing":true})",
                                  "application/json");
  EXPECT_EQ(statusOf(wrongToken), 403);
  auto evil = as(op, true);
  evil.emplace("Origin", "https://evil.example");
  auto crossSite =
      client().Post("/api/units/12345678/what-if", evil, R"({"failing":true})", "application/json");
  EXPECT_EQ(statusOf(crossSite), 403);
  auto good = client().Post("/api/units/12345678/what-if", as(op, true), R"({"failing":true})",
                            "application/json");
  EXPECT_EQ(statusOf(good), 200);
}

TEST_F(BoardFixture, LogoutEndsTheSession) {
  auto who = login(kViewer);
  ASSERT_EQ(statusOf(client().Get("/api/picture", as(who))), 200);
  auto out = client().Post("/api/logout", as(who, true), "{}", "application/json");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  EXPECT_NE(out->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(statusOf(client().Get("/api/picture", as(who))), 401);
  EXPECT_EQ(statusOf(client().Get("/api/events", as(who))), 401);
}

TEST_F(BoardFixture, LogoutNeedsTheCsrfToken) {
  auto who = login(kViewer);
  EXPECT_EQ(statusOf(client().Post("/api/logout", as(who, false), "{}", "application/json")), 403);
  EXPECT_EQ(statusOf(client().Get("/api/picture", as(who))), 200) << "still logged in";
}

TEST_F(BoardFixture, AnExpiredSessionIsRejected) {
  auto who = login(kViewer);
  clock_.advanceMs(options_.sessionTtlMs - 1000);
  EXPECT_EQ(statusOf(client().Get("/api/picture", as(who))), 200);
  clock_.advanceMs(1000);
  EXPECT_EQ(statusOf(client().Get("/api/picture", as(who))), 401);
}

TEST_F(BoardFixture, RemovingAUserEndsTheirSessions) {
  auto who = login(kViewer);
  ASSERT_TRUE(Users(db()).remove(kViewer).ok());
  EXPECT_EQ(statusOf(client().Get("/api/picture", as(who))), 401);
}

}  // namespace
}  // namespace samband::broker::testing
