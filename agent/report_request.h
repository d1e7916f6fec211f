// ReportRequest: what a person on duty typed after `samband-agent report`, and its translation
// into outbox drafts (a unit status, a capacity and/or a continuity body). Reports carry forward:
// fields not given keep the value of the unit's last report (agent/last_report.h), so each body
// is still a full snapshot. Every value is checked here with a message naming the flag.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/last_report.h"
#include "agent/outbox.h"
#include "common/result.h"

namespace samband::agent {

// A count given as "unknown" (`--pupils-present unknown`): reset to not reported.
inline constexpr int64_t kUnknownCount = INT64_MIN;

struct ReportRequest {
  std::string unit;
  std::string mode = "actual";
  // Unit status (sent when `operational` is given).
  std::optional<std::string> operational;
  std::optional<std::string> reason;
  std::optional<std::string> expectedReopen;  // RFC 3339 or YYYY-MM-DD
  std::optional<int64_t> pupilsEnrolled;
  std::optional<int64_t> pupilsPresent;
  std::optional<int64_t> staffTotal;
  std::optional<int64_t> staffAvailable;
  std::optional<std::string> criticalCare;  // yes | no | unknown
  std::optional<std::string> specialSupport;
  std::optional<std::string> electricity;  // grid | backup | none | unknown
  std::optional<int64_t> backupHours;
  std::optional<std::string> heating;  // ok | degraded | down | unknown
  std::optional<std::string> water;
  std::optional<std::string> food;
  std::optional<std::string> it;
  std::optional<std::string> telephony;
  std::optional<int64_t> foodDays;
  std::optional<std::string> note;
  std::optional<std::string> validUntil;
  // The last day a closed unit stays closed, YYYY-MM-DD (today or later; needs the status to be
  // closed). Carried forward while the unit stays closed and the day has not passed.
  std::optional<std::string> closedUntil;
  // Reset a carried-forward text or time to empty (--clear-reason and the like).
  bool clearReason = false;
  bool clearNote = false;
  bool clearExpectedReopen = false;
  bool clearValidUntil = false;
  bool clearClosedUntil = false;
  // Capacity entries "FORM:YEAR:ENROLLED:NOW:72H".
  std::vector<std::string> capacity;
  // Provider continuity.
  std::optional<std::string> continuity;  // ok | at_risk | cannot_continue
  std::optional<std::string> continuityFrom;
  std::optional<std::string> continuityNote;
};

// Builds the drafts, in the order unit status, capacity, continuity. `last` is the unit's last
// report in the request's mode: a unit status starts from its status (a valid_until already past
// is dropped, and a closed_until once the unit is no longer closed or the day has passed) and
// changes only the fields given; a capacity replaces only the (form, year) rows
// given and keeps the others. Without a last status, --operational is required. Errors are
// invalidInput with one sentence that names the flag and the accepted values.
common::Result<std::vector<OutboxDraft>> buildReportDrafts(const ReportRequest& request,
                                                           const AgentConfig& config, int64_t nowMs,
                                                           const LastReport& last = {});

}  // namespace samband::agent
