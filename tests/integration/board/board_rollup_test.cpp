// An upstream broker's board (docs/rollup.md): /api/rollup lists each enrolled city with its
// providers and units, for a logged-in viewer only; /rollup is the page that shows it; a relayed
// frame stored is a change on the live stream; /metrics shows each city, and on a relaying city
// broker the relay's state.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/store/rollup_store.h"
#include "tests/integration/board/board_fixture.h"

namespace samband::broker::testing {
namespace {

TEST_F(BoardFixture, RollupListsEachCityWithItsProvidersAndUnits) {
  RollupStore rs(db());
  for (const char* name : {"Uppsala", "Enköping"}) {
    RollupCityRow row;
    row.city = name;
    row.rootSignPublic = common::Bytes(32, name[0]);
    row.curvePublic = common::Bytes(32, name[1]);
    row.enrolledAt = kStartMs;
    ASSERT_TRUE(rs.enrolCity(row).ok());
  }
  // The same provider id in both cities: kept apart by city.
  ASSERT_TRUE(rs.putUnitStatus("Uppsala", "12345678", kProvider, "00aa", 3, "closed",
                               R"({"state":"closed"})", kStartMs)
                  .ok());
  ASSERT_TRUE(rs.putUnitStatus("Enköping", "55555555", kProvider, "11bb", 1, "normal",
                               R"({"state":"normal"})", kStartMs)
                  .ok());
  // An older status of the same chain does not replace the newer one.
  ASSERT_TRUE(rs.putUnitStatus("Uppsala", "12345678", kProvider, "00aa", 2, "normal",
                               R"({"state":"normal"})", kStartMs)
                  .ok());
  ASSERT_TRUE(rs.countRefusal("Uppsala", "bad_signature", 2).ok());

  auto anonymous = client().Get("/api/rollup");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);

  auto who = login(kViewer);
  auto res = client().Get("/api/rollup", as(who));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto r = nlohmann::json::parse(res->body);
  ASSERT_EQ(r["cities"].size(), 2u) << r.dump(2);
  const auto& enkoping = r["cities"][0];
  const auto& uppsala = r["cities"][1];
  EXPECT_EQ(uppsala["city"], "Uppsala");
  EXPECT_EQ(uppsala["units_by_state"]["closed"], 1);
  EXPECT_EQ(uppsala["refused"]["bad_signature"], 2);
  EXPECT_EQ(uppsala["connected"], false);
  ASSERT_EQ(uppsala["providers"].size(), 1u);
  EXPECT_EQ(uppsala["providers"][0]["provider"], kProvider);
  EXPECT_EQ(uppsala["providers"][0]["units"][0]["state"], "closed");
  EXPECT_EQ(enkoping["providers"][0]["units"][0]["unit"], "55555555");
  EXPECT_EQ(enkoping["providers"][0]["units"][0]["state"], "normal");

  auto page = client().Get("/rollup");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("/rollup.js"), std::string::npos);
  auto script = client().Get("/rollup.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  // Text from the answer is set as text, never as markup.
  EXPECT_EQ(script->body.find("innerHTML"), std::string::npos);
}

TEST_F(BoardFixture, OnAnUpstreamARelayedFrameIsALiveChangeAndMetricsShowEachCity) {
  options_.tier = "national";
  restartBoard();
  RollupStore rs(db());
  RollupCityRow city;
  city.city = "Uppsala";
  city.rootSignPublic = common::Bytes(32, 1);
  city.curvePublic = common::Bytes(32, 2);
  city.enrolledAt = kStartMs;
  ASSERT_TRUE(rs.enrolCity(city).ok());
  ASSERT_TRUE(rs.noteContact("Uppsala", kStartMs).ok());
  auto who = login(kViewer);
  EventStream events(client(), as(who));
  ASSERT_TRUE(events.waitFor("event: hello", std::chrono::seconds(5)));
  RollupFrameRow row;
  row.sender = kProvider;
  row.keyId = "00aa";
  row.seq = 1;
  row.bodyHash = common::Bytes(32, 3);
  row.sentAt = kStartMs - 4000;
  row.receivedAt = kStartMs;
  row.envelope = common::Bytes(100, 4);
  ASSERT_TRUE(rs.insertFrame("Uppsala", row).ok());
  EXPECT_TRUE(events.waitFor("event: change", std::chrono::seconds(2)))
      << "a relayed frame stored is a change for the /rollup page";
  ASSERT_TRUE(rs.countRefusal("Uppsala", "bad_signature", 2).ok());

  auto m = client().Get("/metrics");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200);
  for (const char* line :
       {"samband_rollup_city_connected{city=\"Uppsala\"} 1\n",
        "samband_rollup_city_frames{city=\"Uppsala\"} 1\n",
        "samband_rollup_city_refused_total{city=\"Uppsala\",reason=\"bad_signature\"} 2\n",
        "samband_rollup_city_gaps_total{city=\"Uppsala\"} 0\n",
        "samband_rollup_city_newest_frame_age_seconds{city=\"Uppsala\"} 4\n"}) {
    EXPECT_NE(m->body.find(line), std::string::npos) << line << " not in\n" << m->body;
  }
}

// The session names the broker's tier: the page sends a login on an upstream (which has no city
// board of its own) on to /rollup, whose "log in first" link leads to `/`.
TEST_F(BoardFixture, TheSessionNamesTheTierSoAnUpstreamsLoginLeadsToTheRollup) {
  auto cityLogin = login(kViewer);
  auto citySession = client().Get("/api/session", as(cityLogin));
  ASSERT_TRUE(citySession);
  EXPECT_EQ(nlohmann::json::parse(citySession->body)["tier"], "city");
  options_.tier = "county";
  restartBoard();
  auto front = client().Get("/");
  ASSERT_TRUE(front);
  EXPECT_EQ(front->status, 200) << "the login form is on /";
  auto who = login(kViewer);
  auto session = client().Get("/api/session", as(who));
  ASSERT_TRUE(session);
  EXPECT_EQ(nlohmann::json::parse(session->body)["tier"], "county");
  auto script = client().Get("/board.js");
  ASSERT_TRUE(script);
  EXPECT_NE(script->body.find("window.location.replace('/rollup')"), std::string::npos);
}

TEST_F(BoardFixture, OnARelayingCityBrokerMetricsShowTheUpstream) {
  auto before = client().Get("/metrics");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->body.find("samband_upstream_"), std::string::npos)
      << "no [upstream]: no relay metrics";
  EXPECT_EQ(before->body.find("samband_rollup_"), std::string::npos) << "a city broker";
  metrics_.upstreamConfigured = 1;
  metrics_.upstreamConnected = 1;
  metrics_.upstreamFramesRelayed = 7;
  metrics_.upstreamBehindFrames = 0;
  metrics_.upstreamLastPullMs = 1'800'000'000'500;
  auto m = client().Get("/metrics");
  ASSERT_TRUE(m);
  for (const char* line :
       {"samband_upstream_connected 1\n", "samband_upstream_frames_relayed_total 7\n",
        "samband_upstream_behind_frames 0\n",
        "samband_upstream_last_pull_seconds 1800000000.5\n"}) {
    EXPECT_NE(m->body.find(line), std::string::npos) << line << " not in\n" << m->body;
  }
}

}  // namespace
}  // namespace samband::broker::testing
