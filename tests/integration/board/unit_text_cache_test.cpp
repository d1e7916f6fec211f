// GET /api/units and /api/picture rendered afresh from each unit's kept text (UnitTextCache,
// broker/picture/unit_text_cache.h): after any sequence of changes (new reports, roster edits, a
// provider renamed, capacity forms, what-if marks, units added and removed, time passing) the
// kept texts give the bytes a full render gives (the picture: its tree's dump), for every scope
// and filter; and over real HTTP
// a request without `v` sees a commit made just before it, however recently the units were
// rendered.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "broker/picture/board_view.h"
#include "broker/picture/district_scope.h"
#include "broker/picture/unit_text_cache.h"
#include "tests/integration/board/board_fixture.h"

namespace samband::broker::testing {
namespace {

using nlohmann::json;

class UnitTextCacheTest : public BoardFixture {
 protected:
  BoardViewRules rules() const {
    return BoardViewRules{options_.liveness, options_.reportOldAfterMs, options_.holidays};
  }
  // Every scope and filter: the kept texts against a full render of the same database.
  void expectSameAsFullRender(UnitTextCache& kept, const std::string& after) {
    const std::vector<UnitFilter> filters = {{},
                                             {"Kungsholmen", "", "", "", ""},
                                             {"", kProvider, "", "", ""},
                                             {"", "", "closed", "", ""},
                                             {"", "", "unknown", "", ""},
                                             {"", "", "", "grundskola", ""},
                                             {"", "", "", "forskola", ""},
                                             {"", "", "", "", "skolan"}};
    for (const auto& scope : {DistrictScope(), DistrictScope({"Södermalm"}),
                              DistrictScope({"Kungsholmen", "Södermalm"})}) {
      BoardView pictureWithKept(db(), rules(), clock_.nowMs(), scope);
      pictureWithKept.useUnitTexts(&kept);
      auto picture = pictureWithKept.pictureText();
      auto tree = BoardView(db(), rules(), clock_.nowMs(), scope).picture();
      ASSERT_TRUE(picture.ok() && tree.ok()) << after;
      ASSERT_EQ(*picture, tree->dump()) << "the picture after " << after;
      for (const auto& f : filters) {
        BoardView withKept(db(), rules(), clock_.nowMs(), scope);
        withKept.useUnitTexts(&kept);
        auto text = withKept.unitsText(f);
        auto full = BoardView(db(), rules(), clock_.nowMs(), scope).unitsText(f);
        ASSERT_TRUE(text.ok() && full.ok()) << after;
        ASSERT_EQ(*text, *full) << "after " << after << "; filter " << f.district << "|"
                                << f.provider << "|" << f.state << "|" << f.form << "|" << f.query;
      }
    }
  }
};

TEST_F(UnitTextCacheTest, KeptTextsGiveAFullRendersBytesAfterRandomChanges) {
  auto& d = db().db();
  std::vector<std::string> codes = {"12345678", "23456789", "34567890"};
  const std::vector<std::string> districts = {"Kungsholmen", "Södermalm", "Norrmalm"};
  for (int i = 0; i < 30; ++i) {
    const std::string code = std::to_string(40000000 + i);
    d.exec("INSERT INTO units(code, provider_id, name, district, school_forms) VALUES ('" + code +
           "', '" + (i % 3 == 0 ? "112233-4455" : kProvider) + "', 'Skolan " + std::to_string(i) +
           "', " + (i % 7 == 0 ? std::string("NULL") : "'" + districts[i % 3] + "'") +
           ", 'grundskola:1;fritidshem:0')");
    codes.push_back(code);
  }
  UnitTextCache kept;
  expectSameAsFullRender(kept, "the first render");
  std::mt19937 random(16);
  auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(random)];
  };
  const std::vector<std::string> states = {"normal", "reduced", "remote", "closed", "relocated"};
  int added = 0;
  for (int round = 0; round < 60; ++round) {
    const std::string code = pick(codes);
    std::string what;
    switch (std::uniform_int_distribution<int>(0, 10)(random)) {
      case 0:
      case 1:
      case 2:  // a new report (a new frame)
        report(code, pick(states), "Läge " + std::to_string(round) + " \"nu\"");
        what = "a report on " + code;
        break;
      case 3:  // the roster renames a unit or moves it (no new frame)
        d.exec("UPDATE units SET name='Nya skolan " + std::to_string(round) + "', district=" +
               (round % 4 == 0 ? std::string("NULL") : "'" + pick(districts) + "'") +
               " WHERE code='" + code + "'");
        what = "a roster edit of " + code;
        break;
      case 4:
        d.exec("UPDATE units SET school_forms='forskola:0;grundskola:" + std::to_string(round % 9) +
               "' WHERE code='" + code + "'");
        what = "new school forms of " + code;
        break;
      case 5:
        d.exec("UPDATE providers SET name='Skolbolaget " + std::to_string(round) +
               " AB' WHERE id='" + kProvider + "'");
        what = "the provider renamed";
        break;
      case 6:
        capacity(code, round % 2 ? "forskola" : "gymnasieskola", 1, 10, 2, 3);
        what = "a capacity form for " + code;
        break;
      case 7:
        d.exec("DELETE FROM capacity WHERE code='" + code + "'");
        d.exec("INSERT OR REPLACE INTO whatif_failing(code, marked_by, marked_at) VALUES('" + code +
               "', 'anna', 1)");
        what = "capacity gone and a what-if mark on " + code;
        break;
      case 8:
        clock_.advanceMs(std::uniform_int_distribution<int64_t>(1, 3 * 86'400'000)(random));
        what = "time passing";
        break;
      case 9: {
        const std::string fresh = std::to_string(39999000 - added++);  // sorts first
        d.exec("INSERT INTO units(code, provider_id, name, district, school_forms) VALUES ('" +
               fresh + "', '" + kProvider + "', 'Tillskottet', 'Södermalm', '')");
        codes.push_back(fresh);
        what = "a unit added";
        break;
      }
      default:
        if (codes.size() > 5 && code != "12345678") {
          d.exec("DELETE FROM whatif_failing WHERE code='" + code + "'");
          d.exec("DELETE FROM capacity WHERE code='" + code + "'");
          d.exec("DELETE FROM unit_status WHERE code='" + code + "'");
          d.exec("DELETE FROM units WHERE code='" + code + "'");
          codes.erase(std::find(codes.begin(), codes.end(), code));
          what = "unit " + code + " removed";
        } else {
          what = "nothing";
        }
    }
    expectSameAsFullRender(kept, what);
  }
  // Most renders reused the kept texts (else the check above says little about them).
  const auto stats = kept.stats();
  EXPECT_GT(stats.reused, stats.rebuilt * 4) << stats.reused << " reused, " << stats.rebuilt;
  EXPECT_EQ(stats.units, codes.size());
}

