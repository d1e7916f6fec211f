// OfficeGauges: what /metrics tells about the office's questions rather than the transport —
// units without a report within the calendar's allowance, the latest readiness check by outcome,
// directives not yet acknowledged, how far providers' clocks are off, and whether the city's
// checkpoints keep up with the archive — and their Prometheus text. The board gathers the values
// from the database for each scrape (broker/board/board_office_gauges.cpp); this file only
// renders them. Names and labels are documented in docs/board.md. Counts only: no unit, provider
// or person is named (a directive's number is).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace samband::broker {

struct OfficeGauges {
  // Units whose newest actual report is past the allowance: "old" (older than
  // report_old_after_s in school time, wall time at heightened level), "expired" (past its own
  // valid_until), "never_reported".
  std::map<std::string, int64_t> unitsReportOverdue;
  int64_t reportAllowanceS = 0;  // [board] report_old_after_s
  bool schoolTime = true;        // the allowance counts school time (normal level)

  struct Readiness {
    std::string mode;  // of the newest check
    int64_t issuedAtMs = 0, deadlineMs = 0;
    std::map<std::string, int64_t> providersByOutcome;  // answered, late, pending, missing
    int64_t failedSelfTests = 0;                        // answers with a failed self-test
    int64_t unconfirmed = 0;
  };
  std::optional<Readiness> readiness;  // nothing: no check was ever issued

  struct Directive {
    std::string id;  // "D-000002"
    int64_t recipients = 0, undelivered = 0, unacknowledged = 0;
    bool requireAck = false;
  };
  std::vector<Directive> openDirectives;  // actual mode, not expired

  // Providers by the size of their measured clock offset: "under_1s", "1s_to_5s",
  // "5s_to_2min", "over_2min", "unmeasured"; and the largest offset either way.
  std::map<std::string, int64_t> providersByClockOffset;
  double clockOffsetMaxAbsS = 0;

  struct Checkpoints {
    uint64_t latestNumber = 0;  // 0: none signed yet
    int64_t latestSignedAtMs = 0;
    int64_t framesBehind = 0;                  // archived frames after the newest checkpoint
    std::optional<bool> latestSignatureValid;  // nothing: no checkpoint or no city key stored
  };
  Checkpoints checkpoints;
};

// The gauges in Prometheus text format 0.0.4, to append to /metrics.
std::string renderOfficeMetrics(const OfficeGauges& gauges);

}  // namespace samband::broker
