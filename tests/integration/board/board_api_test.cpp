// HTTP-level tests of what the board answers: the picture, units, providers and their history
// from the archive, capacity, CSV and JSON escaping of hostile provider text, live events,
// security headers of the page, /metrics and /healthz.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/board/board_fixture.h"
#include "tests/support/wait.h"

namespace samband::broker::testing {
namespace {

using nlohmann::json;

const std::string kHostileNote = "<script>alert(1)</script> \"quoted\", =cmd|' /C calc'!A0\nline";

json getJson(httplib::Client c, const std::string& path, const httplib::Headers& h) {
  auto r = c.Get(path.c_str(), h);
  EXPECT_TRUE(r) << path;
  if (!r) return json();
  EXPECT_EQ(r->status, 200) << path << ": " << r->body;
  return json::parse(r->body, nullptr, false);
}

TEST_F(BoardFixture, PictureCountsUnitsProvidersAndKeepsExerciseApart) {
  report("12345678", "closed", "Vattenläcka");
  report("23456789", "reduced", "", "actual");
  report("23456789", "normal", "övning pågår", "exercise");
  auto who = login(kViewer);
  json p = getJson(client(), "/api/picture", as(who));
  EXPECT_EQ(p["level"], "normal");
  EXPECT_EQ(p["summary"]["units"]["total"], 3);
  EXPECT_EQ(p["summary"]["units"]["closed"], 1);
  EXPECT_EQ(p["summary"]["units"]["reduced"], 1);
  EXPECT_EQ(p["summary"]["units"]["unknown"], 1);
  EXPECT_EQ(p["summary"]["units"]["normal"], 0) << "exercise traffic must not count";
  EXPECT_EQ(p["summary"]["providers"]["online"], 1);
  EXPECT_EQ(p["summary"]["providers"]["never"], 1);
  ASSERT_EQ(p["exercise"].size(), 1u);
  EXPECT_EQ(p["exercise"][0]["mode"], "exercise");
  EXPECT_EQ(p["exercise"][0]["note"], "övning pågår");
  EXPECT_FALSE(p["newest_report_at"].is_null());
}

TEST_F(BoardFixture, UnitsAreFlatWithProviderDistrictAgeAndFilters) {
  report("12345678", "closed", "");
  clock_.advanceMs(27LL * 3600 * 1000);  // older than report_old_after_s (26 h), school days
  report("23456789", "remote", "");
  auto who = login(kViewer);
  json all = getJson(client(), "/api/units", as(who))["units"];
  ASSERT_EQ(all.size(), 3u);
  for (const auto& u : all) {
    if (u["code"] == "12345678") {
      EXPECT_EQ(u["provider_name"], "Skolbolaget AB");
      EXPECT_EQ(u["district"], "Kungsholmen");
      EXPECT_EQ(u["school_forms"], json::array({"grundskola"}));
      EXPECT_EQ(u["age_s"], 27 * 3600);
      EXPECT_TRUE(u["old"].get<bool>());
      EXPECT_EQ(u["electricity"], "backup");
      EXPECT_EQ(u["backup_hours"], 18);
      EXPECT_EQ(u["resources"]["telephony"], "down");
    }
    if (u["code"] == "23456789") {
      EXPECT_FALSE(u["old"].get<bool>());
    }
    if (u["code"] == "34567890") {
      EXPECT_EQ(u["operational"], "unknown");
      EXPECT_TRUE(u["age_s"].is_null());
    }
  }
  EXPECT_EQ(getJson(client(), "/api/units?district=Kungsholmen", as(who))["units"].size(), 2u);
  EXPECT_EQ(getJson(client(), "/api/units?state=remote", as(who))["units"].size(), 1u);
  EXPECT_EQ(getJson(client(), "/api/units?provider=112233-4455", as(who))["units"].size(), 1u);
  EXPECT_EQ(getJson(client(), "/api/units?form=forskoleklass", as(who))["units"].size(), 1u);
  EXPECT_EQ(getJson(client(), "/api/units?q=bj%C3%B6rk", as(who))["units"].size(), 1u);
}

TEST_F(BoardFixture, ProviderHistoryIsDecodedFromTheArchiveNewestFirstAndPaged) {
  for (int i = 0; i < 5; ++i) {
    report("12345678", i % 2 ? "reduced" : "normal", "rapport " + std::to_string(i));
    clock_.advanceMs(60'000);
  }
  auto who = login(kViewer);
  json first = getJson(client(), "/api/providers/556677-8899?limit=2", as(who));
  EXPECT_EQ(first["provider"]["name"], "Skolbolaget AB");
  EXPECT_EQ(first["units"].size(), 2u);
  json items = first["history"]["items"];
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(first["history"]["total"], 5);
  EXPECT_EQ(items[0]["seq"], 5);
  EXPECT_EQ(items[0]["kind"], "unit_status");
  EXPECT_EQ(items[0]["payload"]["note"], "rapport 4");
  EXPECT_EQ(items[0]["payload"]["operational"], "normal");
  EXPECT_EQ(items[1]["payload"]["note"], "rapport 3");
  ASSERT_TRUE(first["history"]["next_before"].is_number());
  json second = getJson(client(),
                        "/api/providers/556677-8899?limit=2&before=" +
                            std::to_string(first["history"]["next_before"].get<int64_t>()),
                        as(who));
  EXPECT_EQ(second["history"]["items"][0]["payload"]["note"], "rapport 2");
  json last = getJson(client(), "/api/providers/556677-8899?limit=10&before=2", as(who));
  EXPECT_EQ(last["history"]["items"].size(), 1u);
  EXPECT_TRUE(last["history"]["next_before"].is_null());

  auto missing = client().Get("/api/providers/000000-0000", as(who));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  json providers = getJson(client(), "/api/providers", as(who))["providers"];
  ASSERT_EQ(providers.size(), 2u);
  EXPECT_EQ(providers[1]["unit_count"], 2);
}

TEST_F(BoardFixture, CapacitySumsFreeSeatsPerFormAndYearCityWideAndPerDistrict) {
  capacity("12345678", "grundskola", 1, 50, 4, 10);
  capacity("34567890", "grundskola", 1, 40, 3, 5);
  capacity("23456789", "forskoleklass", 0, 30, 2, 2);
  report("23456789", "closed", "");  // a closed unit has no free seats to offer
  auto who = login(kViewer);
  json c = getJson(client(), "/api/capacity", as(who));
  ASSERT_EQ(c["city"].size(), 1u);
  EXPECT_EQ(c["city"][0]["form"], "grundskola");
  EXPECT_EQ(c["city"][0]["year"], 1);
  EXPECT_EQ(c["city"][0]["seats_now"], 7);
  EXPECT_EQ(c["city"][0]["seats_72h"], 15);
  EXPECT_EQ(c["city"][0]["units"], 2);
  EXPECT_EQ(c["excluded_units"], 1);
  ASSERT_EQ(c["districts"].size(), 1u);
  EXPECT_EQ(c["districts"][0]["district"], "Kungsholmen");
  EXPECT_EQ(getJson(client(), "/api/capacity?mode=exercise", as(who))["city"].size(), 0u);
  EXPECT_EQ(client().Get("/api/capacity?mode=bogus", as(who))->status, 400);
}

TEST_F(BoardFixture, JsonCarriesHostileProviderTextVerbatimAsJson) {
  report("12345678", "closed", kHostileNote);
  auto who = login(kViewer);
  auto r = client().Get("/api/units", as(who));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  json units = json::parse(r->body)["units"];
  bool seen = false;
  for (const auto& u : units) {
    if (u["code"] == "12345678") {
      EXPECT_EQ(u["note"], kHostileNote);
      seen = true;
    }
    if (u["code"] == "34567890") {
      EXPECT_EQ(u["provider_name"], "Friskolan <Ek> & \"Co\"");
    }
  }
  EXPECT_TRUE(seen);
  // The newline and quotes are JSON-escaped, so the body is one valid JSON text.
  EXPECT_EQ(r->body.find('\n'), std::string::npos);
}

TEST_F(BoardFixture, CsvQuotesFieldsAndNeutralisesFormulas) {
  report("12345678", "closed", kHostileNote);
  report("23456789", "normal", "=HYPERLINK(\"http://evil\")");
  auto who = login(kViewer);
  auto r = client().Get("/api/export.csv", as(who));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_NE(r->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
  const std::string& csv = r->body;
  EXPECT_EQ(csv.rfind("unit_code,unit_name,provider_id,", 0), 0u);
  EXPECT_NE(csv.find("\"<script>alert(1)</script> \"\"quoted\"\", =cmd|' /C calc'!A0\nline\""),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\"'=HYPERLINK(\"\"http://evil\"\")\""), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"Friskolan <Ek> & \"\"Co\"\"\""), std::string::npos) << csv;
  EXPECT_EQ(csv.find(",=HYPERLINK"), std::string::npos);

  auto excel = client().Get("/api/export.csv?excel=1", as(who));
  ASSERT_TRUE(excel);
  EXPECT_EQ(excel->body.rfind("\xEF\xBB\xBFunit_code;unit_name;", 0), 0u);
  EXPECT_NE(excel->body.find("\"'=HYPERLINK(\"\"http://evil\"\")\""), std::string::npos);
}

TEST_F(BoardFixture, ThePageIsServedFromTheBinaryWithAStrictPolicy) {
  auto r = client().Get("/");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  const std::string csp = r->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
  EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  // No inline script, no inline handlers, nothing from another host.
  const std::string& html = r->body;
  std::smatch m;
  std::regex scriptTag("<script([^>]*)>");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), scriptTag);
       it != std::sregex_iterator(); ++it) {
    EXPECT_NE((*it)[1].str().find("src=\"/"), std::string::npos) << (*it)[0];
  }
  EXPECT_FALSE(std::regex_search(html, std::regex("\\son[a-z]+\\s*=", std::regex::icase)));
  EXPECT_FALSE(std::regex_search(html, std::regex("(src|href)=\"(https?:)?//")));
  EXPECT_EQ(html.find("style="), std::string::npos);

  auto js = client().Get("/board.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js->body.find("innerHTML"), std::string::npos);
  EXPECT_EQ(js->body.find("insertAdjacentHTML"), std::string::npos);
  EXPECT_EQ(js->body.find("document.write"), std::string::npos);
  EXPECT_EQ(js->body.find("eval("), std::string::npos);
  const std::string etag = js->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  auto cached = client().Get("/board.js", {{"If-None-Match", etag}});
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->status, 304);
  EXPECT_EQ(client().Get("/etc/passwd")->status, 404);
  EXPECT_EQ(client().Get("/../CMakeLists.txt")->status, 404);
}

