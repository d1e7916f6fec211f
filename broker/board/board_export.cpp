// See board.h: /api/export.csv, the real picture as a CSV file, and /api/seats.csv, the free
// seats (semicolons and a BOM with ?excel=1 for Swedish Excel), named after the time they were
// made, both within the session's districts.
#include <httplib.h>

#include "broker/board/board.h"
#include "broker/board/board_as_of.h"
#include "broker/board/board_http.h"
#include "broker/picture/board_view.h"
#include "common/clock.h"

namespace samband::broker {

namespace {

std::string compactStamp(int64_t ms) {
  // "2026-11-25T10:46:20.123Z" -> "20261125-1046"
  std::string t = common::formatRfc3339(ms);
  std::string out;
  for (char c : t.substr(0, 16)) {
    if (c >= '0' && c <= '9') out += c;
    if (c == 'T') out += '-';
  }
  return out;
}

// Sends `csv` as a download called `name`.csv; with ?excel=1 in Swedish Excel's dialect:
// semicolons and a BOM so it reads UTF-8 (fields holding a semicolon are already quoted).
void sendCsv(const httplib::Request& req, httplib::Response& res, std::string csv,
             std::string name) {
  if (req.get_param_value("excel") == "1") {
    std::string out = "\xEF\xBB\xBF";
    bool quoted = false;
    for (char c : csv) {
      if (c == '"') quoted = !quoted;
      out += (c == ',' && !quoted) ? ';' : c;
    }
    csv = std::move(out);
    name += "-excel";
  }
  res.set_header("Content-Disposition", "attachment; filename=\"" + name + ".csv\"");
  res.set_content(csv, "text/csv; charset=utf-8");
}

}  // namespace

void Board::exportCsv(const httplib::Request& req, httplib::Response& res, const Session& session) {
  const BoardViewRules rules{options_.liveness, options_.reportOldAfterMs, options_.holidays};
  auto lease = readPool_.acquire();
  if (!lease) return unavailable(res, lease.error().message);
  const int64_t now = clock_.nowMs();
  RequestedView requested;
  if (!viewFor(req, res, **lease, rules, now, scopeOf(session), requested)) return;
  auto made = requested.view->csv();
  if (!made) return unavailable(res, made.error().message);
  sendCsv(req, res, std::move(*made),
          requested.past ? "samband-" + compactStamp(requested.past->moment().asOfMs) + "-as-of"
                         : "samband-" + compactStamp(now));
}

void Board::exportSeatsCsv(const httplib::Request& req, httplib::Response& res,
                           const Session& session) {
  auto filter = seatsFilter(req);
  if (!filter) return problem(res, 400, "invalid_input", filter.error().message);
  const std::string totals = req.get_param_value("totals");
  if (!totals.empty() && totals != "0" && totals != "1") {
    return problem(res, 400, "invalid_input",
                   "totals must be 1 (one row per district and school form) or 0 (one row per "
                   "unit and class, the default)");
  }
  const BoardViewRules rules{options_.liveness, options_.reportOldAfterMs, options_.holidays};
  auto lease = readPool_.acquire();
  if (!lease) return unavailable(res, lease.error().message);
  const int64_t now = clock_.nowMs();
  RequestedView requested;
  if (!viewFor(req, res, **lease, rules, now, scopeOf(session), requested)) return;
  auto made = requested.view->seatsCsv(*filter, totals == "1");
  if (!made) return unavailable(res, made.error().message);
  sendCsv(req, res, std::move(*made),
          std::string(totals == "1" ? "samband-seats-totals-" : "samband-seats-") +
              compactStamp(requested.past ? requested.past->moment().asOfMs : now) +
              (requested.past ? "-as-of" : ""));
}

}  // namespace samband::broker
