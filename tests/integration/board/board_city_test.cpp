// HTTP-level tests of the city's work on the board: today's readiness check and its history,
// directives sent by an operator (signed, numbered and queued as the CLI does, tracked per
// recipient), the takeover plan with what-if marks, and the contingency ranking.
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "broker/city/directives.h"
#include "broker/city/readiness.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/codec.h"
#include "tests/integration/board/board_fixture.h"

namespace samband::broker::testing {
namespace {

using nlohmann::json;

constexpr const char* kOtherName = "Friskolan <Ek> & \"Co\"";

class BoardCity : public BoardFixture {
 protected:
  // Gives both providers an enrolled key: checks and directives go to enrolled providers only.
  void enrollBoth() {
    other_ = common::Identity::generate(kOtherProvider);
    for (const common::Identity* id : {identity_.get(), other_.get()}) {
      SQLite::Statement q(db().db(),
                          "INSERT INTO keys(key_id, provider_id, sign_public, curve_public, "
                          "enrolled_at) VALUES(?,?,?,?,0)");
      q.bind(1, common::toHex(id->keyId()));
      q.bind(2, id->id());
      q.bind(3, id->signPublic().data(), 32);
      q.bind(4, id->curvePublic().data(), 32);
      q.exec();
    }
  }

  // Positions in Stockholm and capacity: Ekskolan and Lönnskolan (Kungsholmen) about 600 m
  // apart, Björkskolan on Södermalm. Only Lönnskolan has free seats (grundskola year 1).
  void placeUnits() {
    db().db().exec(
        "UPDATE units SET lat=59.3326, lon=18.0300 WHERE code='12345678';"
        "UPDATE units SET lat=59.3340, lon=18.0400 WHERE code='34567890';"
        "UPDATE units SET lat=59.3150, lon=18.0700 WHERE code='23456789';");
    capacity("12345678", "grundskola", 1, 20, 0, 2);
    capacity("34567890", "grundskola", 1, 25, 30, 30);
    capacity("23456789", "forskoleklass", 0, 10, 0, 0);
    // Only units that report normal operation receive pupils.
    for (const char* unit : {"12345678", "34567890", "23456789"}) report(unit, "normal", "");
  }

  json get(const LoggedIn& who, const std::string& path) {
    auto r = client().Get(path.c_str(), as(who));
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }

  httplib::Result post(const LoggedIn& who, const std::string& path, const std::string& body) {
    return client().Post(path.c_str(), as(who, true), body, "application/json");
  }

  int count(const std::string& sql) {
    SQLite::Statement q(db().db(), sql);
    q.executeStep();
    return q.getColumn(0).getInt();
  }

  static const json* providerRow(const json& rows, const std::string& key, const std::string& id) {
    for (const auto& row : rows) {
      if (row[key] == id) return &row;
    }
    return nullptr;
  }