TEST_F(BoardFixture, ServesEveryModuleThePageImportsAsScriptWithNoMarkupSinks) {
  auto page = client().Get("/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("<script type=\"module\" src=\"/board.js\"></script>"),
            std::string::npos);
  // Walk the imports from the entry module: each is served by the broker itself, as JavaScript,
  // and none builds markup from strings.
  const std::regex importFrom(R"(import \{[^}]*\} from '([^']*)';)");
  std::set<std::string> seen{"/board.js"};
  std::vector<std::string> queue{"/board.js"};
  while (!queue.empty()) {
    const std::string path = queue.back();
    queue.pop_back();
    auto js = client().Get(path);
    ASSERT_TRUE(js) << path;
    ASSERT_EQ(js->status, 200) << path;
    EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8") << path;
    EXPECT_FALSE(js->get_header_value("ETag").empty()) << path;
    for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                             "eval(", "new Function", "import("}) {
      EXPECT_EQ(js->body.find(sink), std::string::npos) << path << " uses " << sink;
    }
    for (auto it = std::sregex_iterator(js->body.begin(), js->body.end(), importFrom);
         it != std::sregex_iterator(); ++it) {
      const std::string spec = (*it)[1].str();
      ASSERT_EQ(spec.rfind("./", 0), 0u) << path << " imports " << spec;
      const std::string target = "/" + spec.substr(2);
      if (seen.insert(target).second) queue.push_back(target);
    }
  }
  EXPECT_GE(seen.size(), 10u);  // texts, API, state, helpers and one module per tab
  EXPECT_TRUE(seen.count("/i18n.js") && seen.count("/api.js") && seen.count("/planning.js"));
}

