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
      auto figures = CapacityStore(store_).newestFigures();
      if (!figures) return figures.error();
      d.capacity = std::move(figures).value();
    }
    {
      SQLite::Statement q(db,
                          "SELECT s.code, s.operational, s.sent_at, s.closed_until, "
                          "s.pupils_enrolled FROM unit_status s JOIN units u ON u.code=s.code "
                          "WHERE s.mode='actual' ORDER BY s.code");
      while (q.executeStep()) {
        d.statuses.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                              q.getColumn(2).getInt64(), q.getColumn(3).getString(),
                              q.getColumn(4).getInt()});
      }
    }
    {
      SQLite::Statement q(db,
                          "SELECT id, duty_contact FROM providers WHERE duty_contact IS NOT NULL "
                          "AND duty_contact != ''");
      while (q.executeStep())
        d.dutyContacts.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
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
