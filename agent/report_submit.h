// submitReport: the one path by which a report enters the outbox, whoever makes it — the
// `report` command, `report --json`, the spool directory, the reporting page and POST
// /api/report all end here. It finishes a pending key rotation, loads the identity, and in one
// outbox write transaction reads the unit's last report, builds the drafts from it
// (report_request.h: carry forward) and queues them.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <vector>

#include "agent/agent_config.h"
#include "agent/outbox.h"
#include "agent/report_request.h"
#include "common/result.h"

namespace samband::agent {

// Queues `request` and returns the queued messages (unit status, capacity, continuity, in that
// order). `inTransaction` runs in the same transaction after the inserts (the spool records the
// file it came from there). Errors: invalidInput (the request; the message names the CLI flag,
// see reportFieldOfError() in report_json.h for the JSON field), unavailable (disk, busy).
common::Result<std::vector<QueuedMessage>> submitReport(
    SQLite::Database& db, const AgentConfig& config, const ReportRequest& request, int64_t nowMs,
    const Outbox::InTransaction& inTransaction = nullptr);

}  // namespace samband::agent
