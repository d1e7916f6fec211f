// BoardView: what the board's JSON API and CSV export answer, read from the database on one
// connection. Builds on view.h's currentPicture() and adds what a person at the board needs:
// the city's readiness level, headline counts, the age of each report, school forms, what-if
// marks, exercise traffic apart, free seats per form and year, and a provider's report history
// decoded from the signed archive. Everything is limited to the DistrictScope it is given (a
// district-limited user's). Shapes are documented in docs/api.md.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "broker/picture/district_scope.h"
#include "broker/picture/liveness.h"
#include "broker/picture/unit_text_cache.h"
#include "broker/picture/view.h"
#include "broker/store/picture_store.h"
#include "broker/store/store.h"
#include "common/result.h"
#include "common/school_calendar.h"

namespace samband::broker {

struct BoardViewRules {
  LivenessRules liveness;
  int64_t reportOldAfterMs = 26 * 3600 * 1000LL;  // in school time (see currentPicture)
  std::vector<common::HolidayRange> holidays;     // [calendar] holidays of broker.toml
};

struct UnitFilter {
  std::string district;  // exact; empty: any
  std::string provider;  // provider id; empty: any
  std::string state;     // operational state; empty: any
  std::string form;      // school form taught; empty: any
  std::string query;     // case-insensitive substring of code, names, district or note
};

// What the free-seats view lists (GET /api/seats); empty or 0: any.
struct SeatsFilter {
  std::string mode = "actual";
  std::string form;      // school form, e.g. "grundskola"
  int year = -1;         // year within the form; -1: any (0 is a year: förskoleklass, fritidshem)
  std::string district;  // exact; kNoDistrict for units without one
};
inline constexpr const char* kNoDistrict = "-";

// Reads only. Every call's errors are `unavailable` with the database's message (the board
// answers 503). csv() is in board_view_csv.cpp; capacity() and the free seats are in
// board_view_seats.cpp.
class BoardView {
 public:
  // With `moment` (must outlive the view), `store` is a picture rebuilt for that past moment
  // (as_of.h): every answer is as of moment->asOfMs and says so ("as_of"), and a provider's
  // history comes from moment->archive, up to the moment's newest frame.
  BoardView(Store& store, BoardViewRules rules, int64_t nowMs, DistrictScope scope = {},
            const PictureMoment* moment = nullptr)
      : store_(store),
        rules_(rules),
        nowMs_(moment != nullptr ? moment->asOfMs : nowMs),
        scope_(std::move(scope)),
        moment_(moment) {}

  // Lets unitsText() and pictureText() keep each unit's text in `cache` between renders and
  // rebuild only units that changed (the live picture only; a past moment ignores it). `cache`
  // must outlive the view; the bytes are the same either way.
  void useUnitTexts(UnitTextCache* cache) { unitTexts_ = cache; }

  // currentPicture() plus: level, newest_report_at, summary, per-unit extras, exercise.
  common::Result<nlohmann::json> picture();
  // picture().dump(), byte for byte, with the units written straight from the rows instead of
  // as a tree (board_view_picture.cpp): what GET /api/picture serves. A past moment: the tree.
  common::Result<std::string> pictureText();
  // Every unit of the real picture as one flat list, filtered.
  common::Result<nlohmann::json> units(const UnitFilter& filter);
  // units(filter).dump(), byte for byte, written straight from the rows without the tree
  // (board_view_units.cpp): what GET /api/units serves.
  common::Result<std::string> unitsText(const UnitFilter& filter);
  common::Result<nlohmann::json> providers();
  // One provider: its units and its archived reports, newest first, `limit` per page, starting
  // below frame id `before` (0: from the newest). Nothing when the provider is unknown.
  common::Result<std::optional<nlohmann::json>> provider(const std::string& id, int64_t before,
                                                         int limit);
  // Free seats per school form and year for `mode`, city-wide and per district, each row with
  // how many of its units' capacity reports are old and the oldest report's time.
  common::Result<nlohmann::json> capacity(const std::string& mode);
  // The free-seats view: every unit with free seats now or within 72 h per school form and year
  // (closed and remote units left out), sorted by district and seats, with totals per district
  // and school form, each with the age of its capacity report.
  common::Result<nlohmann::json> seats(const SeatsFilter& filter);
  // seats() as CSV: one row per unit and class, or (`totals`) one per district and form.
  common::Result<std::string> seatsCsv(const SeatsFilter& filter, bool totals);
  // The real picture as CSV (RFC 4180, one row per unit, formula-safe).
  common::Result<std::string> csv();
  common::Result<nlohmann::json> whatIf();
  // Whether unit `code` is in the roster and in the scope.
  common::Result<bool> unitVisible(const std::string& code);

 private:
  // What picture() and pictureText() add to currentPicture(), read in one place.
  struct PictureRows {
    std::vector<UnitPictureRow> units;
    std::vector<std::pair<std::string, std::string>> capacityForms;  // (unit code, form)
    std::set<std::string> whatIfMarks;                               // unit codes
    std::optional<std::string> level;
    ReportAge ageRule;
    std::vector<OtherModeRow> otherModes;
  };
  // `withUnits` false: PictureRows::units left empty (pictureText() takes them from a
  // UnitTextCache).
  common::Result<PictureRows> pictureRows(bool withUnits = true);
  // The headline counts both count on their way through the units.
  struct PictureTotals {
    std::map<std::string, int64_t> unitStates{{"normal", 0}, {"reduced", 0},   {"remote", 0},
                                              {"closed", 0}, {"relocated", 0}, {"unknown", 0}};
    std::map<std::string, int64_t> liveness{
        {"online", 0}, {"stale", 0}, {"offline", 0}, {"never", 0}};
    int64_t units = 0, old = 0, enrolled = 0, present = 0, newest = 0, providers = 0;
  };
  // summary, newest_report_at, report_old_after_s, level and exercise.
  void addHeadlines(nlohmann::json& picture, const PictureTotals& totals,
                    const PictureRows& rows) const;
  // The standby's lag ("replication") when a peer is recorded; only live.
  void addReplicationLag(nlohmann::json& picture);
  // Exercise, system and test reports in the scope ("exercise").
  nlohmann::json exerciseRows(const std::vector<OtherModeRow>& otherRows) const;

  // unitsText() from `cache`: the units' kept texts, checked against the database.
  common::Result<std::string> unitsTextFromCache(const UnitFilter& filter, UnitTextCache& cache);

  Store& store_;
  UnitTextCache* unitTexts_ = nullptr;
  BoardViewRules rules_;
  int64_t nowMs_;
  DistrictScope scope_;
  const PictureMoment* moment_;
};

// Marks (or unmarks) a unit as failing for what-if takeover planning. Changes no report.
// Errors: unknown unit (notFound), database (unavailable). Needs a writable connection.
common::Status setWhatIfFailing(Store& store, const std::string& code, bool failing,
                                const std::string& byUser, int64_t nowMs);

// One CSV field: quoted when needed; a leading = + - @ tab or CR is neutralised with a quote
// so a spreadsheet never runs provider text as a formula.
std::string csvField(const std::string& text);

}  // namespace samband::broker
