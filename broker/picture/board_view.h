// BoardView: what the board's JSON API and CSV export answer, read from the database on one
// connection. Builds on view.h's currentPicture() and adds what a person at the board needs:
// the city's readiness level, headline counts, the age of each report, school forms, what-if
// marks, exercise traffic apart, free seats per form and year, and a provider's report history
// decoded from the signed archive. Shapes are documented in docs/api.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "broker/picture/liveness.h"
#include "broker/picture/view.h"
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

// Reads only. Every call's errors are `unavailable` with the database's message (the board
// answers 503). csv() is in board_view_csv.cpp.
class BoardView {
 public:
  // With `moment` (must outlive the view), `store` is a picture rebuilt for that past moment
  // (as_of.h): every answer is as of moment->asOfMs and says so ("as_of"), and a provider's
  // history comes from moment->archive, up to the moment's newest frame.
  BoardView(Store& store, BoardViewRules rules, int64_t nowMs,
            const PictureMoment* moment = nullptr)
      : store_(store),
        rules_(rules),
        nowMs_(moment != nullptr ? moment->asOfMs : nowMs),
        moment_(moment) {}

  // currentPicture() plus: level, newest_report_at, summary, per-unit extras, exercise.
  common::Result<nlohmann::json> picture();
  // Every unit of the real picture as one flat list, filtered.
  common::Result<nlohmann::json> units(const UnitFilter& filter);
  common::Result<nlohmann::json> providers();
  // One provider: its units and its archived reports, newest first, `limit` per page, starting
  // below frame id `before` (0: from the newest). Nothing when the provider is unknown.
  common::Result<std::optional<nlohmann::json>> provider(const std::string& id, int64_t before,
                                                         int limit);
  // Free seats per school form and year for `mode`, city-wide and per district.
  common::Result<nlohmann::json> capacity(const std::string& mode);
  // The real picture as CSV (RFC 4180, one row per unit, formula-safe).
  common::Result<std::string> csv();
  common::Result<nlohmann::json> whatIf();

 private:
  Store& store_;
  BoardViewRules rules_;
  int64_t nowMs_;
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
