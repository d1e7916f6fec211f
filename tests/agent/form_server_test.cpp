// The reporting page and POST /api/report over real HTTP on 127.0.0.1 (a free port), against a
// real outbox.db: login, the session cookie's attributes, CSRF and same-origin on every POST,
// a user reports only for their units, the login throttle, the API's answers (202 with the
// seq, 401, 403, 400 naming the field, 413), only the fields sent change, the report's fate,
// the security headers, and a clear error when the address is taken.
#include "agent/form_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "agent/api_tokens.h"
#include "agent/database.h"
#include "agent/form_accounts.h"
#include "agent/last_report.h"
#include "tests/agent/test_support.h"

namespace samband::agent {
namespace {

using nlohmann::json;

constexpr const char* kServerPassword = "ett långt lösenord";
constexpr const char* kUnitA = "12345678";  // anna's
constexpr const char* kUnitB = "87654321";  // bertil's

class FormServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_ = test::makeAgent(dir_.path(), "tcp://127.0.0.1:1");
    FormSettings form;
    form.listen = "127.0.0.1:0";
    form.host = "127.0.0.1";
    form.port = 0;
    agent_.config.form = form;
    auto db = openAgentDatabase(agent_.config.outboxPath, OpenMode::createIfMissing);
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    const int64_t now = clock_.nowMs();
    ASSERT_TRUE(
        FormAccounts(*db_).addUser("anna", {kUnitA}, kServerPassword, agent_.config, now).ok());
    ASSERT_TRUE(
        FormAccounts(*db_).addUser("bertil", {kUnitB}, kServerPassword, agent_.config, now).ok());
    auto token = ApiTokens(*db_).add("skolsystem", {kUnitA}, agent_.config, now);
    ASSERT_TRUE(token.ok());
    token_ = *token;
    server_ = std::make_unique<FormServer>(agent_.config, clock_);
    auto started = server_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  httplib::Headers sameOrigin(httplib::Headers h = {}) {
    h.emplace("Origin", "http://127.0.0.1:" + std::to_string(server_->port()));
    return h;
  }
  // Logs in; returns {cookie header value, csrf token}.
  std::pair<std::string, std::string> login(const std::string& name) {
    auto r = client_->Post("/api/login", sameOrigin(),
                           json{{"name", name}, {"password", kServerPassword}}.dump(),
                           "application/json");
    EXPECT_TRUE(r) << "no answer";
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    const std::string setCookie = r->get_header_value("Set-Cookie");
    const std::string cookie = setCookie.substr(0, setCookie.find(';'));
    return {cookie, json::parse(r->body)["csrf_token"].get<std::string>()};
  }
  httplib::Result postReport(const std::pair<std::string, std::string>& s, const std::string& unit,
                             const json& body, bool withCsrf = true) {
    httplib::Headers h = sameOrigin({{"Cookie", s.first}});
    if (withCsrf) h.emplace("X-CSRF-Token", s.second);
    return client_->Post(("/api/units/" + unit + "/report").c_str(), h, body.dump(),
                         "application/json");
  }
  httplib::Result api(const json& body, const std::string& token) {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    return client_->Post("/api/report", h, body.dump(), "application/json");
  }