TEST_F(UnitTextCacheTest, ARequestWithoutVersionSeesTheCommitJustBeforeIt) {
  auto olle = login(kViewer);
  for (int i = 0; i < 20; ++i) {
    auto primed = client().Get("/api/units", as(olle));  // keeps every unit's text
    ASSERT_TRUE(primed && primed->status == 200);
    const std::string note = "Lägesrapport nummer " + std::to_string(i);
    ASSERT_EQ(primed->body.find(note), std::string::npos);
    report(i % 2 ? "34567890" : "23456789", i % 3 ? "reduced" : "closed", note);
    auto r = client().Get("/api/units", as(olle));
    ASSERT_TRUE(r && r->status == 200);
    EXPECT_NE(r->body.find(note), std::string::npos) << "request " << i << " missed the commit";
    EXPECT_EQ(json::parse(r->body)["units"].size(), 3u);
    // The same bytes a full render of the database gives.
    const BoardViewRules rules{options_.liveness, options_.reportOldAfterMs, options_.holidays};
    auto full = BoardView(db(), rules, clock_.nowMs()).unitsText({});
    ASSERT_TRUE(full.ok());
    EXPECT_EQ(r->body, *full);
    EXPECT_EQ(r->get_header_value("Content-Length"), std::to_string(full->size()));
    auto picture = client().Get("/api/picture", as(olle));
    ASSERT_TRUE(picture && picture->status == 200);
    EXPECT_NE(picture->body.find(note), std::string::npos) << "picture " << i << " missed it";
  }
}

}  // namespace
}  // namespace samband::broker::testing
