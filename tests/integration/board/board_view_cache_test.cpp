// The picture's read answers rendered once per change version (BoardViewCache,
// broker/board/board_view_cache.h): the cache on its own (one render for many waiting viewers, a
// newer version rendered again, keys kept apart, errors never kept, bytes bounded), and over real
// HTTP: `?v=N` answers are byte for byte the fresh ones, a district-limited viewer never gets an
// unlimited viewer's answer or the other way round, and after a change the event's new version
// gets the new picture.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "broker/accounts/users.h"
#include "broker/board/board_view_cache.h"
#include "broker/picture/board_view.h"
#include "broker/picture/district_scope.h"
#include "tests/integration/board/board_fixture.h"

namespace samband::broker::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

BoardViewKey key(const std::string& route, std::vector<std::string> districts = {},
                 const std::string& role = "viewer", const std::string& params = "") {
  return BoardViewKey{route, role, std::move(districts), params};
}

// ------------------------------------------------------------------------- the cache alone

TEST(BoardViewCache, ManyViewersOfOneVersionShareOneRender) {
  BoardViewCache cache;
  std::atomic<int> renders{0};
  auto render = [&]() -> common::Result<std::string> {
    ++renders;
    std::this_thread::sleep_for(50ms);  // long enough for every viewer to arrive meanwhile
    return std::string("picture at 7");
  };
  std::vector<std::thread> viewers;
  std::atomic<int> right{0};
  for (int i = 0; i < 16; ++i) {
    viewers.emplace_back([&] {
      auto body = cache.get(key("picture"), 7, 7, 1000, render);
      if (body.ok() && **body == "picture at 7") ++right;
    });
  }
  for (auto& t : viewers) t.join();
  EXPECT_EQ(right.load(), 16);
  EXPECT_EQ(renders.load(), 1);
  EXPECT_EQ(cache.stats().hits, 15u);
}

TEST(BoardViewCache, ANewerVersionIsRenderedAgainAndAnOlderOneGetsTheNewerAnswer) {
  BoardViewCache cache;
  int renders = 0;
  auto render = [&]() -> common::Result<std::string> {
    return std::string("render " + std::to_string(++renders));
  };
  EXPECT_EQ(**cache.get(key("units"), 3, 3, 1000, render), "render 1");
  EXPECT_EQ(**cache.get(key("units"), 3, 3, 1000, render), "render 1");
  EXPECT_EQ(**cache.get(key("units"), 4, 4, 1000, render), "render 2") << "stale served as new";
  EXPECT_EQ(**cache.get(key("units"), 3, 4, 1000, render), "render 2");
  // Without a version (a caller that just wrote something): always rendered afresh.
  EXPECT_EQ(**cache.get(key("units"), 0, 4, 1000, render), "render 3");
  // A version the watch has not reached (a page from before a restart): rendered afresh.
  EXPECT_EQ(**cache.get(key("units"), 9, 4, 1000, render), "render 4");
  // Ages in an answer move on: an answer older than maxAgeMs is rendered again.
  EXPECT_EQ(**cache.get(key("units"), 4, 4, 1000 + 2001, render), "render 5");
}

TEST(BoardViewCache, KeysOfOtherDistrictsRolesAndFiltersNeverShare) {
  BoardViewCache cache;
  auto as = [](std::string text) {
    return [text]() -> common::Result<std::string> { return text; };
  };
  EXPECT_EQ(**cache.get(key("units"), 5, 5, 0, as("all")), "all");
  EXPECT_EQ(**cache.get(key("units", {"Södermalm"}), 5, 5, 0, as("söder")), "söder");
  EXPECT_EQ(**cache.get(key("units", {"Kungsholmen"}), 5, 5, 0, as("kungsholmen")), "kungsholmen");
  EXPECT_EQ(**cache.get(key("units", {"Kungsholmen", "Södermalm"}), 5, 5, 0, as("both")), "both");
  EXPECT_EQ(**cache.get(key("units", {}, "operator"), 5, 5, 0, as("operator")), "operator");
  EXPECT_EQ(**cache.get(key("units", {}, "viewer", "[\"x\"]"), 5, 5, 0, as("filtered")),
            "filtered");
  EXPECT_EQ(**cache.get(key("picture"), 5, 5, 0, as("picture")), "picture");
  // A district name that looks like the key's own separators names one district, not two.
  EXPECT_EQ(**cache.get(key("units", {"Kungsholmen1:Södermalm"}), 5, 5, 0, as("odd")), "odd");
  auto none = []() -> common::Result<std::string> { return common::internalError("not rendered"); };
  EXPECT_EQ(**cache.get(key("units"), 5, 5, 0, none), "all");
  EXPECT_EQ(**cache.get(key("units", {"Södermalm"}), 5, 5, 0, none), "söder");
  EXPECT_EQ(**cache.get(key("units", {"Kungsholmen"}), 5, 5, 0, none), "kungsholmen");
  EXPECT_EQ(**cache.get(key("units", {}, "operator"), 5, 5, 0, none), "operator");
  EXPECT_EQ(**cache.get(key("units", {"Kungsholmen1:Södermalm"}), 5, 5, 0, none), "odd");
}

