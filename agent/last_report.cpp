// The last_report table: written with each queued unit status or capacity, read by `report` and
// `last`.
#include "agent/last_report.h"

#include "agent/database.h"
#include "common/codec.h"

namespace samband::agent {

void recordLastReport(SQLite::Database& db, const std::string& unit, const std::string& kind,
                      const std::string& mode, int64_t sentAt, int64_t queuedAt,
                      const common::Bytes& body) {
  if (kind != "unit_status" && kind != "capacity") return;
  SQLite::Statement u(db,
                      "INSERT INTO last_report (unit, kind, mode, sent_at, queued_at, body) "
                      "VALUES (?,?,?,?,?,?) ON CONFLICT (unit, kind, mode) DO UPDATE SET "
                      "sent_at = excluded.sent_at, queued_at = excluded.queued_at, "
                      "body = excluded.body");
  u.bind(1, unit);
  u.bind(2, kind);
  u.bind(3, mode);
  u.bind(4, sentAt);
  u.bind(5, queuedAt);
  bindBlob(u, 6, body);
  u.exec();
}

common::Result<LastReport> readLastReport(SQLite::Database& db, const std::string& unit,
                                          const std::string& mode) {
  LastReport last;
  try {
    SQLite::Statement q(db,
                        "SELECT kind, sent_at, body FROM last_report WHERE unit = ? AND mode = ?");
    q.bind(1, unit);
    q.bind(2, mode);
    while (q.executeStep()) {
      const std::string kind = q.getColumn(0).getString();
      auto message = common::decodeBody(columnBytes(q.getColumn(2)));
      if (!message) {
        return common::internalError("the last " + kind + " kept for unit " + unit + " in " +
                                     db.getFilename() +
                                     " does not decode: " + message.error().message);
      }
      if (auto* s = std::get_if<common::UnitStatusMsg>(&message->payload)) {
        last.status = *s;
        last.statusSentAt = q.getColumn(1).getInt64();
      } else if (auto* c = std::get_if<common::CapacityMsg>(&message->payload)) {
        last.capacity = *c;
        last.capacitySentAt = q.getColumn(1).getInt64();
      }
    }
  } catch (const std::exception& e) {
    return common::unavailable("cannot read the last report of unit " + unit + " from " +
                               db.getFilename() + ": " + e.what());
  }
  return last;
}

}  // namespace samband::agent
