// Readiness checks, issue and record: issuing a city-signed check to every enrolled provider,
// recording the answers (from the committer), and closing checks whose deadline passed. The
// schedule is in readiness_schedule.h, the report in readiness_report.h.
#pragma once

#include <optional>
#include <string>

#include "broker/city/readiness_report.h"
#include "broker/city/readiness_schedule.h"
#include "broker/store/store.h"
#include "common/identity.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::broker {

struct CheckOptions {
  int64_t deadlineMs = 60 * 60 * 1000;
  bool requireConfirmation = false;
  common::Mode mode = common::Mode::ACTUAL;
  std::optional<std::string> scheduledFor;  // local date of a scheduled check
};

// Issues a check to every enrolled provider in one transaction; returns its id. A scheduled
// check whose date already has one returns ErrorKind::conflict (so the scheduler is idempotent
// across restarts).
common::Result<std::string> issueCheck(Store& store, const common::Identity& city,
                                       const CheckOptions& options, int64_t nowMs);

// Records an answer (called by the committer inside its transaction). A later answer with
// `confirmed` sets the confirmation time; the first answer's times are kept. Errors: unavailable.
common::Status recordReadinessAnswer(Store& store, const std::string& provider,
                                     const common::ReadinessAnswerMsg& answer, int64_t sentAt,
                                     int64_t receivedAt, int64_t frameId);

// Writes the summary of every check whose deadline has passed and that has none yet. Errors:
// unavailable (checks not yet closed are closed by a later call).
common::Status closeDueChecks(Store& store, int64_t nowMs);

}  // namespace samband::broker