TEST(BoardViewCache, AFailedRenderIsNotKeptAndTheNextViewerRenders) {
  BoardViewCache cache;
  auto fail = []() -> common::Result<std::string> { return common::unavailable("database busy"); };
  auto good = []() -> common::Result<std::string> { return std::string("ok"); };
  auto first = cache.get(key("picture"), 2, 2, 0, fail);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().message, "database busy");
  EXPECT_EQ(**cache.get(key("picture"), 2, 2, 0, good), "ok");
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(BoardViewCache, HoldsNoMoreThanItsBytesDroppingTheLeastUsed) {
  BoardViewCache cache(BoardViewCache::Limits{1000, 2000});
  auto of = [](char c) {
    return [c]() -> common::Result<std::string> { return std::string(400, c); };
  };
  ASSERT_TRUE(cache.get(key("a"), 1, 1, 0, of('a')).ok());
  ASSERT_TRUE(cache.get(key("b"), 1, 1, 0, of('b')).ok());
  ASSERT_TRUE(cache.get(key("a"), 1, 1, 0, of('x')).ok());  // a hit: "a" is used last
  ASSERT_TRUE(cache.get(key("c"), 1, 1, 0, of('c')).ok());
  EXPECT_LE(cache.stats().bytes, 1000u);
  EXPECT_EQ(cache.stats().entries, 2u);
  EXPECT_EQ((**cache.get(key("a"), 1, 1, 0, of('y')))[0], 'a') << "the most recently used stays";
  EXPECT_EQ((**cache.get(key("b"), 1, 1, 0, of('z')))[0], 'z') << "the least used went";
  // An answer bigger than the whole cache is served, not kept.
  auto huge = []() -> common::Result<std::string> { return std::string(5000, 'h'); };
  EXPECT_EQ((**cache.get(key("h"), 1, 1, 0, huge)).size(), 5000u);
  EXPECT_LE(cache.stats().bytes, 1000u);
}

// ------------------------------------------------------------------------- over HTTP

constexpr const char* kSoderViewer = "sara.soder";  // viewer, Södermalm only

// One viewer's live stream, read for the versions of its hello and change events.
class Versions {
 public:
  Versions(int port, const std::string& cookie) : conn_("127.0.0.1", port) {
    conn_.send("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + cookie + "\r\n\r\n");
  }
  // The newest version announced once one beyond `after` arrived; 0 if none within `limit`.
  uint64_t beyond(uint64_t after, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      uint64_t newest = 0;
      static const std::regex kVersion("\"version\":([0-9]+)");
      const std::string& text = conn_.received();
      for (std::sregex_iterator it(text.begin(), text.end(), kVersion), end; it != end; ++it) {
        newest = std::max<uint64_t>(newest, std::stoull((*it)[1]));
      }
      if (newest > after) return newest;
      conn_.readUntil("\n\n\n", 50ms);  // never arrives: reads what there is for 50 ms
    }
    return 0;
  }
  // The version once the board has seen everything written so far (no change for 700 ms).
  uint64_t settled() {
    uint64_t v = beyond(0, 5s);
    while (uint64_t newer = beyond(v, 700ms)) v = newer;
    return v;
  }

 private:
  RawConnection conn_;
};

class BoardViewCacheHttp : public BoardFixture {
 protected:
  void SetUp() override {
    BoardFixture::SetUp();
    ASSERT_TRUE(
        Users(db()).add(kSoderViewer, Role::viewer, kPassword, kStartMs, {"Södermalm"}).ok());
    capacity("12345678", "grundskola", 1, 20, 3, 5);
    capacity("23456789", "forskoleklass", 0, 10, 4, 6);
    report("12345678", "closed", "Vattenläcka i Ekskolan");
    report("23456789", "reduced", "Björkskolan har personalbrist");
  }
  std::string get(const LoggedIn& who, const std::string& path, int status = 200) {
    auto r = client().Get(path.c_str(), as(who));
    EXPECT_TRUE(r) << path;
    if (!r) return "";
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    return r->body;
  }
  static std::string withV(const std::string& path, uint64_t v) {
    return path + (path.find('?') == std::string::npos ? "?" : "&") + "v=" + std::to_string(v);
  }
};

