// An upstream broker's board (docs/rollup.md): /api/rollup lists each enrolled city with its
// providers and units, for a logged-in viewer only; /rollup is the page that shows it.
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

}  // namespace
}  // namespace samband::broker::testing
