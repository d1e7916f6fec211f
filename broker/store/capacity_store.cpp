// See capacity_store.h.
#include "broker/store/capacity_store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "broker/store/columns.h"

namespace samband::broker {

// A report's time is when the broker received it (a sender's clock orders nothing); a report
// stored without its frame (never by ingest) falls back to the time it says it was sent. Each
// table is joined to the other on its primary key (no CTE is read twice, which SQLite would
// materialise without an index).
const char* const kCapacityFiguresCte =
    "WITH figures AS ("
    "SELECT c.code AS code, c.form AS form, c.year AS year, c.enrolled AS enrolled, "
    "c.seats_now AS seats_now, c.seats_72h AS seats_72h, coalesce(f.received_at, c.sent_at) AS at, "
    "'report' AS source, '' AS file FROM capacity c LEFT JOIN frames f ON f.id = c.frame_id "
    "LEFT JOIN capacity_imports i ON :mode = 'actual' AND i.code = c.code AND i.form = c.form AND "
    "i.year = c.year WHERE c.mode = :mode AND (i.code IS NULL OR "
    "i.imported_at < coalesce(f.received_at, c.sent_at)) "
    "UNION ALL "
    "SELECT i.code, i.form, i.year, i.enrolled, i.seats_now, i.seats_72h, i.imported_at, 'import', "
    "i.source FROM capacity_imports i LEFT JOIN capacity c ON c.mode = :mode AND c.code = i.code "
    "AND c.form = i.form AND c.year = i.year LEFT JOIN frames f ON f.id = c.frame_id "
    "WHERE :mode = 'actual' AND (c.code IS NULL OR coalesce(f.received_at, c.sent_at) <= "
    "i.imported_at)) ";

common::Status CapacityStore::importFigures(const std::vector<CapacityImportRow>& rows,
                                            const std::string& source, int64_t nowMs) {
  try {
    SQLite::Transaction tx(store_.db(), SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement q(store_.db(),
                        "INSERT INTO capacity_imports(code, form, year, enrolled, seats_now, "
                        "seats_72h, imported_at, source) VALUES(?,?,?,?,?,?,?,?) "
                        "ON CONFLICT(code, form, year) DO UPDATE SET enrolled=excluded.enrolled, "
                        "seats_now=excluded.seats_now, seats_72h=excluded.seats_72h, "
                        "imported_at=excluded.imported_at, source=excluded.source");
    for (const auto& r : rows) {
      q.reset();
      q.bind(1, r.code);
      q.bind(2, r.form);
      q.bind(3, r.year);
      q.bind(4, r.enrolled);
      q.bind(5, r.seatsNow);
      q.bind(6, r.seats72h);
      q.bind(7, nowMs);
      q.bind(8, source);
      q.exec();
    }
    tx.commit();
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return {};
}

common::Result<std::vector<CapacityFigureRow>> CapacityStore::newestFigures() {
  std::vector<CapacityFigureRow> out;
  try {
    SQLite::Statement q(store_.db(),
                        std::string(kCapacityFiguresCte) +
                            "SELECT g.code, g.form, g.year, g.enrolled, g.seats_now, g.seats_72h, "
                            "g.source, g.at, g.file FROM figures g JOIN units u ON u.code = g.code "
                            "ORDER BY g.code, g.form, g.year");
    q.bind(":mode", "actual");
    while (q.executeStep()) {
      CapacityFigureRow r;
      r.code = q.getColumn(0).getString();
      r.form = q.getColumn(1).getString();
      r.year = q.getColumn(2).getInt();
      r.enrolled = q.getColumn(3).getInt();
      r.seatsNow = q.getColumn(4).getInt();
      r.seats72h = q.getColumn(5).getInt();
      r.imported = q.getColumn(6).getString() == "import";
      r.atMs = q.getColumn(7).getInt64();
      r.file = q.getColumn(8).getString();
      out.push_back(std::move(r));
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

}  // namespace samband::broker