TEST_F(BoardFixture, EventsPushAChangeWithinASecondOfACommitAndBeatRegularly) {
  board_->setStreamHeartbeatMs(300);
  auto who = login(kViewer);
  auto events = std::make_unique<EventStream>(client(), as(who));
  ASSERT_TRUE(events->waitFor("event: hello", std::chrono::seconds(5)));
  EXPECT_TRUE(events->waitFor(": keepalive", std::chrono::seconds(3)));
  EXPECT_EQ(metrics_.sseClients.load(), 1);
  auto committed = std::chrono::steady_clock::now();
  report("12345678", "closed", "");
  EXPECT_TRUE(events->waitFor("event: change", std::chrono::seconds(1)))
      << "no change event within a second of the commit";
  auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - committed);
  EXPECT_LT(latency.count(), 1000);
  events.reset();  // the client closes the stream
  EXPECT_TRUE(samband::testing::waitUntil([&] { return metrics_.sseClients.load() == 0; },
                                          std::chrono::seconds(5)))
      << metrics_.sseClients.load() << " streams still counted";
}

TEST_F(BoardFixture, AStreamEndsWithALogoutEventWhenTheSessionEnds) {
  board_->setStreamHeartbeatMs(200);
  auto who = login(kViewer);
  EventStream events(client(), as(who));
  // The hello is the stream's first event: once it has arrived the board serves this stream.
  ASSERT_TRUE(events.waitFor("event: hello", std::chrono::seconds(5)));
  ASSERT_EQ(metrics_.sseClients.load(), 1);
  ASSERT_EQ(client().Post("/api/logout", as(who, true), "{}", "application/json")->status, 200);
  EXPECT_TRUE(events.waitFor("event: logout", std::chrono::seconds(5)));
  // The board ends the stream itself: its count drops while our reader is still listening.
  EXPECT_TRUE(samband::testing::waitUntil([&] { return metrics_.sseClients.load() == 0; },
                                          std::chrono::seconds(5)));
}

