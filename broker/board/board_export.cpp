// See board.h: /api/export.csv, the real picture as a CSV file (semicolons and a BOM with
// ?excel=1 for Swedish Excel), named after the time it was made.
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

}  // namespace

void Board::exportCsv(const httplib::Request& req, httplib::Response& res) {
  const BoardViewRules rules{options_.liveness, options_.reportOldAfterMs, options_.holidays};
  auto lease = readPool_.acquire();
  if (!lease) return unavailable(res, lease.error().message);
  const int64_t now = clock_.nowMs();
  RequestedView requested;
  if (!viewFor(req, res, **lease, rules, now, requested)) return;
  auto made = requested.view->csv();
  if (!made) return unavailable(res, made.error().message);
  std::string csv = std::move(*made);
  std::string name =
      "samband-" + compactStamp(requested.past ? requested.past->moment().asOfMs : now);
  if (requested.past) name += "-as-of";
  if (req.get_param_value("excel") == "1") {
    // Swedish Excel expects semicolons and needs the BOM to read UTF-8.
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

}  // namespace samband::broker