  test::TempDir dir_;
  test::AgentFixture agent_;
  common::SystemClock clock_;
  std::unique_ptr<SQLite::Database> db_;
  std::string token_;
  std::unique_ptr<FormServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(FormServerTest, ThePageAndItsAssetsComeFromTheAgentWithAStrictPolicy) {
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
  const std::string csp = page->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(page->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page->body.find("<script>"), std::string::npos) << "no inline script";
  EXPECT_EQ(page->body.find("style="), std::string::npos) << "no inline style";
  for (const char* asset : {"/form.js", "/fields.js", "/i18n.js", "/api.js", "/form.css"}) {
    auto r = client_->Get(asset);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << asset;
    EXPECT_EQ(r->body.find("http://"), std::string::npos) << asset << " names another origin";
    EXPECT_EQ(r->body.find("https://"), std::string::npos) << asset << " names another origin";
    auto again = client_->Get(asset, {{"If-None-Match", r->get_header_value("ETag")}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304) << asset;
  }
  auto missing = client_->Get("/nothing.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(FormServerTest, LoginSetsAStrictHttpOnlyCookieAndWrongPasswordsAreRefused) {
  auto wrong = client_->Post("/api/login", sameOrigin(),
                             json{{"name", "anna"}, {"password", "fel lösenord här"}}.dump(),
                             "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(json::parse(wrong->body)["error"], "wrong_credentials");
  EXPECT_TRUE(wrong->get_header_value("Set-Cookie").empty());
  auto nobody = client_->Post("/api/login", sameOrigin(),
                              json{{"name", "ingen"}, {"password", kServerPassword}}.dump(),
                              "application/json");
  ASSERT_TRUE(nobody);
  EXPECT_EQ(nobody->status, 401);

  auto r = client_->Post("/api/login", sameOrigin(),
                         json{{"name", "anna"}, {"password", kServerPassword}}.dump(),
                         "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_EQ(cookie.rfind(std::string(kFormSessionCookie) + "=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "not asked for: plain HTTP";
  json body = json::parse(r->body);
  EXPECT_EQ(body["units"], json::array({kUnitA}));
  EXPECT_EQ(body["csrf_token"].get<std::string>().size(), 43u);

  auto cross = client_->Post("/api/login", {{"Origin", "http://evil.example"}},
                             json{{"name", "anna"}, {"password", kServerPassword}}.dump(),
                             "application/json");
  ASSERT_TRUE(cross);
  EXPECT_EQ(cross->status, 403);
  auto form = client_->Post("/api/login", sameOrigin(), "name=anna&password=x",
                            "application/x-www-form-urlencoded");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 400) << "a cross-site form cannot send JSON";
}

TEST_F(FormServerTest, RepeatedWrongPasswordsAreThrottled) {
  for (int i = 0; i < 3; ++i) {
    auto r = client_->Post(
        "/api/login", sameOrigin(),
        json{{"name", "anna"}, {"password", "fel lösenord nr " + std::to_string(i)}}.dump(),
        "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
  }
  auto locked = client_->Post("/api/login", sameOrigin(),
                              json{{"name", "anna"}, {"password", kServerPassword}}.dump(),
                              "application/json");
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status, 429) << "locked even with the right password";
  EXPECT_EQ(locked->get_header_value("Retry-After"), "1");
  EXPECT_EQ(json::parse(locked->body)["scope"], "name_address");
}

TEST_F(FormServerTest, TheDataNeedsASessionAndPostsNeedTheCsrfTokenFromThisOrigin) {
  auto none = client_->Get("/api/session");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto forged =
      client_->Get("/api/units/12345678",
                   {{"Cookie", std::string(kFormSessionCookie) + "=" + std::string(43, 'A')}});
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);

  auto s = login("anna");
  const json report = {{"operational", "reduced"}};
  auto noCsrf = postReport(s, kUnitA, report, false);
  ASSERT_TRUE(noCsrf);
  EXPECT_EQ(noCsrf->status, 403);
  EXPECT_EQ(json::parse(noCsrf->body)["error"], "csrf");
  auto wrongCsrf = client_->Post("/api/units/12345678/report",
                                 sameOrigin({{"Cookie", s.first}, {"X-CSRF-Token", token_}}),
                                 report.dump(), "application/json");
  ASSERT_TRUE(wrongCsrf);
  EXPECT_EQ(wrongCsrf->status, 403);
  auto cross = client_->Post(
      "/api/units/12345678/report",
      {{"Cookie", s.first}, {"X-CSRF-Token", s.second}, {"Sec-Fetch-Site", "cross-site"}},
      report.dump(), "application/json");
  ASSERT_TRUE(cross);
  EXPECT_EQ(cross->status, 403);
  EXPECT_EQ(json::parse(cross->body)["error"], "cross_origin");
  // Nothing of the refused ones was queued.
  EXPECT_EQ(db_->execAndGet("SELECT COUNT(*) FROM outbox").getInt(), 0);

  auto ok = postReport(s, kUnitA, report);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 202) << ok->body;
  EXPECT_EQ(db_->execAndGet("SELECT COUNT(*) FROM outbox").getInt(), 1);

  auto out =
      client_->Post("/api/logout", sameOrigin({{"Cookie", s.first}, {"X-CSRF-Token", s.second}}),
                    "", "application/json");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  auto after = client_->Get("/api/session", {{"Cookie", s.first}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401) << "the session ended with the logout";
}

TEST_F(FormServerTest, AUserReportsOnlyForTheirUnits) {
  auto s = login("anna");
  auto view = client_->Get("/api/units/87654321", {{"Cookie", s.first}});
  ASSERT_TRUE(view);
  EXPECT_EQ(view->status, 403);
  auto other = postReport(s, kUnitB, {{"operational", "closed"}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);
  EXPECT_EQ(json::parse(other->body)["error"], "forbidden");
  auto smuggled = postReport(s, kUnitA, {{"unit", kUnitB}, {"operational", "closed"}});
  ASSERT_TRUE(smuggled);
  EXPECT_EQ(smuggled->status, 400) << "the unit in the body must be the unit of the path";
  EXPECT_EQ(json::parse(smuggled->body)["field"], "unit");
  auto continuity = postReport(s, kUnitA, {{"continuity", "cannot_continue"}});
  ASSERT_TRUE(continuity);
  EXPECT_EQ(continuity->status, 403) << "continuity speaks for every unit of the provider";
  EXPECT_EQ(db_->execAndGet("SELECT COUNT(*) FROM outbox").getInt(), 0);
}

TEST_F(FormServerTest, OnlyTheFieldsSentChangeAndTheReportsFateIsShown) {
  auto s = login("anna");
  auto first = postReport(s, kUnitA,
                          {{"operational", "reduced"},
                           {"reason", "Strömavbrott"},
                           {"pupils_enrolled", 200},
                           {"pupils_present", 180},
                           {"resources", {{"heating", "down"}}},
                           {"note", "Reservkraft i drift"},
                           {"capacity", json::array({{{"form", "grundskola"},
                                                      {"year", 4},
                                                      {"enrolled", 52},
                                                      {"seats_now", 3},
                                                      {"seats_72h", 6}}})}});
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 202) << first->body;
  json answer = json::parse(first->body);
  EXPECT_EQ(answer["seq"], 1);
  EXPECT_EQ(answer["seqs"], json::array({1, 2}));
  EXPECT_EQ(answer["state"], "queued");

  auto second = postReport(s, kUnitA, {{"pupils_present", 165}});
  ASSERT_TRUE(second);
  ASSERT_EQ(second->status, 202) << second->body;

  auto view = client_->Get("/api/units/12345678", {{"Cookie", s.first}});
  ASSERT_TRUE(view);
  ASSERT_EQ(view->status, 200) << view->body;
  json v = json::parse(view->body);
  EXPECT_EQ(v["last"]["pupils_present"], 165);
  EXPECT_EQ(v["last"]["pupils_enrolled"], 200);
  EXPECT_EQ(v["last"]["operational"], "reduced");
  EXPECT_EQ(v["last"]["reason"], "Strömavbrott");
  EXPECT_EQ(v["last"]["resources"]["heating"], "down");
  EXPECT_EQ(v["last"]["note"], "Reservkraft i drift");
  EXPECT_EQ(v["last"]["capacity"]["entries"].size(), 1u);
  ASSERT_EQ(v["reports"].size(), 3u);
  EXPECT_EQ(v["reports"][0]["seq"], 3);
  EXPECT_EQ(v["reports"][0]["state"], "queued");
  EXPECT_EQ(v["reports"][0]["by"], "form:anna");
  EXPECT_EQ(v["link"]["connected"], false) << "no agent session runs here: queued, unreachable";

  auto bad = postReport(s, kUnitA, {{"pupils_present", "många"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(json::parse(bad->body)["field"], "pupils_present");
  auto tooMany = postReport(s, kUnitA, {{"pupils_present", 500}});
  ASSERT_TRUE(tooMany);
  EXPECT_EQ(tooMany->status, 400) << "more present than enrolled, checked on the merged report";
  EXPECT_EQ(json::parse(tooMany->body)["field"], "pupils_present") << tooMany->body;
}

TEST_F(FormServerTest, TheApiTakesABearerTokenAndAnswersWithTheSeq) {
  const json report = {{"unit", kUnitA}, {"operational", "normal"}, {"pupils_present", 150}};
  auto noToken = api(report, "");
  ASSERT_TRUE(noToken);
  EXPECT_EQ(noToken->status, 401);
  EXPECT_NE(noToken->get_header_value("WWW-Authenticate").find("Bearer"), std::string::npos);
  auto badToken = api(report, std::string(43, 'x'));
  ASSERT_TRUE(badToken);
  EXPECT_EQ(badToken->status, 401);
  auto cookieInstead = client_->Post("/api/report", {{"Cookie", login("anna").first}},
                                     report.dump(), "application/json");
  ASSERT_TRUE(cookieInstead);
  EXPECT_EQ(cookieInstead->status, 401) << "the API takes tokens, not sessions";

  auto ok = api(report, token_);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 202) << ok->body;
  json answer = json::parse(ok->body);
  EXPECT_EQ(answer["seq"], 1);
  EXPECT_EQ(answer["messages"][0]["kind"], "unit_status");
  EXPECT_EQ(answer["unit"], kUnitA);
  auto last = readLastReport(*db_, kUnitA, "actual");
  ASSERT_TRUE(last.ok() && last->status.has_value());
  EXPECT_EQ(last->status->pupilsPresent, 150);

  auto wrongUnit = api({{"unit", kUnitB}, {"operational", "closed"}}, token_);
  ASSERT_TRUE(wrongUnit);
  EXPECT_EQ(wrongUnit->status, 403);
  auto badField = api({{"unit", kUnitA}, {"resources", {{"heating", "varm"}}}}, token_);
  ASSERT_TRUE(badField);
  EXPECT_EQ(badField->status, 400);
  json problem = json::parse(badField->body);
  EXPECT_EQ(problem["error"], "invalid");
  EXPECT_EQ(problem["field"], "heating") << badField->body;
  EXPECT_NE(problem["message"].get<std::string>().find("'varm'"), std::string::npos);
  auto unknownField = api({{"unit", kUnitA}, {"pupils_presnet", 3}}, token_);
  ASSERT_TRUE(unknownField);
  EXPECT_EQ(unknownField->status, 400);
  EXPECT_EQ(json::parse(unknownField->body)["field"], "pupils_presnet");
  auto noUnit = api({{"operational", "normal"}}, token_);
  ASSERT_TRUE(noUnit);
  EXPECT_EQ(noUnit->status, 400);
  EXPECT_EQ(json::parse(noUnit->body)["field"], "unit");
  auto notJson = client_->Post("/api/report", {{"Authorization", "Bearer " + token_}}, "{",
                               "application/json");
  ASSERT_TRUE(notJson);
  EXPECT_EQ(notJson->status, 400);
  auto tooLarge = api({{"unit", kUnitA}, {"note", std::string(70 * 1024, 'x')}}, token_);
  ASSERT_TRUE(tooLarge);
  EXPECT_EQ(tooLarge->status, 413);
  EXPECT_EQ(json::parse(tooLarge->body)["error"], "too_large");
  EXPECT_EQ(db_->execAndGet("SELECT COUNT(*) FROM outbox").getInt(), 1) << "only the good one";
  auto log = db_->execAndGet("SELECT source FROM report_log").getString();
  EXPECT_EQ(log, "api:skolsystem");
}

TEST_F(FormServerTest, ATakenAddressIsAClearStartupError) {
  AgentConfig second = agent_.config;
  second.form->port = server_->port();
  second.form->listen = "127.0.0.1:" + std::to_string(server_->port());
  FormServer other(second, clock_);
  auto s = other.start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("[form] listen = \"" + second.form->listen + "\""),
            std::string::npos)
      << s.error().message;
  EXPECT_NE(s.error().message.find("port is in use"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace samband::agent