  std::unique_ptr<common::Identity> other_;
};

const std::string kDirective =
    R"({"to":"all","text":"Rapportera läget varje timme.","mode":"exercise"})";

TEST_F(BoardCity, ReadinessShowsTheNewestCheckWhileItRunsAndAfterTheDeadline) {
  enrollBoth();
  auto who = login(kViewer);
  json none = get(who, "/api/readiness");
  ASSERT_TRUE(none.contains("check"));
  EXPECT_TRUE(none["check"].is_null()) << "no check issued yet";

  CheckOptions options;
  options.deadlineMs = 10 * 60 * 1000;
  auto id = issueCheck(db(), *city_, options, clock_.nowMs());
  ASSERT_TRUE(id.ok()) << id.error().message;
  json c = get(who, "/api/readiness")["check"];
  EXPECT_EQ(c["check_id"], *id);
  EXPECT_EQ(c["is_today"], true);
  EXPECT_EQ(c["deadline_passed"], false);
  EXPECT_EQ(c["seconds_left"], 600);
  EXPECT_EQ(c["summary"]["providers"], 2);
  EXPECT_EQ(c["summary"]["pending"], 2) << "not answered yet, deadline ahead";
  EXPECT_EQ(c["summary"]["missing"], 0);
  for (const auto& p : c["providers"]) EXPECT_EQ(p["outcome"], "pending");

  // An answer 42 s after the check, one self-test failed (its detail is agent text).
  clock_.advanceMs(42'000);
  common::ReadinessAnswerMsg answer;
  answer.checkId = *id;
  answer.results = {{"clock_skew", true, "12 ms"}, {"disk", false, "<b>3 MB</b> free"}};
  ASSERT_TRUE(
      recordReadinessAnswer(db(), kProvider, answer, clock_.nowMs() - 300, clock_.nowMs(), 0).ok());
  c = get(who, "/api/readiness")["check"];
  EXPECT_EQ(c["summary"]["answered"], 1);
  EXPECT_EQ(c["summary"]["responded"], 1);
  EXPECT_EQ(c["summary"]["pending"], 1);
  EXPECT_EQ(c["summary"]["failed_self_tests"], 1);
  const json* mine = providerRow(c["providers"], "provider", kProvider);
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ((*mine)["outcome"], "answered");
  EXPECT_EQ((*mine)["seconds_to_answer"], 42);
  EXPECT_EQ((*mine)["failed_self_tests"], json::array({"disk"}));
  EXPECT_EQ((*mine)["self_tests"][1]["detail"], "<b>3 MB</b> free");
  const json* other = providerRow(c["providers"], "provider", kOtherProvider);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ((*other)["outcome"], "pending");
  EXPECT_EQ((*other)["name"], kOtherName);

  // After the deadline the one that did not answer is missing.
  clock_.advanceMs(10 * 60 * 1000);
  c = get(who, "/api/readiness")["check"];
  EXPECT_EQ(c["deadline_passed"], true);
  EXPECT_EQ(c["seconds_left"], 0);
  EXPECT_EQ(c["summary"]["missing"], 1);
  EXPECT_EQ(c["summary"]["pending"], 0);
  EXPECT_EQ((*providerRow(c["providers"], "provider", kOtherProvider))["outcome"], "missing");

  // History: newest first, counts only; rates per provider on request.
  clock_.advanceMs(60'000);
  auto second = issueCheck(db(), *city_, options, clock_.nowMs());
  ASSERT_TRUE(second.ok()) << second.error().message;
  json h = get(who, "/api/readiness/history?rates=1");
  ASSERT_EQ(h["checks"].size(), 2u);
  EXPECT_EQ(h["checks"][0]["check_id"], *second);
  EXPECT_EQ(h["checks"][0]["summary"]["pending"], 2);
  EXPECT_EQ(h["checks"][1]["check_id"], *id);
  EXPECT_EQ(h["checks"][1]["summary"]["answered"], 1);
  EXPECT_EQ(h["checks"][1]["summary"]["missing"], 1);
  EXPECT_FALSE(h["checks"][1].contains("providers"));
  EXPECT_TRUE(h["checks"][1]["scheduled_for"].is_null());
  ASSERT_TRUE(h["rates"].is_object());
  EXPECT_EQ(h["rates"]["check_id"], *second);
  const json* rate = providerRow(h["rates"]["providers"], "provider", kProvider);
  ASSERT_NE(rate, nullptr);
  EXPECT_EQ((*rate)["checks_counted"], 2);
  EXPECT_DOUBLE_EQ((*rate)["answer_rate_30"].get<double>(), 0.5);
  EXPECT_FALSE(get(who, "/api/readiness/history").contains("rates"));
  EXPECT_EQ(get(who, "/api/readiness/history?limit=1")["checks"].size(), 1u);

  EXPECT_EQ(get(who, "/api/readiness")["check"]["check_id"], *second);
  EXPECT_EQ(get(who, "/api/readiness?check=" + *id)["check"]["check_id"], *id);
  EXPECT_EQ(client().Get("/api/readiness?check=rc-1999-01-01-000000", as(who))->status, 404);
  EXPECT_EQ(client().Get("/api/readiness?check=x%27%20OR%201", as(who))->status, 400);
}

TEST_F(BoardCity, IssuingACheckIsALiveChangeOnTheEventStream) {
  enrollBoth();
  board_->setStreamHeartbeatMs(300);
  auto who = login(kViewer);
  EventStream events(client(), as(who));
  ASSERT_TRUE(events.waitFor("event: hello", std::chrono::seconds(5)));
  ASSERT_TRUE(events.waitFor(": keepalive", std::chrono::seconds(3)));
  auto id = issueCheck(db(), *city_, CheckOptions{}, clock_.nowMs());
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_TRUE(events.waitFor("event: change", std::chrono::seconds(2)))
      << "the page would not know a check started";
}

TEST_F(BoardCity, AnOperatorSendsTheSameSignedDirectiveAsTheCli) {
  enrollBoth();
  auto op = login(kOperator);
  const std::string text = "Skärpt beredskap: rapportera varje timme.\n<Staden>";
  json body{{"to", json::array({kProvider})},
            {"text", text},
            {"level", "heightened"},
            {"require_ack", true},
            {"expires", "2h"},
            {"mode", "actual"}};
  auto r = post(op, "/api/directives", body.dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  json d = json::parse(r->body)["directive"];
  EXPECT_EQ(d["id"], "D-000001");
  EXPECT_EQ(d["text"], text);
  EXPECT_EQ(d["level"], "heightened");
  EXPECT_EQ(d["require_ack"], true);
  EXPECT_EQ(d["mode"], "actual");
  EXPECT_EQ(d["expires_at"], common::formatRfc3339(clock_.nowMs() + 2 * 3600 * 1000));
  EXPECT_EQ(d["recipients"], 1);
  EXPECT_EQ(d["missing"], json::array({kProvider}));
  EXPECT_TRUE(d["acknowledged_by"].empty());

  // directiveStatus (what `directive status` prints) has it with the same recipients.
  auto status = directiveStatus(db(), std::string("D-000001"), clock_.nowMs());
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ((*status)[0]["missing"], json::array({kProvider}));
  EXPECT_EQ((*status)[0]["text"], text);

  // Archived as the next frame of the city's chain, signed by the city, queued for delivery.
  SQLite::Statement f(db().db(), "SELECT kind, envelope FROM frames WHERE sender='city'");
  ASSERT_TRUE(f.executeStep());
  EXPECT_EQ(f.getColumn(0).getString(), "directive");
  auto blob = f.getColumn(1);
  const auto* bytes = static_cast<const uint8_t*>(blob.getBlob());
  auto parts = common::decodeEnvelope(bytes, static_cast<size_t>(blob.getBytes()));
  ASSERT_TRUE(parts.ok());
  EXPECT_TRUE(common::verifyBody(city_->signPublic(), parts->body, parts->signature));
  auto message = common::decodeBody(parts->body);
  ASSERT_TRUE(message.ok()) << message.error().message;
  const auto* directive = std::get_if<common::DirectiveMsg>(&message->payload);
  ASSERT_NE(directive, nullptr);
  EXPECT_EQ(directive->directiveId, "D-000001");
  EXPECT_EQ(directive->number, 1u);
  EXPECT_EQ(directive->text, text);
  EXPECT_TRUE(directive->requireAck);
  EXPECT_EQ(directive->recipients, std::vector<std::string>{kProvider});
  EXPECT_FALSE(f.executeStep()) << "one city frame";
  EXPECT_EQ(count("SELECT count(*) FROM outbound WHERE kind='directive' AND ref='D-000001' AND "
                  "provider_id='556677-8899'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM outbound"), 1);
  EXPECT_EQ(get(op, "/api/picture")["level"], "heightened") << "an actual level directive";

  // To everyone, as an exercise: both providers, and the city's level stays.
  auto all = post(op, "/api/directives", kDirective);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->status, 201) << all->body;
  EXPECT_EQ(json::parse(all->body)["directive"]["recipients"], 2);
  EXPECT_EQ(json::parse(all->body)["directive"]["level"], "unchanged");

  auto viewer = login(kViewer);
  json list = get(viewer, "/api/directives");
  EXPECT_EQ(list["total"], 2);
  ASSERT_EQ(list["directives"].size(), 2u);
  EXPECT_EQ(list["directives"][0]["id"], "D-000002");
  EXPECT_EQ(list["directives"][0]["mode"], "exercise");
  EXPECT_EQ(list["directives"][1]["id"], "D-000001");
  EXPECT_EQ(list["providers"][kOtherProvider], kOtherName);
  EXPECT_EQ(list["enrolled"].size(), 2u);
  EXPECT_EQ(get(viewer, "/api/directives?limit=1")["directives"].size(), 1u);
  EXPECT_EQ(get(viewer, "/api/directives/D-000001")["directive"]["recipients"], 1);
  EXPECT_EQ(client().Get("/api/directives/D-000099", as(viewer))->status, 404);
  EXPECT_EQ(get(viewer, "/api/picture")["level"], "heightened");
}

TEST_F(BoardCity, OnlyAnOperatorOnTheBoardItselfCanSendADirective) {
  enrollBoth();
  auto viewer = login(kViewer);
  EXPECT_EQ(errorOf(post(viewer, "/api/directives", kDirective), 403), "forbidden");

  auto op = login(kOperator);
  auto noToken = client().Post("/api/directives", as(op, false), kDirective, "application/json");
  EXPECT_EQ(errorOf(noToken, 403), "csrf");
  auto evil = as(op, true);
  evil.emplace("Origin", "https://evil.example");
  auto crossOrigin = client().Post("/api/directives", evil, kDirective, "application/json");
  EXPECT_EQ(errorOf(crossOrigin, 403), "cross_origin");
  auto site = as(op, true);
  site.emplace("Sec-Fetch-Site", "cross-site");
  EXPECT_EQ(client().Post("/api/directives", site, kDirective, "application/json")->status, 403);
  EXPECT_EQ(count("SELECT count(*) FROM directives"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM frames WHERE sender='city'"), 0);

  auto good = post(op, "/api/directives", kDirective);
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 201) << good->body;
}

TEST_F(BoardCity, InvalidDirectiveBodiesAre400WithAMessageNamingTheField) {
  enrollBoth();
  auto op = login(kOperator);
  struct Case {
    std::string body;
    std::string mentions;
  };
  const std::vector<Case> cases{
      {"not json", "application/json"},
      {"[1,2]", "application/json"},
      {R"({"text":"x"})", "\"to\""},
      {R"({"to":"some","text":"x"})", "\"to\""},
      {R"({"to":[],"text":"x"})", "\"to\""},
      {R"({"to":[42],"text":"x"})", "\"to\""},
      {R"({"to":{"all":true},"text":"x"})", "\"to\""},
      {R"({"to":["5566778899"],"text":"x"})", "5566778899"},
      {R"({"to":["999999-9999"],"text":"x"})", "999999-9999 is not an enrolled provider"},
      {R"({"to":"all"})", "\"text\""},
      {R"({"to":"all","text":42})", "\"text\""},
      {R"({"to":"all","text":""})", "\"text\""},
      {R"({"to":"all","text":" \n\t "})", "\"text\""},
      {R"({"to":"all","text":"a\u0007b"})", "\"text\""},
      {json{{"to", "all"}, {"text", std::string(8001, 'x')}}.dump(), "at most 8000"},
      {R"({"to":"all","text":"x","level":"max"})", "\"level\""},
      {R"({"to":"all","text":"x","level":3})", "\"level\""},
      {R"({"to":"all","text":"x","require_ack":"yes"})", "\"require_ack\""},
      {R"({"to":"all","text":"x","expires":"soon"})", "\"expires\""},
      {R"({"to":"all","text":"x","expires":"0h"})", "\"expires\""},
      {R"({"to":"all","text":"x","expires":24})", "\"expires\""},
      {R"({"to":"all","text":"x","mode":"live"})", "\"mode\""},
      {R"({"to":"all","text":"x","requireAck":true})", "requireAck"},
  };
  for (const auto& c : cases) {
    auto r = post(op, "/api/directives", c.body);
    ASSERT_TRUE(r) << c.body;
    EXPECT_EQ(r->status, 400) << c.body;
    json answer = json::parse(r->body, nullptr, false);
    EXPECT_EQ(answer["error"], "invalid_input") << c.body;
    EXPECT_NE(answer["message"].get<std::string>().find(c.mentions), std::string::npos)
        << c.body << " -> " << answer["message"];
  }
  auto form = client().Post("/api/directives", as(op, true), "to=all&text=x",
                            "application/x-www-form-urlencoded");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 400);
  EXPECT_EQ(count("SELECT count(*) FROM directives"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM frames WHERE sender='city'"), 0);
}

TEST_F(BoardCity, ABoardWithoutTheCityIdentityCannotSignDirectives) {
  board_->stop();
  board_ = std::make_unique<Board>(options_, metrics_, clock_);
  ASSERT_TRUE(board_->start().ok());
  enrollBoth();
  auto op = login(kOperator);
  EXPECT_EQ(errorOf(post(op, "/api/directives", kDirective), 503), "unavailable");
  EXPECT_EQ(count("SELECT count(*) FROM directives"), 0);
  EXPECT_TRUE(get(op, "/api/directives")["directives"].empty());
}

TEST_F(BoardCity, ThePlanTakesOverAUnitMarkedWhatIfAndPlacesItsPupils) {
  placeUnits();
  auto op = login(kOperator);
  json plan = get(op, "/api/plan");
  EXPECT_TRUE(plan["failing_units"].empty());
  EXPECT_EQ(plan["totals"]["pupils_to_place"], 0);
  EXPECT_EQ(plan["what_if_included"], true);

  ASSERT_EQ(post(op, "/api/units/12345678/what-if", R"({"failing":true})")->status, 200);
  plan = get(op, "/api/plan");
  ASSERT_EQ(plan["failing_units"].size(), 1u);
  EXPECT_EQ(plan["failing_units"][0]["code"], "12345678");
  EXPECT_EQ(plan["failing_units"][0]["name"], "Ekskolan");
  EXPECT_EQ(plan["failing_units"][0]["what_if"], true);
  EXPECT_EQ(plan["failing_units"][0]["closed"], false);
  ASSERT_EQ(plan["placements"].size(), 1u);
  const json& p = plan["placements"][0];
  EXPECT_EQ(p["from_unit"], "12345678");
  EXPECT_EQ(p["form"], "grundskola");
  EXPECT_EQ(p["year"], 1);
  EXPECT_EQ(p["to_unit"], "34567890");
  EXPECT_EQ(p["to_name"], "Lönnskolan");
  EXPECT_EQ(p["pupils"], 20);
  EXPECT_GT(p["km"].get<double>(), 0.3);
  EXPECT_LT(p["km"].get<double>(), 1.0);
  EXPECT_EQ(plan["totals"]["placed"], 20);
  EXPECT_EQ(plan["totals"]["unplaced"], 0);
  EXPECT_TRUE(get(op, "/api/plan?what_if=0")["failing_units"].empty())
      << "without what-if marks nothing fails for real";

  // A unit closed without a closed_until is listed as closed, not planned; include_closed=1
  // plans it, and its pre-school class has nowhere to go.
  report("23456789", "closed", "Vattenläcka");
  auto viewer = login(kViewer);
  plan = get(viewer, "/api/plan");
  ASSERT_EQ(plan["failing_units"].size(), 1u);
  ASSERT_EQ(plan["closed_not_planned"].size(), 1u);
  EXPECT_EQ(plan["closed_not_planned"][0]["code"], "23456789");
  EXPECT_TRUE(plan["closed_not_planned"][0]["closed_until"].is_null());
  EXPECT_EQ(plan["not_receiving"]["closed"], 1);
  plan = get(viewer, "/api/plan?include_closed=1");
  ASSERT_EQ(plan["failing_units"].size(), 2u);
  EXPECT_EQ(plan["failing_units"][0]["code"], "12345678");
  EXPECT_EQ(plan["failing_units"][1]["code"], "23456789");
  EXPECT_EQ(plan["failing_units"][1]["closed"], true);
  EXPECT_EQ(plan["failing_units"][1]["closed_included"], true);
  EXPECT_TRUE(plan["closed_not_planned"].empty());
  EXPECT_EQ(plan["options"]["include_closed"], true);
  ASSERT_EQ(plan["unplaced"].size(), 1u);
  EXPECT_EQ(plan["unplaced"][0]["from_unit"], "23456789");
  EXPECT_EQ(plan["unplaced"][0]["pupils"], 10);
  EXPECT_EQ(plan["totals"]["unplaced"], 10);

  // Closed until a day after the horizon (today 2026-11-18 + 3 days): planned without asking.
  report("23456789", "closed", "Vattenläcka", "actual", "2026-12-04");
  plan = get(viewer, "/api/plan");
  ASSERT_EQ(plan["failing_units"].size(), 2u);
  EXPECT_EQ(plan["failing_units"][1]["closed_beyond_horizon"], true);
  EXPECT_EQ(plan["failing_units"][1]["closed_until"], "2026-12-04");
  EXPECT_EQ(plan["options"]["horizon_end"], "2026-11-21");
  EXPECT_EQ(plan["totals"]["unplaced"], 10);
  EXPECT_EQ(get(viewer, "/api/plan?horizon=72h&max_km=5")["options"]["horizon"], "72h");
  EXPECT_EQ(get(viewer, "/api/plan?fill=0.5")["options"]["fill"], 0.5);

  for (const char* bad :
       {"/api/plan?horizon=tomorrow", "/api/plan?max_km=0", "/api/plan?max_km=abc",
        "/api/plan?max_km=5km", "/api/plan?what_if=2", "/api/plan?fill=0", "/api/plan?fill=1.5",
        "/api/plan?fill=x", "/api/plan?include_reduced=yes", "/api/plan?include_closed=2"}) {
    EXPECT_EQ(errorOf(client().Get(bad, as(viewer)), 400), "invalid_input") << bad;
  }
}

TEST_F(BoardCity, ContingencyRanksEveryProviderAndDistrictAndIsComputedOncePerInput) {
  placeUnits();
  auto who = login(kViewer);
  json c = get(who, "/api/contingency");
  const json& rows = c["rows"];
  ASSERT_EQ(rows.size(), 4u) << "two providers and two districts";
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]["rank"], i + 1);
    if (i > 0) {
      EXPECT_LE(rows[i]["unplaced"], rows[i - 1]["unplaced"]);
    }
  }
  EXPECT_EQ(rows[0]["scope"], "district");
  EXPECT_EQ(rows[0]["id"], "Kungsholmen");
  EXPECT_EQ(rows[0]["pupils_affected"], 45);
  EXPECT_EQ(rows[0]["unplaced"], 45);
  EXPECT_EQ(rows[1]["scope"], "provider");
  EXPECT_EQ(rows[1]["id"], kOtherProvider);
  EXPECT_EQ(rows[1]["name"], kOtherName);
  EXPECT_EQ(rows[1]["unplaced"], 25);
  EXPECT_EQ(rows[1]["missing_seats_by_form"], json({{"grundskola", 25}}));
  EXPECT_EQ(rows[2]["id"], kProvider);
  EXPECT_EQ(rows[2]["placed"], 20);
  EXPECT_EQ(rows[2]["unplaced"], 10);

  // The same input answers from the cache; a new capacity report is a new ranking.
  const std::string computed = c["computed_at"];
  clock_.advanceMs(60'000);
  EXPECT_EQ(get(who, "/api/contingency")["computed_at"], computed);
  capacity("12345678", "grundskola", 1, 20, 27, 27);  // 95% headroom: 25 usable seats
  json again = get(who, "/api/contingency");
  EXPECT_NE(again["computed_at"], computed);
  const json* lonn = providerRow(again["rows"], "id", kOtherProvider);
  ASSERT_NE(lonn, nullptr);
  EXPECT_EQ((*lonn)["unplaced"], 0) << "Ekskolan now has seats for Lönnskolan's pupils";
  EXPECT_EQ((*lonn)["rank"], 4);
  EXPECT_EQ(get(who, "/api/contingency?horizon=72h")["options"]["horizon"], "72h");
  EXPECT_EQ(client().Get("/api/contingency?horizon=soon", as(who))->status, 400);
}

}  // namespace
}  // namespace samband::broker::testing
