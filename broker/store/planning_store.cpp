// See planning_store.h.
#include "broker/store/planning_store.h"

#include "broker/store/columns.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

namespace samband::broker {

common::Result<PlanningRows> PlanningStore::read() {
  PlanningRows d;
  try {
    auto& db = store_.db();
    SQLite::Transaction tx(db);  // one consistent snapshot
    {
      SQLite::Statement q(db, "SELECT id, name FROM providers");
      while (q.executeStep())
        d.providers.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
    }
    {
      SQLite::Statement q(
          db, "SELECT code, provider_id, name, district, lat, lon FROM units ORDER BY code");
      while (q.executeStep()) {
        PlanningUnitRow u;
        u.code = q.getColumn(0).getString();
        u.providerId = q.getColumn(1).getString();
        u.name = columns::optionalText(q.getColumn(2)).value_or("");
        u.district = columns::optionalText(q.getColumn(3)).value_or("");
        if (!q.getColumn(4).isNull() && !q.getColumn(5).isNull()) {
          u.lat = q.getColumn(4).getDouble();
          u.lon = q.getColumn(5).getDouble();
        }
        d.units.push_back(std::move(u));
      }
    }
    {
      SQLite::Statement q(db,
                          "SELECT c.code, c.form, c.year, c.enrolled, c.seats_now, c.seats_72h "
                          "FROM capacity c JOIN units u ON u.code=c.code WHERE c.mode='actual' "
                          "ORDER BY c.code, c.form, c.year");
      while (q.executeStep()) {
        d.capacity.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                              q.getColumn(2).getInt(), q.getColumn(3).getInt(),
                              q.getColumn(4).getInt(), q.getColumn(5).getInt()});
      }
    }
    {
      SQLite::Statement q(
          db, "SELECT code FROM unit_status WHERE mode='actual' AND operational='closed'");
      while (q.executeStep()) d.closedUnits.push_back(q.getColumn(0).getString());
    }
    {
      SQLite::Statement q(db,
                          "SELECT provider_id FROM continuity WHERE mode='actual' AND "
                          "state='cannot_continue'");
      while (q.executeStep()) d.cannotContinueProviders.push_back(q.getColumn(0).getString());
    }
    {
      SQLite::Statement q(db, "SELECT code FROM whatif_failing");
      while (q.executeStep()) d.whatIfUnits.push_back(q.getColumn(0).getString());
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return d;
}

}  // namespace samband::broker