TEST_F(BoardFixture, MetricsSpeakPrometheusAndHealthzReadsTheDatabase) {
  metrics_.framesAccepted = 7;
  metrics_.rejected[static_cast<size_t>(common::RejectReason::BAD_SIGNATURE)] = 2;
  metrics_.observeCommit(3, 5);
  metrics_.observeCommit(700, 1);
  metrics_.connectedAgents = 4;
  metrics_.verifySamples = 3;
  metrics_.verifySampleNanos = 1'500'000'000;
  report("12345678", "closed", "");
  auto r = client().Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = r->body;
  for (const char* line :
       {"samband_frames_accepted_total 7\n",
        "samband_frames_rejected_total{reason=\"bad_signature\"} 2\n",
        "samband_frames_rejected_total{reason=\"unit_not_owned\"} 0\n",
        "samband_commit_batch_frames_sum 6\n", "samband_commit_batch_frames_count 2\n",
        "samband_commit_latency_seconds_bucket{le=\"0.005\"} 1\n",
        "samband_commit_latency_seconds_bucket{le=\"0.5\"} 1\n",
        "samband_commit_latency_seconds_bucket{le=\"+Inf\"} 2\n",
        "samband_commit_latency_seconds_sum 0.703\n", "samband_connected_agents 4\n",
        "samband_board_sse_clients 0\n", "samband_board_database_up 1\n",
        "samband_verify_sample_seconds_sum 1.5\n", "samband_verify_sample_seconds_count 3\n",
        "samband_units{state=\"closed\"} 1\n", "samband_providers{liveness=\"online\"} 1\n",
        "# TYPE samband_commit_latency_seconds histogram\n"}) {
    EXPECT_NE(m.find(line), std::string::npos) << "missing: " << line;
  }
  auto h = client().Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  json health = json::parse(h->body);
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["schema_version"], Store::kSchemaVersion);
  EXPECT_EQ(health["archived_frames"], 1);
}

