// See seats_store.h.
#include "broker/store/seats_store.h"

#include "broker/store/capacity_store.h"
#include "broker/store/columns.h"

namespace samband::broker {

common::Result<std::vector<UnitSeatsRow>> SeatsStore::unitSeats(const std::string& mode) {
  std::vector<UnitSeatsRow> out;
  try {
    // The newest figure of each unit, form and year: its own report, or the city's import.
    SQLite::Statement q(
        store_.db(),
        std::string(kCapacityFiguresCte) +
            "SELECT c.code, u.name, u.district, coalesce(u.provider_id, ''), coalesce(p.name, ''), "
            "c.form, c.year, c.enrolled, c.seats_now, c.seats_72h, c.at, "
            "coalesce(s.operational, 'unknown'), c.source FROM figures c "
            "LEFT JOIN units u ON u.code=c.code LEFT JOIN providers p ON p.id=u.provider_id "
            "LEFT JOIN unit_status s ON s.mode=:mode AND s.code=c.code "
            "ORDER BY c.code, c.form, c.year");
    q.bind(":mode", mode);
    while (q.executeStep()) {
      UnitSeatsRow r;
      r.code = q.getColumn(0).getString();
      r.name = columns::optionalText(q.getColumn(1));
      r.district = columns::optionalText(q.getColumn(2));
      r.providerId = q.getColumn(3).getString();
      r.providerName = q.getColumn(4).getString();
      r.form = q.getColumn(5).getString();
      r.year = q.getColumn(6).getInt();
      r.enrolled = q.getColumn(7).getInt64();
      r.seatsNow = q.getColumn(8).getInt64();
      r.seats72h = q.getColumn(9).getInt64();
      r.sentAt = q.getColumn(10).getInt64();
      r.operational = q.getColumn(11).getString();
      r.source = q.getColumn(12).getString();
      out.push_back(std::move(r));
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

}  // namespace samband::broker
