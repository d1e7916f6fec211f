// See planning_source.h.
#include "broker/picture/planning_source.h"

#include <algorithm>
#include <sstream>

#include "broker/picture/view.h"
#include "broker/store/planning_store.h"
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

common::Result<PlanningData> loadPlanningData(Store& store, int64_t nowMs,
                                              const std::vector<common::HolidayRange>& holidays) {
  auto age = reportAgeRule(store, holidays);
  if (!age) return common::unavailable("cannot read planning data: " + age.error().message);
  auto rows = PlanningStore(store).read();
  if (!rows) return common::unavailable("cannot read planning data: " + rows.error().message);
  PlanningData d;
  d.nowMs = nowMs;
  d.today = common::localDateOf(nowMs);
  for (const auto& [id, name] : rows->providers) d.providerNames[id] = name;
  for (const auto& [id, contact] : rows->dutyContacts) d.dutyContacts[id] = contact;
  for (const auto& row : rows->units) {
    Unit u;
    u.code = row.code;
    u.providerId = row.providerId;
    u.name = row.name;
    u.district = row.district;
    if (row.lat && row.lon) u.position = GeoPoint{*row.lat, *row.lon};
    d.unitsByProvider[u.providerId].push_back(u.code);
    d.unitNames[u.code] = u.name;
    d.unitProviders[u.code] = u.providerId;
    d.input.units.push_back(std::move(u));
  }
  for (const auto& row : rows->capacity) {
    Cohort c;
    c.unitCode = row.code;
    c.key = ClassKey{row.form, row.year};
    c.enrolled = row.enrolled;
    c.seatsNow = row.seatsNow;
    // The wire's seats72h is what the unit can take within 72 h in all; never less than now.
    c.seatsWithin72h = std::max(c.seatsNow, row.seats72h);
    d.unitsWithCapacity.insert(c.unitCode);
    d.figureOrigins[{row.code, row.form, row.year}] = FigureOrigin{row.imported, row.atMs};
    d.input.cohorts.push_back(std::move(c));
  }
  for (const auto& row : rows->statuses) {
    UnitSituation s;
    s.operational = row.operational;
    s.reportAgeMs = age->ageMs(row.sentAt, nowMs);
    s.pupilsEnrolledReported = row.pupilsEnrolled;
    if (!row.closedUntil.empty()) {
      // The gate admits only real dates; anything else reads as not given.
      if (auto day = common::parseCivilDate(row.closedUntil, "closed_until")) s.closedUntil = *day;
    }
    if (s.operational == "closed") d.closedUnits.insert(row.code);
    d.situations[row.code] = std::move(s);
  }
  for (const auto& provider : rows->cannotContinueProviders) {
    for (const auto& code : d.unitsByProvider[provider]) d.cannotContinueUnits.insert(code);
  }
  d.whatIfUnits.insert(rows->whatIfUnits.begin(), rows->whatIfUnits.end());
  return d;
}

common::Status importRoster(Store& store, const std::vector<RosterRow>& rows, bool allowTransfer,
                            int64_t nowMs, const RosterStore::TransferHook& alsoInTransaction,
                            const RosterStore::InfoHook& infoInTransaction) {
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
  return RosterStore(store).importUnits(units, allowTransfer, alsoInTransaction, nowMs,
                                        infoInTransaction);
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