TEST_F(BoardFixture, MetricsCanRequireABearerToken) {
  board_->stop();
  options_.metricsToken = "0123456789abcdef0123";
  board_ = std::make_unique<Board>(options_, metrics_, clock_);
  ASSERT_TRUE(board_->start().ok());
  EXPECT_EQ(client().Get("/metrics")->status, 401);
  EXPECT_EQ(client().Get("/metrics", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(client().Get("/metrics", {{"Authorization", "Bearer 0123456789abcdef0123"}})->status,
            200);
}

TEST_F(BoardFixture, ABusyPortIsAClearStartupError) {
  BoardOptions busy = options_;
  busy.port = board_->port();
  busy.listen = "127.0.0.1:" + std::to_string(busy.port);
  Board second(busy, metrics_, clock_);
  auto s = second.start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("[board] listen"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find(busy.listen), std::string::npos) << s.error().message;
}

TEST_F(BoardFixture, WithTlsTheBoardServesHttpsWithSecureCookiesAndHsts) {
  const std::string cert = dir_ + "/board.crt", key = dir_ + "/board.key";
  const std::string make =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 1 -subj /CN=127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  if (std::system(make.c_str()) != 0) GTEST_SKIP() << "the openssl command is not installed";
  board_->stop();
  options_.tlsCert = cert;
  options_.tlsKey = key;
  options_.secureCookies = true;  // as loadBoardOptions() sets it with TLS
  board_ = std::make_unique<Board>(options_, metrics_, clock_);
  auto started = board_->start();
  ASSERT_TRUE(started.ok()) << started.error().message;
  httplib::SSLClient tls("127.0.0.1", board_->port());
  tls.enable_server_certificate_verification(false);
  json body{{"name", kViewer}, {"password", kPassword}};
  auto r = tls.Post("/api/login", body.dump(), "application/json");
  ASSERT_TRUE(r) << "no TLS answer";
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Set-Cookie").find("; Secure"), std::string::npos);
  EXPECT_EQ(r->get_header_value("Strict-Transport-Security"), "max-age=31536000");
  EXPECT_FALSE(client().Get("/healthz")) << "plain HTTP must not be served on the TLS port";
}

TEST_F(BoardFixture, UnreadableTlsFilesAreAClearStartupError) {
  BoardOptions bad = options_;
  bad.tlsCert = dir_ + "/missing.crt";
  bad.tlsKey = dir_ + "/missing.key";
  Board board(bad, metrics_, clock_);
  auto s = board.start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("[board] tls_cert"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace samband::broker::testing

namespace samband::broker::testing {
namespace {

// `?as_of=` on the picture's read endpoints: the picture as it was, rebuilt from the archive,
// marked with "as_of"; the live answer is unchanged without it.
TEST_F(BoardFixture, ReadEndpointsAnswerForAPastMomentWithAsOf) {
  report("12345678", "closed", "Vattenläcka");
  const int64_t closedAt = clock_.nowMs();
  clock_.advanceMs(60'000);
  report("12345678", "normal", "Öppet igen");
  clock_.advanceMs(60'000);
  const std::string then = common::formatRfc3339(closedAt + 30'000);
  auto who = login(kViewer);
  auto unitIn = [](const json& units, const std::string& code) {
    for (const auto& u : units) {
      if (u["code"] == code) return u;
    }
    return json();
  };

  json live = getJson(client(), "/api/units", as(who));
  EXPECT_FALSE(live.contains("as_of"));
  EXPECT_EQ(unitIn(live["units"], "12345678")["operational"], "normal");

  json past = getJson(client(), "/api/units?as_of=" + then, as(who));
  EXPECT_EQ(past["as_of"], then);
  EXPECT_EQ(past["generated_at"], then);
  json unit = unitIn(past["units"], "12345678");
  EXPECT_EQ(unit["operational"], "closed");
  EXPECT_EQ(unit["note"], "Vattenläcka");
  EXPECT_EQ(unit["age_s"], 30);
  EXPECT_EQ(unit["name"], unitIn(live["units"], "12345678")["name"]) << "labels from the roster";

  json picture = getJson(client(), "/api/picture?as_of=" + then, as(who));
  EXPECT_EQ(picture["as_of"], then);
  EXPECT_EQ(picture["summary"]["units"]["closed"], 1);
  EXPECT_EQ(picture["frames"], 1);
  EXPECT_TRUE(picture["rejected"]["bad_signature"].is_null());
  json history = getJson(client(), "/api/providers/556677-8899?as_of=" + then, as(who));
  EXPECT_EQ(history["history"]["total"], 1);
  EXPECT_EQ(history["history"]["items"][0]["payload"]["note"], "Vattenläcka");
  EXPECT_EQ(getJson(client(), "/api/capacity?as_of=" + then, as(who))["as_of"], then);
  EXPECT_EQ(getJson(client(), "/api/providers?as_of=" + then, as(who))["as_of"], then);

  auto csv = client().Get(("/api/export.csv?as_of=" + then).c_str(), as(who));
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 200);
  EXPECT_NE(csv->body.find("Vattenläcka"), std::string::npos);
  EXPECT_EQ(csv->body.find("Öppet igen"), std::string::npos);
  EXPECT_NE(csv->get_header_value("Content-Disposition").find("-as-of"), std::string::npos);

  const std::vector<std::string> refused{"yesterday", common::formatRfc3339(closedAt - 1),
                                         common::formatRfc3339(clock_.nowMs() + 1)};
  for (const auto& bad : refused) {
    auto r = client().Get(("/api/units?as_of=" + bad).c_str(), as(who));
    EXPECT_EQ(errorOf(r, 400), "invalid_input") << bad;
  }
}

}  // namespace
}  // namespace samband::broker::testing
