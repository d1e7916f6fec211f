// Reports as JSON, for the provider's own systems: `samband-agent report --json FILE|-`, the
// spool directory and POST /api/report all read this shape. The field names are those of
// `samband-agent last --json` (and the broker's `status --json`), so the output of `last --json`
// is itself a valid report. As on the command line, a report changes only the fields it names;
// the others carry forward from the unit's last report.
//
//   {"unit": "12345678", "mode": "actual", "operational": "reduced", "pupils_present": 165,
//    "resources": {"heating": "down"}, "note": "Ingen värme i hus B",
//    "capacity": [{"form": "grundskola", "year": 4, "enrolled": 52, "seats_now": 3,
//                  "seats_72h": 6}]}
//
// A count given as null (or "unknown") resets it to not reported; a text given as null or ""
// empties it. Unknown field names are refused, so a misspelt field is never silently dropped.
#pragma once

#include <string>
#include <string_view>

#include "agent/report_request.h"
#include "common/result.h"

namespace samband::agent {

// The largest report body accepted (a full status and 64 capacity rows fit in a few KiB).
inline constexpr size_t kMaxReportJsonBytes = 64 * 1024;

// The request `body` describes. Errors: invalidInput whose message starts with
// "field 'NAME': " (NAME as in the JSON, e.g. "resources.heating" or "capacity[2].year"), or
// names the body as a whole ("the report is not valid JSON ...").
common::Result<ReportRequest> parseReportJson(std::string_view body);

// The JSON field an error of parseReportJson() or of submitReport() is about ("" when it is
// about the body as a whole): "field 'x': ..." gives x, a CLI flag "--pupils-present" gives
// "pupils_present", "--capacity" gives "capacity".
std::string reportFieldOfError(const std::string& message);

}  // namespace samband::agent
