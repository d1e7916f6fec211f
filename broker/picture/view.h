// View: the current picture read from the database — providers, their liveness, units and
// their latest actual status, and the refusal counters. Used by `status` and by the board.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "broker/picture/liveness.h"
#include "broker/store/store.h"
#include "common/result.h"
#include "common/school_calendar.h"

namespace samband::broker {

// A provider whose measured clock offset is beyond this (either way) is flagged: in `status`
// text, and on the board (broker/board/assets/providers.js holds the same 120 s).
inline constexpr int64_t kClockOffsetWarnMs = 120'000;

// What a picture rebuilt for a past moment (as_of.h) says about itself. `store` is then the
// replay database, which holds no refusal counters and no whole archive.
struct PictureMoment {
  int64_t asOfMs = 0;        // the moment; also the "now" every age is counted to
  int64_t frames = 0;        // frames archived up to the moment
  int64_t lastFrameId = 0;   // the newest of them (0: none)
  Store* archive = nullptr;  // the broker's database (a provider's history up to lastFrameId)
};

// The picture as one JSON object (see docs/api.md and README for the keys). Reads only.
// Each reported unit's age is given in wall time (age_s) and in school time
// (age_school_hours): time on days without school ([calendar] `holidays`, the imported ones,
// weekends, public holidays) does not count while the city's level is normal; at heightened
// and above all time counts ("age_counts" says which). Local dates are in the process's time
// zone. Beside the providers and units: the city's "level", the readiness checks still open
// ("open_checks": deadline not passed) and the directives still in force ("open_directives":
// not expired), each with who answered, received or acknowledged it.
// With `moment` (a picture rebuilt for a past moment): "as_of" is added, "generated_at" and
// every age are that moment, "frames" is moment->frames, and "rejected" holds null for every
// reason (refusals are counted, not archived). Errors: database (unavailable).
common::Result<nlohmann::json> currentPicture(
    Store& store, const LivenessRules& rules, int64_t nowMs,
    const std::vector<common::HolidayRange>& holidays = {}, const PictureMoment* moment = nullptr);

// The live currentPicture() with every provider's "units" an empty array and the units not
// read: the rest of the document, for a caller that writes the units itself
// (BoardView::pictureText). Errors: database (unavailable).
common::Result<nlohmann::json> currentPictureWithoutUnits(
    Store& store, const LivenessRules& rules, int64_t nowMs,
    const std::vector<common::HolidayRange>& holidays = {});

// How old a report made at `fromMs` is at `toMs` under the rule in force: school time while
// the calendar excuses silence, wall time otherwise.
struct ReportAge {
  common::SchoolCalendar calendar;
  bool schoolTime = true;  // false at heightened level and above
  int64_t ageMs(int64_t fromMs, int64_t toMs) const;
};
// The calendar and level now in the database with `holidays` from the config. Errors: unavailable.
common::Result<ReportAge> reportAgeRule(Store& store,
                                        const std::vector<common::HolidayRange>& holidays);

// A compact human-readable rendering of currentPicture().
std::string pictureText(const nlohmann::json& picture);

}  // namespace samband::broker
