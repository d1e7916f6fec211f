// See planning_data.h.
#include "broker/planning_data.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <cmath>
#include <iomanip>
#include <sstream>

#include "common/ids.h"

namespace samband::broker {

using nlohmann::json;

namespace {

std::string km(double v) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(1) << v;
  return o.str();
}

std::string unitLabel(const PlanningData& d, const std::string& code) {
  auto it = d.unitNames.find(code);
  return it == d.unitNames.end() || it->second.empty() ? code : code + " " + it->second;
}

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

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

common::Result<std::set<std::string>> resolveFailing(const PlanningData& data,
                                                     const std::vector<std::string>& args) {
  std::set<std::string> out;
  for (const auto& a : args) {
    if (common::isProviderId(a)) {
      auto it = data.unitsByProvider.find(a);
      if (it == data.unitsByProvider.end()) {
        return common::invalidInput("--failing " + a +
                                    ": no units of that provider in the roster; check the "
                                    "organisation number with 'samband-broker status'");
      }
      out.insert(it->second.begin(), it->second.end());
    } else if (common::isUnitCode(a)) {
      if (data.unitNames.count(a) == 0) {
        return common::invalidInput("--failing " + a + ": no such unit in the roster");
      }
      out.insert(a);
    } else {
      return common::invalidInput("--failing " + a +
                                  ": give an organisation number NNNNNN-NNNN or an 8-digit unit "
                                  "code");
    }
  }
  return out;
}

std::set<std::string> failingUnits(const PlanningData& data, const std::set<std::string>& named,
                                   bool includeWhatIf) {
  std::set<std::string> out = named;
  out.insert(data.closedUnits.begin(), data.closedUnits.end());
  out.insert(data.cannotContinueUnits.begin(), data.cannotContinueUnits.end());
  if (includeWhatIf) out.insert(data.whatIfUnits.begin(), data.whatIfUnits.end());
  return out;
}

json planToJson(const Plan& plan, const PlanningData& data, const std::set<std::string>& failing,
                const PlanOptions& options) {
  json j;
  j["options"] = {{"max_km", options.maxKm},
                  {"horizon", options.horizon == Horizon::kNow ? "now" : "72h"}};
  json f = json::array();
  for (const auto& code : failing) {
    f.push_back({{"code", code},
                 {"name", data.unitNames.count(code) ? data.unitNames.at(code) : ""},
                 {"has_capacity_report", data.unitsWithCapacity.count(code) > 0},
                 {"closed", data.closedUnits.count(code) > 0},
                 {"provider_cannot_continue", data.cannotContinueUnits.count(code) > 0},
                 {"what_if", data.whatIfUnits.count(code) > 0}});
  }
  j["failing_units"] = f;
  json p = json::array();
  for (const auto& x : plan.placements) {
    p.push_back({{"from_unit", x.fromUnit},
                 {"form", x.form},
                 {"year", x.year},
                 {"to_unit", x.toUnit},
                 {"to_name", data.unitNames.count(x.toUnit) ? data.unitNames.at(x.toUnit) : ""},
                 {"pupils", x.pupils},
                 {"km", x.km}});
  }
  j["placements"] = p;
  json u = json::array();
  for (const auto& x : plan.unplaced) {
    u.push_back({{"from_unit", x.fromUnit},
                 {"form", x.form},
                 {"year", x.year},
                 {"pupils", x.pupils},
                 {"reason", x.reason}});
  }
  j["unplaced"] = u;
  j["totals"] = {{"pupils_to_place", plan.totals.pupilsToPlace},
                 {"placed", plan.totals.placed},
                 {"unplaced", plan.totals.unplaced},
                 {"pupil_km", plan.totals.pupilKm}};
  return j;
}

std::string planToText(const Plan& plan, const PlanningData& data,
                       const std::set<std::string>& failing) {
  std::ostringstream out;
  out << "Takeover plan for " << failing.size() << " failing unit(s)\n";
  for (const auto& code : failing) {
    out << "  " << unitLabel(data, code);
    if (data.unitsWithCapacity.count(code) == 0) out << "  (no capacity report: pupils unknown)";
    out << "\n";
  }
  std::string last;
  for (const auto& p : plan.placements) {
    std::string head = p.fromUnit + " " + p.form + " " + std::to_string(p.year);
    if (head != last) {
      out << "\n" << unitLabel(data, p.fromUnit) << ", " << p.form << " year " << p.year << ":\n";
      last = head;
    }
    out << "  " << std::setw(4) << p.pupils << " pupils -> " << unitLabel(data, p.toUnit) << " ("
        << km(p.km) << " km)\n";
  }
  if (!plan.unplaced.empty()) {
    out << "\nCannot be placed:\n";
    for (const auto& u : plan.unplaced) {
      out << "  " << std::setw(4) << u.pupils << " pupils of " << unitLabel(data, u.fromUnit)
          << ", " << u.form << " year " << u.year << ": " << u.reason << "\n";
    }
  }
  out << "\nTotal: " << plan.totals.pupilsToPlace << " to place, " << plan.totals.placed
      << " placed, " << plan.totals.unplaced << " unplaced, " << km(plan.totals.pupilKm)
      << " pupil-km\n";
  return out.str();
}

std::string planToCsv(const Plan& plan) {
  std::ostringstream out;
  out << "from_unit,form,year,to_unit,pupils,km,unplaced_reason\n";
  for (const auto& p : plan.placements) {
    out << p.fromUnit << "," << p.form << "," << p.year << "," << p.toUnit << "," << p.pupils << ","
        << km(p.km) << ",\n";
  }
  for (const auto& u : plan.unplaced) {
    out << u.fromUnit << "," << u.form << "," << u.year << ",," << u.pupils << ",,"
        << csvField(u.reason) << "\n";
  }
  return out.str();
}

json contingencyToJson(const std::vector<ContingencyRow>& rows, const PlanningData& data,
                       const PlanOptions& options) {
  json j;
  j["options"] = {{"max_km", options.maxKm},
                  {"horizon", options.horizon == Horizon::kNow ? "now" : "72h"}};
  json r = json::array();
  int rank = 0;
  for (const auto& row : rows) {
    json x = {{"rank", ++rank},
              {"scope", scopeName(row.scope)},
              {"id", row.id},
              {"pupils_affected", row.pupilsAffected},
              {"placed", row.placed},
              {"unplaced", row.unplaced},
              {"pupil_km", row.pupilKm},
              {"missing_seats_by_form", row.missingSeatsByForm}};
    if (row.scope == ContingencyScope::kProvider && data.providerNames.count(row.id)) {
      x["name"] = data.providerNames.at(row.id);
    }
    r.push_back(std::move(x));
  }
  j["rows"] = r;
  return j;
}

std::string contingencyToText(const std::vector<ContingencyRow>& rows, const PlanningData& data) {
  std::ostringstream out;
  out << "Contingency (N-1): each provider failing alone, and each district failing at once,\n"
         "ranked by pupils that could not be placed.\n\n";
  out << "rank  scope     id            affected  placed  unplaced  missing seats by form\n";
  int rank = 0;
  for (const auto& row : rows) {
    out << std::setw(4) << ++rank << "  " << std::left << std::setw(9) << scopeName(row.scope)
        << " " << std::setw(13) << row.id << std::right << std::setw(9) << row.pupilsAffected
        << std::setw(8) << row.placed << std::setw(10) << row.unplaced << "  ";
    bool first = true;
    for (const auto& [form, n] : row.missingSeatsByForm) {
      out << (first ? "" : ", ") << form << " " << n;
      first = false;
    }
    if (row.scope == ContingencyScope::kProvider && data.providerNames.count(row.id)) {
      out << (first ? "" : "  ") << "(" << data.providerNames.at(row.id) << ")";
    }
    out << "\n";
  }
  return out.str();
}

std::string contingencyToCsv(const std::vector<ContingencyRow>& rows) {
  std::ostringstream out;
  out << "rank,scope,id,pupils_affected,placed,unplaced,pupil_km,missing_seats_by_form\n";
  int rank = 0;
  for (const auto& row : rows) {
    std::string missing;
    for (const auto& [form, n] : row.missingSeatsByForm) {
      missing += (missing.empty() ? "" : ";") + form + ":" + std::to_string(n);
    }
    out << ++rank << "," << scopeName(row.scope) << "," << csvField(row.id) << ","
        << row.pupilsAffected << "," << row.placed << "," << row.unplaced << "," << km(row.pupilKm)
        << "," << missing << "\n";
  }
  return out.str();
}

common::Status importRoster(Store& store, const std::vector<RosterRow>& rows, bool allowTransfer,
                            int64_t nowMs) {
  auto& db = store.db();
  try {
    SQLite::Transaction tx(db);
    std::vector<std::string> conflicts;
    for (const auto& row : rows) {
      SQLite::Statement owner(db, "SELECT provider_id FROM units WHERE code=?");
      owner.bind(1, row.unit.code);
      if (owner.executeStep() && owner.getColumn(0).getString() != row.unit.providerId &&
          !allowTransfer) {
        conflicts.push_back("unit " + row.unit.code + " belongs to " +
                            owner.getColumn(0).getString() + ", the file says " +
                            row.unit.providerId);
      }
    }
    if (!conflicts.empty()) {
      std::string msg = "nothing imported: ";
      for (size_t i = 0; i < conflicts.size() && i < 20; ++i) msg += (i ? "; " : "") + conflicts[i];
      msg += ". Fix the file, or pass --transfer to move these units";
      return common::invalidInput(msg);
    }
    SQLite::Statement provider(db,
                               "INSERT OR IGNORE INTO providers(id, name, enrolled_at) "
                               "VALUES(?, ?, 0)");
    SQLite::Statement unit(db,
                           "INSERT INTO units(code, provider_id, name, district, lat, lon, "
                           "school_forms) VALUES(?,?,?,?,?,?,?) ON CONFLICT(code) DO UPDATE SET "
                           "provider_id=excluded.provider_id, name=excluded.name, "
                           "district=excluded.district, lat=excluded.lat, lon=excluded.lon, "
                           "school_forms=excluded.school_forms");
    for (const auto& row : rows) {
      provider.reset();
      provider.bind(1, row.unit.providerId);
      provider.bind(2, row.unit.providerId + " (not enrolled)");
      provider.exec();
      unit.reset();
      unit.bind(1, row.unit.code);
      unit.bind(2, row.unit.providerId);
      unit.bind(3, row.unit.name);
      unit.bind(4, row.unit.district);
      if (row.unit.position) {
        unit.bind(5, row.unit.position->lat);
        unit.bind(6, row.unit.position->lon);
      } else {
        unit.bind(5);
        unit.bind(6);
      }
      unit.bind(7, encodeClasses(row.classes));
      unit.exec();
    }
    (void)nowMs;
    tx.commit();
  } catch (const std::exception& e) {
    return common::unavailable(std::string("roster not imported: ") + e.what());
  }
  return {};
}

std::vector<RosterRow> exportRoster(Store& store) {
  std::vector<RosterRow> out;
  SQLite::Statement q(store.db(),
                      "SELECT code, provider_id, name, district, lat, lon, school_forms FROM "
                      "units ORDER BY code");
  while (q.executeStep()) {
    RosterRow r;
    r.unit.code = q.getColumn(0).getString();
    r.unit.providerId = q.getColumn(1).getString();
    r.unit.name = q.getColumn(2).isNull() ? "" : q.getColumn(2).getString();
    // Units enrolled before any roster import have no name; the CSV requires one.
    if (r.unit.name.empty()) r.unit.name = "Enhet " + r.unit.code;
    r.unit.district = q.getColumn(3).isNull() ? "" : q.getColumn(3).getString();
    if (!q.getColumn(4).isNull() && !q.getColumn(5).isNull()) {
      r.unit.position = GeoPoint{q.getColumn(4).getDouble(), q.getColumn(5).getDouble()};
    }
    if (!q.getColumn(6).isNull()) r.classes = decodeClasses(q.getColumn(6).getString());
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace samband::broker
