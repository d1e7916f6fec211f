// See planning_data.h.
#include "broker/planning/planning_data.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "common/csv.h"
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

}  // namespace

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
        << common::csvField(u.reason) << "\n";
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
    out << ++rank << "," << scopeName(row.scope) << "," << common::csvField(row.id) << ","
        << row.pupilsAffected << "," << row.placed << "," << row.unplaced << "," << km(row.pupilKm)
        << "," << missing << "\n";
  }
  return out.str();
}

}  // namespace samband::broker
