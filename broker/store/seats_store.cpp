// See seats_store.h.
#include "broker/store/seats_store.h"

#include "broker/store/columns.h"

namespace samband::broker {

common::Result<std::vector<UnitSeatsRow>> SeatsStore::unitSeats(const std::string& mode) {
  std::vector<UnitSeatsRow> out;
  try {
    SQLite::Statement q(
        store_.db(),
        "SELECT c.code, u.name, u.district, coalesce(u.provider_id, ''), coalesce(p.name, ''), "
        "c.form, c.year, c.enrolled, c.seats_now, c.seats_72h, c.sent_at, "
        "coalesce(s.operational, 'unknown') FROM capacity c "
        "LEFT JOIN units u ON u.code=c.code LEFT JOIN providers p ON p.id=u.provider_id "
        "LEFT JOIN unit_status s ON s.mode=c.mode AND s.code=c.code "
        "WHERE c.mode=? ORDER BY c.code, c.form, c.year");
    q.bind(1, mode);
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
      out.push_back(std::move(r));
    }
  } catch (const std::exception& e) {
    return columns::failure(e);
  }
  return out;
}

}  // namespace samband::broker
