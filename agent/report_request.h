// ReportRequest: what a person on duty typed after `samband-agent report`, and its translation
// into outbox drafts (a unit status, a capacity and/or a continuity body). Every value is
// checked here with a message naming the flag, before anything is signed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/outbox.h"
#include "common/result.h"

namespace samband::agent {

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
  // Capacity entries "FORM:YEAR:ENROLLED:NOW:72H".
  std::vector<std::string> capacity;
  // Provider continuity.
  std::optional<std::string> continuity;  // ok | at_risk | cannot_continue
  std::optional<std::string> continuityFrom;
  std::optional<std::string> continuityNote;
};

// Builds the drafts, in the order unit status, capacity, continuity. Errors are invalidInput with
// one sentence that names the flag and the accepted values.
common::Result<std::vector<OutboxDraft>> buildReportDrafts(const ReportRequest& request,
                                                           const AgentConfig& config,
                                                           int64_t nowMs);

}  // namespace samband::agent