const std::vector<std::string> kPaths = {"/api/picture",
                                         "/api/units",
                                         "/api/units?district=Kungsholmen",
                                         "/api/units?q=ek",
                                         "/api/providers",
                                         "/api/capacity",
                                         "/api/capacity?mode=exercise",
                                         "/api/seats",
                                         "/api/seats?form=grundskola&year=1",
                                         "/api/whatif"};

TEST_F(BoardViewCacheHttp, AnswersForAVersionAreByteForByteTheFreshOnes) {
  auto olle = login(kViewer);
  Versions stream(board_->port(), olle.cookie);
  const uint64_t v = stream.beyond(0, 5s);
  ASSERT_GT(v, 0u);
  for (const auto& path : kPaths) {
    const std::string fresh = get(olle, path);
    const std::string first = get(olle, withV(path, v));   // rendered, or primed by `fresh`
    const std::string second = get(olle, withV(path, v));  // from the cache
    EXPECT_EQ(first, fresh) << path;
    EXPECT_EQ(second, fresh) << path;
    EXPECT_FALSE(fresh.empty()) << path;
  }
  // The answer of an unknown filter value and a past moment are not mixed up with the above.
  EXPECT_NE(get(olle, withV("/api/units?state=closed", v)), get(olle, withV("/api/units", v)));
}

TEST_F(BoardViewCacheHttp, ADistrictLimitedViewerNeverGetsAnotherScopesAnswer) {
  auto olle = login(kViewer);
  auto sara = login(kSoderViewer);
  Versions stream(board_->port(), olle.cookie);
  const uint64_t v = stream.beyond(0, 5s);
  ASSERT_GT(v, 0u);
  for (const auto& path : kPaths) {
    // Alternate who asks first, so each finds the other's answer in the cache if keys mixed.
    for (bool saraFirst : {true, false}) {
      std::string saras, olles;
      if (saraFirst) {
        saras = get(sara, withV(path, v));
        olles = get(olle, withV(path, v));
      } else {
        olles = get(olle, withV(path, v));
        saras = get(sara, withV(path, v));
      }
      for (const char* elsewhere : {"12345678", "Ekskolan", "Kungsholmen\"", "Vattenläcka"}) {
        EXPECT_EQ(saras.find(elsewhere), std::string::npos) << path << " leaks " << elsewhere;
      }
      EXPECT_EQ(saras, get(sara, path)) << path << ": not sara's own fresh answer";
      EXPECT_EQ(olles, get(olle, path)) << path << ": not olle's own fresh answer";
    }
  }
  // Olle's unlimited picture does show Kungsholmen (so the check above could fail).
  EXPECT_NE(get(olle, withV("/api/units", v)).find("Ekskolan"), std::string::npos);
}

TEST_F(BoardViewCacheHttp, AChangeBumpsTheVersionAndTheNextRequestForItSeesTheChange) {
  auto olle = login(kViewer);
  Versions stream(board_->port(), olle.cookie);
  const uint64_t v1 = stream.settled();
  ASSERT_GT(v1, 0u);
  const std::string before = get(olle, withV("/api/units", v1));
  ASSERT_EQ(before.find("Lönnskolan stängd"), std::string::npos);
  ASSERT_EQ(get(olle, withV("/api/units", v1)), before);  // cached for v1
  const std::string providersBefore = get(olle, withV("/api/providers", v1));
  const std::string pictureBefore = get(olle, withV("/api/picture", v1));
  report("34567890", "closed", "Lönnskolan stängd");  // archived as the committer would
  const uint64_t v2 = stream.beyond(v1, 5s);
  ASSERT_GT(v2, v1) << "the change never reached the live stream";
  const std::string after = get(olle, withV("/api/units", v2));
  EXPECT_NE(after.find("Lönnskolan stängd"), std::string::npos) << after;
  EXPECT_EQ(after, get(olle, "/api/units"));
  const std::string picture = get(olle, withV("/api/picture", v2));
  EXPECT_NE(picture, pictureBefore);
  EXPECT_NE(picture.find("Lönnskolan stängd"), std::string::npos);
  EXPECT_EQ(picture, get(olle, "/api/picture"));
  const std::string providers = get(olle, withV("/api/providers", v2));
  EXPECT_NE(providers, providersBefore) << "Friskolan's unit states moved on";
  EXPECT_EQ(providers, get(olle, "/api/providers"));
}

