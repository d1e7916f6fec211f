// See report_log.h. A logged report's fate is read from where the outbox keeps it: its row still
// in `outbox` (queued), a `dead_letter` row with its row id (refused), or neither (delivered:
// rows leave the outbox only on an ack, a refusal, or a key rotation whose old chain the broker
// already holds).
#include "agent/report_log.h"

#include "agent/database.h"

namespace samband::agent {

const char* reportFateName(ReportFate fate) {
  switch (fate) {
    case ReportFate::queued:
      return "queued";
    case ReportFate::delivered:
      return "delivered";
    case ReportFate::refused:
      return "refused";
  }
  return "queued";
}

void logQueuedReport(SQLite::Database& db, int64_t rowId, uint64_t seq, const std::string& kind,
                     const std::string& unit, const std::string& mode, int64_t sentAt,
                     int64_t queuedAt) {
  if (kind != "unit_status" && kind != "capacity" && kind != "continuity") return;
  SQLite::Statement ins(db,
                        "INSERT OR REPLACE INTO report_log (row_id, seq, kind, unit, mode, "
                        "sent_at, queued_at) VALUES (?,?,?,?,?,?,?)");
  ins.bind(1, rowId);
  ins.bind(2, static_cast<int64_t>(seq));
  ins.bind(3, kind);
  ins.bind(4, unit);
  ins.bind(5, mode);
  ins.bind(6, sentAt);
  ins.bind(7, queuedAt);
  ins.exec();
  SQLite::Statement trim(db,
                         "DELETE FROM report_log WHERE unit = ?1 AND row_id <= (SELECT row_id "
                         "FROM report_log WHERE unit = ?1 ORDER BY row_id DESC LIMIT 1 OFFSET ?2)");
  trim.bind(1, unit);
  trim.bind(2, kKeepLoggedReportsPerUnit);
  trim.exec();
}

void logDeliveredReports(SQLite::Database& db, uint64_t ackedSeq) {
  SQLite::Statement u(
      db,
      "UPDATE report_log SET seq = (SELECT o.seq FROM outbox o WHERE o.id = "
      "report_log.row_id), acked_at = CAST((julianday('now') - 2440587.5) * "
      "86400000 AS INTEGER) WHERE row_id IN (SELECT id FROM outbox WHERE seq <= ?)");
  u.bind(1, static_cast<int64_t>(ackedSeq));
  u.exec();
}

common::Status setReportSource(SQLite::Database& db, const std::vector<int64_t>& rowIds,
                               const std::string& source) {
  try {
    SQLite::Statement u(db, "UPDATE report_log SET source = ? WHERE row_id = ?");
    for (int64_t id : rowIds) {
      u.reset();
      u.bind(1, source);
      u.bind(2, id);
      u.exec();
    }
    return {};
  } catch (const std::exception& e) {
    return common::unavailable("cannot record who made the report in " + db.getFilename() + ": " +
                               e.what());
  }
}

common::Result<std::vector<LoggedReport>> recentReports(SQLite::Database& db,
                                                        const std::string& unit, int64_t limit) {
  std::vector<LoggedReport> out;
  try {
    SQLite::Statement q(
        db,
        "SELECT l.row_id, COALESCE(o.seq, d.seq, l.seq), l.kind, l.unit, l.mode, l.sent_at, "
        "l.queued_at, COALESCE(l.source, ''), l.acked_at, o.id IS NOT NULL, d.row_id IS NOT NULL, "
        "COALESCE(d.reason, ''), COALESCE(d.detail, ''), COALESCE(d.dead_at, 0) "
        "FROM report_log l LEFT JOIN outbox o ON o.id = l.row_id "
        "LEFT JOIN dead_letter d ON d.row_id = l.row_id "
        "WHERE l.unit = ? ORDER BY l.row_id DESC LIMIT ?");
    q.bind(1, unit);
    q.bind(2, limit);
    while (q.executeStep()) {
      LoggedReport r;
      r.rowId = q.getColumn(0).getInt64();
      r.seq = static_cast<uint64_t>(q.getColumn(1).getInt64());
      r.kind = q.getColumn(2).getString();
      r.unit = q.getColumn(3).getString();
      r.mode = q.getColumn(4).getString();
      r.sentAt = q.getColumn(5).getInt64();
      r.queuedAt = q.getColumn(6).getInt64();
      r.source = q.getColumn(7).getString();
      if (!q.getColumn(8).isNull()) r.deliveredAt = q.getColumn(8).getInt64();
      if (q.getColumn(9).getInt() != 0) {
        r.fate = ReportFate::queued;
      } else if (q.getColumn(10).getInt() != 0) {
        r.fate = ReportFate::refused;
        r.refusal = q.getColumn(11).getString();
        r.refusalDetail = q.getColumn(12).getString();
        r.refusedAt = q.getColumn(13).getInt64();
      } else {
        r.fate = ReportFate::delivered;
      }
      out.push_back(std::move(r));
    }
  } catch (const std::exception& e) {
    return common::unavailable("cannot read the reports of unit " + unit + " from " +
                               db.getFilename() + ": " + e.what() +
                               "; check that the file is readable and try again");
  }
  return out;
}

}  // namespace samband::agent
