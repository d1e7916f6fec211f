// See planning_source.h.
#include "broker/picture/planning_source.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <sstream>

#include "broker/store/roster_store.h"
#include "common/ids.h"

namespace samband::broker {

namespace {

// "grundskola:1;grundskola:2" <-> classes
std::string encodeClasses(const std::vector<ClassKey>& classes) {
  std::string out;
  for (const auto& c : classes) {
    if (!out.empty()) out += ';';
    out += c.form + ":" + std::to_string(c.year);
  }
  return out;
}

std::vector<ClassKey> decodeClasses(const std::string& s) {
  std::vector<ClassKey> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ';')) {
    auto colon = item.find(':');
    if (colon == std::string::npos) continue;
    try {
      out.push_back({item.substr(0, colon), std::stoi(item.substr(colon + 1))});
    } catch (const std::exception&) {
      // A damaged entry is skipped; import never writes one.
    }
  }
  return out;
}

}  // namespace

common::Result<PlanningData> loadPlanningData(Store& store) {
  PlanningData d;
  try {
    auto& db = store.db();
    SQLite::Transaction tx(db);  // one consistent snapshot
    {
      SQLite::Statement q(db, "SELECT id, name FROM providers");
      while (q.executeStep())
        d.providerNames[q.getColumn(0).getString()] = q.getColumn(1).getString();
    }
    {
      SQLite::Statement q(
          db, "SELECT code, provider_id, name, district, lat, lon FROM units ORDER BY code");
      while (q.executeStep()) {
        Unit u;
        u.code = q.getColumn(0).getString();
        u.providerId = q.getColumn(1).getString();
        u.name = q.getColumn(2).isNull() ? "" : q.getColumn(2).getString();
        u.district = q.getColumn(3).isNull() ? "" : q.getColumn(3).getString();
        if (!q.getColumn(4).isNull() && !q.getColumn(5).isNull()) {
          u.position = GeoPoint{q.getColumn(4).getDouble(), q.getColumn(5).getDouble()};
        }
        d.unitsByProvider[u.providerId].push_back(u.code);
        d.unitNames[u.code] = u.name;
        d.input.units.push_back(std::move(u));
      }
    }
    {
      SQLite::Statement q(db,
                          "SELECT c.code, c.form, c.year, c.enrolled, c.seats_now, c.seats_72h "
                          "FROM capacity c JOIN units u ON u.code=c.code WHERE c.mode='actual' "
                          "ORDER BY c.code, c.form, c.year");
      while (q.executeStep()) {
        Cohort c;
        c.unitCode = q.getColumn(0).getString();
        c.key = ClassKey{q.getColumn(1).getString(), q.getColumn(2).getInt()};
        c.enrolled = q.getColumn(3).getInt();
        c.seatsNow = q.getColumn(4).getInt();
        // The wire's seats72h is what the unit can take within 72 h in all; never less than now.
        c.seatsWithin72h = std::max(c.seatsNow, q.getColumn(5).getInt());
        d.unitsWithCapacity.insert(c.unitCode);
        d.input.cohorts.push_back(std::move(c));
      }
    }
    {
      SQLite::Statement q(
          db, "SELECT code FROM unit_status WHERE mode='actual' AND operational='closed'");
      while (q.executeStep()) d.closedUnits.insert(q.getColumn(0).getString());
    }
    {
      SQLite::Statement q(db,
                          "SELECT provider_id FROM continuity WHERE mode='actual' AND "
                          "state='cannot_continue'");
      while (q.executeStep()) {
        for (const auto& code : d.unitsByProvider[q.getColumn(0).getString()]) {
          d.cannotContinueUnits.insert(code);
        }
      }
    }
    {
      SQLite::Statement q(db, "SELECT code FROM whatif_failing");
      while (q.executeStep()) d.whatIfUnits.insert(q.getColumn(0).getString());
    }
  } catch (const std::exception& e) {
    return common::unavailable(std::string("cannot read planning data: ") + e.what());
  }
  return d;
}

common::Status importRoster(Store& store, const std::vector<RosterRow>& rows, bool allowTransfer,
                            int64_t nowMs) {
  (void)nowMs;
  std::vector<UnitRosterRow> units;
  units.reserve(rows.size());
  for (const auto& row : rows) {
    UnitRosterRow u;
    u.code = row.unit.code;
    u.providerId = row.unit.providerId;
    u.name = row.unit.name;
    u.district = row.unit.district;
    if (row.unit.position) {
      u.lat = row.unit.position->lat;
      u.lon = row.unit.position->lon;
    }
    u.schoolForms = encodeClasses(row.classes);
    units.push_back(std::move(u));
  }
  return RosterStore(store).importUnits(units, allowTransfer);
}

common::Result<std::vector<RosterRow>> exportRoster(Store& store) {
  auto units = RosterStore(store).exportUnits();
  if (!units) return units.error();
  std::vector<RosterRow> out;
  for (auto& u : *units) {
    RosterRow r;
    r.unit.code = u.code;
    r.unit.providerId = u.providerId;
    r.unit.name = u.name;
    // Units enrolled before any roster import have no name; the CSV requires one.
    if (r.unit.name.empty()) r.unit.name = "Enhet " + r.unit.code;
    r.unit.district = u.district;
    if (u.lat && u.lon) r.unit.position = GeoPoint{*u.lat, *u.lon};
    if (!u.schoolForms.empty()) r.classes = decodeClasses(u.schoolForms);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace samband::broker
