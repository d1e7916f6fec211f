// ReportLog: what became of each report this agent queued — queued (still in the outbox),
// delivered (the broker acknowledged it) or refused (moved to the dead letters, with the
// broker's reason). The outbox writes a row for every unit status, capacity and continuity it
// queues, whoever made it (the command line, the spool, the reporting page, POST /api/report);
// the reporting page reads it to show a unit's recent reports and the fate of the one just sent.
// Kept in outbox.db's report_log table: the newest kKeepPerUnit rows per unit.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace samband::agent {

inline constexpr int64_t kKeepLoggedReportsPerUnit = 200;

enum class ReportFate { queued, delivered, refused };
const char* reportFateName(ReportFate fate);  // "queued" | "delivered" | "refused"

struct LoggedReport {
  int64_t rowId = 0;  // the outbox row; stable when the row is re-signed
  uint64_t seq = 0;   // the current seq while queued, the acknowledged or refused one after
  std::string kind;   // unit_status | capacity | continuity
  std::string unit;
  std::string mode;
  int64_t sentAt = 0;
  int64_t queuedAt = 0;
  std::string source;  // "form:NAME", "api:TOKEN", "spool:FILE", or "" (command line)
  ReportFate fate = ReportFate::queued;
  std::optional<int64_t> deliveredAt;  // when the ack was recorded (not known for every path)
  std::string refusal;                 // the broker's reason (a RejectReason name) when refused
  std::string refusalDetail;
  int64_t refusedAt = 0;
};

// Logs a queued message; runs in the outbox's append transaction and throws SQLite::Exception
// (the outbox turns it into a result). Kinds other than unit_status, capacity and continuity are
// ignored. Trims the unit's log to the newest kKeepLoggedReportsPerUnit rows.
void logQueuedReport(SQLite::Database& db, int64_t rowId, uint64_t seq, const std::string& kind,
                     const std::string& unit, const std::string& mode, int64_t sentAt,
                     int64_t queuedAt);
// Marks the logged rows among the pending outbox rows with seq <= `ackedSeq` as delivered now
// (with the seq they were acknowledged under). Runs in the outbox's ack transaction, before the
// rows are deleted; throws SQLite::Exception.
void logDeliveredReports(SQLite::Database& db, uint64_t ackedSeq);

// Records who made the reports of `rowIds` ("form:anna", "api:skolsystem"). Runs in the caller's
// transaction (submitReport's hook). Errors: unavailable.
common::Status setReportSource(SQLite::Database& db, const std::vector<int64_t>& rowIds,
                               const std::string& source);

// The newest `limit` logged reports about `unit`, newest first, each with its fate now.
// Errors: unavailable.
common::Result<std::vector<LoggedReport>> recentReports(SQLite::Database& db,
                                                        const std::string& unit, int64_t limit);

}  // namespace samband::agent