// /api/units is written straight from the rows (BoardView::unitsText); the tree it replaced
// (units().dump()) still answers a past moment. Both must give the same bytes, for every filter,
// scope, unreported unit, closure, what-if mark, capacity form and hostile note.
TEST_F(BoardViewCacheHttp, UnitsWrittenDirectlyAreByteForByteTheTreesDump) {
  report("34567890", "closed",
         "<script>\"x\"</script>\\ \t tab\x01 ctrl \u00e5\u00e4\u00f6 \U0001F600", "actual",
         "2026-11-30");
  db().db().exec(
      "INSERT INTO whatif_failing(code, marked_by, marked_at) VALUES('23456789', 'a', 1)");
  clock_.advanceMs(3LL * 24 * 3600 * 1000);  // old reports, school time and all
  const BoardViewRules rules{options_.liveness, options_.reportOldAfterMs, options_.holidays};
  const std::vector<UnitFilter> filters = {{},
                                           {"Kungsholmen", "", "", "", ""},
                                           {"", kProvider, "", "", ""},
                                           {"", "", "closed", "", ""},
                                           {"", "", "", "grundskola", ""},
                                           {"", "", "", "", "SCRIPT"},
                                           {"", "", "", "", "ek"},
                                           {"nowhere", "", "", "", ""}};
  for (const auto& scope : {DistrictScope(), DistrictScope({"Södermalm"}),
                            DistrictScope({"Kungsholmen", "Södermalm"})}) {
    for (const auto& f : filters) {
      auto tree = BoardView(db(), rules, clock_.nowMs(), scope).units(f);
      auto text = BoardView(db(), rules, clock_.nowMs(), scope).unitsText(f);
      ASSERT_TRUE(tree.ok() && text.ok());
      EXPECT_EQ(*text, tree->dump())
          << f.district << "|" << f.provider << "|" << f.state << "|" << f.form << "|" << f.query;
    }
  }
  // The hostile note went through the escaping path, and the check above saw units at all.
  auto all = BoardView(db(), rules, clock_.nowMs()).unitsText({});
  ASSERT_TRUE(all.ok());
  EXPECT_NE(all->find("\\u0001"), std::string::npos) << *all;
  EXPECT_EQ(json::parse(*all)["units"].size(), 3u);
}

