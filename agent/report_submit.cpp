// See report_submit.h.
#include "agent/report_submit.h"

#include "agent/agent_identity.h"
#include "agent/key_rotation.h"
#include "agent/last_report.h"

namespace samband::agent {

common::Result<std::vector<QueuedMessage>> submitReport(
    SQLite::Database& db, const AgentConfig& config, const ReportRequest& request, int64_t nowMs,
    const Outbox::InTransaction& inTransaction) {
  if (common::Status s = finishKeyRotation(config, db); !s) return s.error();
  auto identity = loadAgentIdentity(config);
  if (!identity) return identity.error();
  Outbox outbox(db, **identity);
  return outbox.append(
      [&]() -> common::Result<std::vector<OutboxDraft>> {
        // Reports carry forward: the request changes only what it names in the last report,
        // read inside the transaction that queues the new one.
        LastReport last;
        if (!request.unit.empty()) {
          auto kept = readLastReport(db, request.unit, request.mode);
          if (!kept) return kept.error();
          last = std::move(*kept);
        }
        return buildReportDrafts(request, config, nowMs, last);
      },
      nowMs, inTransaction);
}

}  // namespace samband::agent