// /api/picture's units are written straight from the rows (BoardView::pictureText); the tree it
// replaced (picture().dump()) still answers a past moment. Same bytes for every scope, with every
// kind of value a picture holds: unreported units (nulls), closures with dates, expired and old
// reports, counts not reported, a provider with a clock offset and a continuity statement, one
// without units, a unit without a name or district, exercise traffic, refusals, a standby's lag,
// a what-if mark, capacity forms, and notes with Swedish letters, quotes, control characters and
// markup.
TEST_F(BoardViewCacheHttp, PictureWrittenDirectlyIsByteForByteTheTreesDump) {
  auto& d = db().db();
  d.exec(
      "INSERT INTO providers(id, name, enrolled_at, last_seen, clock_offset_ms) VALUES "
      "('998877-6655', 'Tomma Bolaget AB', 0, NULL, NULL), "
      "('445566-7788', 'Åsa \"Öst\" Förskolor\\AB', 0, " +
      std::to_string(kStartMs - 5'000) + ", -123456)");
  d.exec(
      "INSERT INTO units(code, provider_id, name, district, school_forms) VALUES "
      "('45678901', '445566-7788', NULL, NULL, ''), "
      "('56789012', '445566-7788', 'Älvskolan', 'Södermalm', 'forskola:0;;fritidshem:0')");
  d.exec(
      "INSERT INTO continuity(mode, provider_id, state, from_date, note, sent_at, frame_id) "
      "VALUES ('actual', '445566-7788', 'at_risk', " +
      std::to_string(kStartMs + 86'400'000) + ", 'Ekonomin \"osäker\"', 1, 0)");
  d.exec("INSERT INTO rejections(reason, count) VALUES ('bad_signature', 7)");
  d.exec(
      "INSERT INTO replication_peers(peer, behind_frames, last_contact) VALUES "
      "('standby-ö', 12, " +
      std::to_string(kStartMs) + "), ('other', NULL, NULL)");
  report("34567890", "closed",
         "<script>\"x\"</script>\\ \t tab\x01 ctrl \u00e5\u00e4\u00f6 \U0001F600", "actual",
         "2026-11-30");
  report("23456789", "remote", "Övning: brand i köket", "exercise");
  report("56789012", "reduced", "Halva personalen sjuk – \"influensa\"");
  d.exec("UPDATE unit_status SET reason='Vattenläcka \"stor\"', expected_reopen=" +
         std::to_string(kStartMs + 3 * 86'400'000LL) +
         ", valid_until=" + std::to_string(kStartMs + 1000) +
         ", food_days=4, critical_care='offered', pupils_present=-1, staff_available=-1 "
         "WHERE code='34567890' AND mode='actual'");
  d.exec("UPDATE unit_status SET valid_until=" + std::to_string(kStartMs - 1000) +
         " WHERE code='56789012' AND mode='actual'");  // expired
  d.exec("INSERT INTO whatif_failing(code, marked_by, marked_at) VALUES('56789012', 'a', 1)");
  capacity("56789012", "grundskola", 2, 10, 1, 2);
  clock_.advanceMs(2LL * 3600 * 1000);
  const BoardViewRules rules{options_.liveness, options_.reportOldAfterMs, options_.holidays};
  for (const auto& scope :
       {DistrictScope(), DistrictScope({"Södermalm"}), DistrictScope({"Kungsholmen", "Södermalm"}),
        DistrictScope({"Ingenstans"})}) {
    for (int64_t later : {int64_t{0}, int64_t{3} * 24 * 3600 * 1000}) {
      clock_.advanceMs(later);
      auto tree = BoardView(db(), rules, clock_.nowMs(), scope).picture();
      auto text = BoardView(db(), rules, clock_.nowMs(), scope).pictureText();
      ASSERT_TRUE(tree.ok() && text.ok());
      EXPECT_EQ(*text, tree->dump()) << "scope of " << scope.districts().size() << " districts";
    }
  }
  // The check above saw every kind of value at all (so it could fail).
  auto all = BoardView(db(), rules, clock_.nowMs()).pictureText();
  ASSERT_TRUE(all.ok());
  const json p = json::parse(*all);
  EXPECT_EQ(p["providers"].size(), 4u);
  EXPECT_EQ(p["summary"]["units"]["total"], 5);
  EXPECT_NE(all->find("\\u0001"), std::string::npos);
  EXPECT_NE(all->find("\"closed_until\":\"2026-11-30\""), std::string::npos);
  EXPECT_NE(all->find("\"pupils_present\":null"), std::string::npos);
  EXPECT_NE(all->find("\"clock_offset_s\":-123.4"), std::string::npos);
  EXPECT_NE(all->find("\"behind_frames\":12"), std::string::npos);
  EXPECT_NE(all->find("Övning: brand i köket"), std::string::npos);
  EXPECT_NE(all->find("\"whatif_failing\":true"), std::string::npos);
  // And the board serves it.
  auto olle = login(kViewer);
  EXPECT_EQ(get(olle, "/api/picture"),
            BoardView(db(), rules, clock_.nowMs()).pictureText().value());
}

TEST_F(BoardViewCacheHttp, AVersionThatIsNotANumberIsRefusedWithWhatToSend) {
  auto olle = login(kViewer);
  for (const char* bad : {"/api/picture?v=abc", "/api/units?v=-1", "/api/seats?v=1e3",
                          "/api/capacity?v=99999999999999999999"}) {
    auto body = json::parse(get(olle, bad, 400), nullptr, false);
    EXPECT_EQ(body["error"], "invalid_input") << bad;
    EXPECT_NE(body["message"].get<std::string>().find("/api/events"), std::string::npos) << bad;
  }
}

TEST_F(BoardViewCacheHttp, APastMomentIsNeverServedFromTheCache) {
  auto olle = login(kViewer);
  Versions stream(board_->port(), olle.cookie);
  const uint64_t v = stream.beyond(0, 5s);
  ASSERT_GT(v, 0u);
  const std::string live = get(olle, withV("/api/picture", v));
  // Before the archive began: refused, though the live answer for v is cached.
  auto r = client().Get(withV("/api/picture?as_of=2020-01-01T00:00:00Z", v).c_str(), as(olle));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
}

}  // namespace
}  // namespace samband::broker::testing
