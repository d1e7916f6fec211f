// See planning_data.h. The renderers share one reading of a plan (PlanReading): the sending year
// groups with their destinations and the receiving units with their classes, so the text, the
// CSV, the JSON and the board say the same thing.
#include "broker/planning/planning_data.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "broker/planning/geo_index.h"
#include "common/clock.h"
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

template <typename M>
std::string valueOr(const M& map, const std::string& key, const std::string& fallback = "") {
  auto it = map.find(key);
  return it == map.end() ? fallback : it->second;
}

std::string unitLabel(const PlanningData& d, const std::string& code) {
  const std::string name = valueOr(d.unitNames, code);
  return name.empty() ? code : code + " " + name;
}

std::string providerOf(const PlanningData& d, const std::string& unit) {
  return valueOr(d.unitProviders, unit);
}

json textOrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json dateOrNull(const std::optional<common::CivilDate>& d) {
  return d ? json(common::formatCivilDate(*d)) : json(nullptr);
}

// "40 min", "5 h", "3 d": how old a figure is, coarse on purpose.
std::string ageText(int64_t ms) {
  const int64_t minutes = std::max<int64_t>(0, ms) / 60'000;
  if (minutes < 60) return std::to_string(minutes) + " min";
  if (minutes < 48 * 60) return std::to_string(minutes / 60) + " h";
  return std::to_string(minutes / (24 * 60)) + " d";
}

// "grundskola year 4"; "forskola" for a form without years (year 0), as the planner's reasons
// say it.
std::string classText(const std::string& form, int year) {
  return year > 0 ? form + " year " + std::to_string(year) : form;
}

const char* pupilWord(int n) { return n == 1 ? " pupil" : " pupils"; }
std::string pupilsText(int n) { return std::to_string(n) + pupilWord(n); }

// Characters (UTF-8 code points) of `s`, and `s` padded with spaces to `width` of them, so that
// "Hägersten-Älvsjö" lines up like "Norrmalm" (a longer `s` gets one space).
size_t textWidth(const std::string& s) {
  size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return chars;
}

std::string padded(const std::string& s, size_t width) {
  const size_t chars = textWidth(s);
  return s + std::string(chars < width ? width - chars : 1, ' ');
}

const char* horizonName(Horizon h) { return h == Horizon::kNow ? "now" : "72h"; }

// A class's figure as a unit stated it, with where it came from.
struct Figure {
  int enrolled = 0;
  int seats = 0;  // free seats at the plan's horizon
  bool known = false;
  FigureOrigin origin;
};

struct Destination {
  std::string toUnit;
  int pupils = 0;
  double km = 0.0;
};

// One sending year group: a failing unit's class.
struct Group {
  std::string fromUnit, form;
  int year = 0;
  Figure figure;
  std::vector<Destination> destinations;
  int placed = 0;
  int unplaced = 0;
  bool split() const { return destinations.size() > 1; }
};

struct Arrival {
  std::string fromUnit;
  int pupils = 0;
  double km = 0.0;
};

// One class of a receiving unit.
struct ReceivingClass {
  std::string form;
  int year = 0;
  Figure figure;
  int pupilsIn = 0;
  std::vector<Arrival> from;
};

struct Receiver {
  std::string code;
  std::vector<ReceivingClass> classes;  // by form, year
  int pupilsIn() const {
    int n = 0;
    for (const auto& c : classes) n += c.pupilsIn;
    return n;
  }
  int seatsBefore() const {
    int n = 0;
    for (const auto& c : classes) n += c.figure.seats;
    return n;
  }
};

// What a plan means per sending group and per receiving unit.
struct PlanReading {
  std::vector<Group> groups;        // by unit, form, year
  std::vector<Receiver> receivers;  // by code
};

Figure figureOf(const PlanningData& d, const std::map<FigureKey, const Cohort*>& cohorts,
                const std::string& unit, const std::string& form, int year,
                const PlanOptions& options) {
  Figure f;
  auto it = cohorts.find({unit, form, year});
  if (it == cohorts.end()) return f;
  f.known = true;
  f.enrolled = it->second->enrolled;
  f.seats = options.horizon == Horizon::kNow ? it->second->seatsNow : it->second->seatsWithin72h;
  auto o = d.figureOrigins.find({unit, form, year});
  if (o != d.figureOrigins.end()) f.origin = o->second;
  return f;
}

PlanReading readPlan(const Plan& plan, const PlanningData& d, const PlanSelection& selection,
                     const PlanOptions& options) {
  std::map<FigureKey, const Cohort*> cohorts;
  for (const auto& c : d.input.cohorts) cohorts[{c.unitCode, c.key.form, c.key.year}] = &c;

  std::map<FigureKey, Group> groups;
  const std::set<std::string> failing = selection.failingCodes();
  for (const auto& c : d.input.cohorts) {
    if (failing.count(c.unitCode) == 0 || c.enrolled <= 0) continue;
    Group& g = groups[{c.unitCode, c.key.form, c.key.year}];
    g.fromUnit = c.unitCode;
    g.form = c.key.form;
    g.year = c.key.year;
    g.figure = figureOf(d, cohorts, c.unitCode, c.key.form, c.key.year, options);
  }
  std::map<std::string, std::map<std::pair<std::string, int>, ReceivingClass>> receivers;
  for (const auto& p : plan.placements) {
    Group& g = groups[{p.fromUnit, p.form, p.year}];
    if (g.fromUnit.empty()) {  // the solver placed a class the input does not list: show it
      g.fromUnit = p.fromUnit;
      g.form = p.form;
      g.year = p.year;
    }
    g.destinations.push_back({p.toUnit, p.pupils, p.km});
    g.placed += p.pupils;
    ReceivingClass& r = receivers[p.toUnit][{p.form, p.year}];
    if (r.form.empty()) {
      r.form = p.form;
      r.year = p.year;
      r.figure = figureOf(d, cohorts, p.toUnit, p.form, p.year, options);
    }
    r.pupilsIn += p.pupils;
    r.from.push_back({p.fromUnit, p.pupils, p.km});
  }
  for (const auto& u : plan.unplaced) {
    Group& g = groups[{u.fromUnit, u.form, u.year}];
    if (g.fromUnit.empty()) {
      g.fromUnit = u.fromUnit;
      g.form = u.form;
      g.year = u.year;
    }
    g.unplaced += u.pupils;
  }
  PlanReading out;
  for (auto& [key, g] : groups) {
    std::sort(g.destinations.begin(), g.destinations.end(),
              [](const Destination& a, const Destination& b) {
                return a.pupils != b.pupils ? a.pupils > b.pupils : a.toUnit < b.toUnit;
              });
    out.groups.push_back(std::move(g));
  }
  for (auto& [code, classes] : receivers) {
    Receiver r;
    r.code = code;
    for (auto& [key, c] : classes) r.classes.push_back(std::move(c));
    out.receivers.push_back(std::move(r));
  }
  return out;
}

// The share of free seats still free after the plan, or null when there were none.
json headroomLeft(int seatsBefore, int pupilsIn) {
  if (seatsBefore <= 0) return nullptr;
  const double share = static_cast<double>(seatsBefore - pupilsIn) / seatsBefore;
  return std::round(share * 1000.0) / 1000.0;
}

std::string percent(int seatsBefore, int pupilsIn) {
  if (seatsBefore <= 0) return "-";
  return std::to_string(
             static_cast<int>(std::floor(100.0 * (seatsBefore - pupilsIn) / seatsBefore + 1e-9))) +
         "%";
}

void addFigure(json& j, const PlanningData& d, const Figure& f) {
  j["source"] = f.known ? json(f.origin.imported ? "import" : "report") : json(nullptr);
  j["as_of"] =
      f.known && f.origin.atMs > 0 ? json(common::formatRfc3339(f.origin.atMs)) : json(nullptr);
  j["age_s"] = f.known && f.origin.atMs > 0
                   ? json(std::max<int64_t>(0, d.nowMs - f.origin.atMs) / 1000)
                   : json(nullptr);
}

std::string figureText(const PlanningData& d, const Figure& f) {
  if (!f.known) return "no figure";
  std::string out = f.origin.imported ? "import" : "report";
  if (f.origin.atMs > 0) out += ", " + ageText(d.nowMs - f.origin.atMs) + " old";
  return out;
}

std::string contactText(const PlanningData& d, const std::string& provider) {
  const std::string name = valueOr(d.providerNames, provider, provider);
  const std::string contact = valueOr(d.dutyContacts, provider);
  return name + (contact.empty() ? "; no duty contact on file" : "; duty contact: " + contact);
}

// Why a failing unit fails, as words for the text output.
std::string whyText(const FailingUnit& f, const PlanningData& d) {
  std::vector<std::string> why;
  if (f.named) why.push_back("named with --failing");
  if (f.whatIf) why.push_back("marked failing on the board (what-if)");
  if (f.cannotContinue) why.push_back("its provider cannot continue");
  auto s = d.situations.find(f.code);
  const std::string until = s != d.situations.end() && s->second.closedUntil
                                ? " until " + common::formatCivilDate(*s->second.closedUntil)
                                : "";
  if (f.closedBeyondHorizon) why.push_back("closed" + until);
  if (f.closedIncluded) why.push_back("closed" + until + " (--include-closed)");
  std::string out;
  for (const auto& w : why) out += (out.empty() ? "" : "; ") + w;
  return out;
}

json unplacedCode(UnplacedCode code) { return unplacedCodeName(code); }

// "closed, no closed_until given" or "closed until 2026-12-08 (within the horizon)".
std::string closedNotPlannedReason(const ClosedNotPlanned& c) {
  if (!c.closedUntil) return "closed, no closed_until given";
  return "closed until " + common::formatCivilDate(*c.closedUntil) + " (within the horizon)";
}

const char* notReceivingWords(const std::string& why) {
  if (why == "reduced") return "on reduced operation";
  if (why == "remote") return "teaching remotely";
  if (why == "closed") return "closed";
  if (why == "relocated") return "relocated";
  if (why == "unknown") return "state unknown";
  if (why == "no_report") return "no status report";
  if (why == "old_report") return "report older than the horizon";
  return "not receiving";
}

json optionsJson(const PlanOptions& options, const PlanSelection& s) {
  return {{"max_km", options.maxKm},
          {"horizon", horizonName(options.horizon)},
          {"fill", options.fill},
          {"include_reduced", s.rules.includeReduced},
          {"include_closed", s.rules.includeClosed},
          {"horizon_days", s.rules.horizonDays},
          {"horizon_end", common::formatCivilDate(s.horizonEnd)}};
}

std::map<std::string, int> notReceivingCounts(const PlanSelection& s) {
  std::map<std::string, int> out;
  for (const auto& [code, why] : s.notReceiving) out[why]++;
  return out;
}

}  // namespace

std::set<std::string> PlanSelection::failingCodes() const {
  std::set<std::string> out;
  for (const auto& f : failing) out.insert(f.code);
  return out;
}

PlanScope PlanSelection::scope() const {
  PlanScope s;
  for (const auto& f : failing) s.failing.push_back(f.code);
  for (const auto& [code, why] : notReceiving) s.notReceiving.push_back(code);
  return s;
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

PlanSelection selectUnits(const PlanningData& data, const std::set<std::string>& named,
                          const ScopeRules& rules) {
  PlanSelection s;
  s.rules = rules;
  s.horizonEnd = common::civilFromDays(common::daysFromCivil(data.today) + rules.horizonDays);
  const int64_t horizonMs = static_cast<int64_t>(rules.horizonDays) * 86'400'000;
  for (const auto& unit : data.input.units) {
    const std::string& code = unit.code;
    FailingUnit f;
    f.code = code;
    f.named = named.count(code) > 0;
    f.whatIf = rules.includeWhatIf && data.whatIfUnits.count(code) > 0;
    f.cannotContinue = data.cannotContinueUnits.count(code) > 0;
    auto st = data.situations.find(code);
    const bool closed = st != data.situations.end() && st->second.operational == "closed";
    if (closed) {
      const auto& until = st->second.closedUntil;
      if (until && s.horizonEnd < *until) {
        f.closedBeyondHorizon = true;
      } else if (rules.includeClosed) {
        f.closedIncluded = true;
      }
    }
    const bool fails =
        f.named || f.whatIf || f.cannotContinue || f.closedBeyondHorizon || f.closedIncluded;
    if (fails) {
      f.unknownEnrolment = data.unitsWithCapacity.count(code) == 0;
      s.failing.push_back(std::move(f));
      continue;
    }
    if (closed) s.closedNotPlanned.push_back({code, st->second.closedUntil});
    if (st == data.situations.end()) {
      s.notReceiving[code] = "no_report";
    } else if (st->second.operational != "normal" &&
               !(rules.includeReduced && st->second.operational == "reduced")) {
      s.notReceiving[code] = st->second.operational;
    } else if (st->second.reportAgeMs > horizonMs) {
      s.notReceiving[code] = "old_report";
    }
  }
  return s;
}

std::vector<ExcludedReceiver> excludedReceivers(const PlanningData& data,
                                                const PlanSelection& selection,
                                                const PlanOptions& options) {
  std::map<std::string, const Unit*> units;
  for (const auto& u : data.input.units) units[u.code] = &u;
  const std::set<std::string> failing = selection.failingCodes();
  // The classes failing units have pupils in, and where those units are (when known).
  std::map<ClassKey, std::vector<GeoPoint>> needs;
  for (const auto& c : data.input.cohorts) {
    if (c.enrolled <= 0 || failing.count(c.unitCode) == 0) continue;
    auto& at = needs[c.key];
    auto u = units.find(c.unitCode);
    if (u != units.end() && u->second->position) at.push_back(*u->second->position);
  }
  std::map<std::string, ExcludedReceiver> found;
  for (const auto& c : data.input.cohorts) {
    if (failing.count(c.unitCode) > 0) continue;
    auto need = needs.find(c.key);
    if (need == needs.end()) continue;
    auto u = units.find(c.unitCode);
    if (u == units.end()) continue;
    auto nr = selection.notReceiving.find(c.unitCode);
    const bool noPosition = !u->second->position.has_value();
    if (nr == selection.notReceiving.end() && !noPosition) continue;  // it receives
    const int free = options.horizon == Horizon::kNow ? c.seatsNow : c.seatsWithin72h;
    const int usable = static_cast<int>(std::floor(options.fill * free + 1e-9));
    if (usable <= 0) continue;
    std::optional<double> nearest;
    if (!noPosition) {
      for (const GeoPoint& p : need->second) {
        const double d = haversineKm(*u->second->position, p);
        if (!nearest || d < *nearest) nearest = d;
      }
      // Out of reach of every failing unit that needs the class: it would not receive anyway.
      if (!nearest || *nearest > options.maxKm) continue;
    }
    ExcludedReceiver& e = found[c.unitCode];
    e.code = c.unitCode;
    e.why = nr != selection.notReceiving.end() ? nr->second : "no_position";
    e.seats += usable;
    if (nearest && (!e.nearestKm || *nearest < *e.nearestKm)) e.nearestKm = nearest;
    auto origin = data.figureOrigins.find({c.unitCode, c.key.form, c.key.year});
    if (origin != data.figureOrigins.end() && origin->second.atMs >= e.figureAtMs) {
      e.figureAtMs = origin->second.atMs;
      e.imported = origin->second.imported;
    }
  }
  std::vector<ExcludedReceiver> out;
  for (auto& [code, e] : found) {
    if (e.nearestKm) e.nearestKm = std::round(*e.nearestKm * 10.0) / 10.0;
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ExcludedReceiver& a, const ExcludedReceiver& b) {
                     if (a.nearestKm.has_value() != b.nearestKm.has_value())
                       return a.nearestKm.has_value();
                     if (a.nearestKm && *a.nearestKm != *b.nearestKm)
                       return *a.nearestKm < *b.nearestKm;
                     return a.code < b.code;
                   });
  return out;
}

std::string excludedReceiverReason(const ExcludedReceiver& e, const PlanSelection& selection) {
  const std::string days = std::to_string(selection.rules.horizonDays);
  if (e.why == "no_report") {
    return std::string("no status report: not known to be running (seat figures from ") +
           (e.imported ? "the city's import" : "its own capacity report") + ")";
  }
  if (e.why == "old_report") {
    return "its latest status report is older than the " + days + "-day planning horizon";
  }
  if (e.why == "reduced") return "on reduced operation (--include-reduced lets it receive)";
  if (e.why == "remote") return "teaching remotely";
  if (e.why == "closed") return "closed";
  if (e.why == "relocated") return "relocated";
  if (e.why == "unknown") return "its status report gives its state as unknown";
  if (e.why == "no_position") return "no coordinates in the roster: its distance is unknown";
  return "not receiving";
}

json planToJson(const Plan& plan, const PlanningData& data, const PlanSelection& selection,
                const PlanOptions& options) {
  const PlanReading reading = readPlan(plan, data, selection, options);
  std::set<FigureKey> splitGroups;
  for (const auto& g : reading.groups) {
    if (g.split()) splitGroups.insert({g.fromUnit, g.form, g.year});
  }
  auto providerJson = [&](json& j, const std::string& prefix, const std::string& provider) {
    j[prefix + "provider_id"] = textOrNull(provider);
    j[prefix + "provider_name"] = textOrNull(valueOr(data.providerNames, provider));
    j[prefix + "duty_contact"] = textOrNull(valueOr(data.dutyContacts, provider));
  };

  json j;
  j["options"] = optionsJson(options, selection);
  json f = json::array();
  for (const auto& u : selection.failing) {
    auto st = data.situations.find(u.code);
    json x = {{"code", u.code},
              {"name", valueOr(data.unitNames, u.code)},
              {"has_capacity_report", data.unitsWithCapacity.count(u.code) > 0},
              {"closed", data.closedUnits.count(u.code) > 0},
              {"provider_cannot_continue", u.cannotContinue},
              {"what_if", data.whatIfUnits.count(u.code) > 0},
              {"named", u.named},
              {"closed_beyond_horizon", u.closedBeyondHorizon},
              {"closed_included", u.closedIncluded},
              {"closed_until",
               st == data.situations.end() ? json(nullptr) : dateOrNull(st->second.closedUntil)},
              {"unknown_enrolment", u.unknownEnrolment}};
    providerJson(x, "", providerOf(data, u.code));
    f.push_back(std::move(x));
  }
  j["failing_units"] = f;

  json p = json::array();
  for (const auto& x : plan.placements) {
    json row = {{"from_unit", x.fromUnit},
                {"form", x.form},
                {"year", x.year},
                {"to_unit", x.toUnit},
                {"to_name", valueOr(data.unitNames, x.toUnit)},
                {"pupils", x.pupils},
                {"km", x.km},
                {"from_name", valueOr(data.unitNames, x.fromUnit)},
                {"split", splitGroups.count({x.fromUnit, x.form, x.year}) > 0}};
    providerJson(row, "to_", providerOf(data, x.toUnit));
    p.push_back(std::move(row));
  }
  j["placements"] = p;

  json u = json::array();
  for (const auto& x : plan.unplaced) {
    u.push_back({{"from_unit", x.fromUnit},
                 {"form", x.form},
                 {"year", x.year},
                 {"pupils", x.pupils},
                 {"reason", x.reason},
                 {"code", unplacedCode(x.code)},
                 {"nearest_km", x.nearestKm ? json(*x.nearestKm) : json(nullptr)},
                 {"horizon_would_place", x.horizonWouldPlace},
                 {"from_name", valueOr(data.unitNames, x.fromUnit)}});
  }
  j["unplaced"] = u;

  json unknown = json::array();
  for (const auto& x : selection.failing) {
    if (!x.unknownEnrolment) continue;
    auto st = data.situations.find(x.code);
    json row = {{"code", x.code},
                {"name", valueOr(data.unitNames, x.code)},
                {"reason", "no enrolment figure"},
                {"pupils_enrolled_reported",
                 st != data.situations.end() && st->second.pupilsEnrolledReported >= 0
                     ? json(st->second.pupilsEnrolledReported)
                     : json(nullptr)}};
    providerJson(row, "", providerOf(data, x.code));
    unknown.push_back(std::move(row));
  }
  j["unknown_enrolment"] = unknown;

  json groups = json::array();
  for (const auto& g : reading.groups) {
    json dest = json::array();
    for (const auto& d : g.destinations) {
      json row = {{"to_unit", d.toUnit},
                  {"to_name", valueOr(data.unitNames, d.toUnit)},
                  {"pupils", d.pupils},
                  {"km", d.km}};
      providerJson(row, "", providerOf(data, d.toUnit));
      dest.push_back(std::move(row));
    }
    json row = {{"from_unit", g.fromUnit},
                {"from_name", valueOr(data.unitNames, g.fromUnit)},
                {"form", g.form},
                {"year", g.year},
                {"pupils", g.figure.known ? g.figure.enrolled : g.placed + g.unplaced},
                {"placed", g.placed},
                {"unplaced", g.unplaced},
                {"split", g.split()},
                {"pieces", g.destinations.size()},
                {"destinations", dest}};
    addFigure(row, data, g.figure);
    groups.push_back(std::move(row));
  }
  j["groups"] = groups;

  json receivers = json::array();
  for (const auto& r : reading.receivers) {
    json classes = json::array();
    for (const auto& c : r.classes) {
      json from = json::array();
      for (const auto& a : c.from) {
        from.push_back({{"from_unit", a.fromUnit},
                        {"from_name", valueOr(data.unitNames, a.fromUnit)},
                        {"pupils", a.pupils},
                        {"km", a.km}});
      }
      json row = {{"form", c.form},
                  {"year", c.year},
                  {"seats_before", c.figure.seats},
                  {"pupils_in", c.pupilsIn},
                  {"seats_after", c.figure.seats - c.pupilsIn},
                  {"headroom_left", headroomLeft(c.figure.seats, c.pupilsIn)},
                  {"from", from}};
      addFigure(row, data, c.figure);
      classes.push_back(std::move(row));
    }
    json row = {{"code", r.code},
                {"name", valueOr(data.unitNames, r.code)},
                {"pupils_in", r.pupilsIn()},
                {"seats_before", r.seatsBefore()},
                {"seats_after", r.seatsBefore() - r.pupilsIn()},
                {"headroom_left", headroomLeft(r.seatsBefore(), r.pupilsIn())},
                {"classes", classes}};
    providerJson(row, "", providerOf(data, r.code));
    receivers.push_back(std::move(row));
  }
  j["receivers"] = receivers;

  json closed = json::array();
  for (const auto& c : selection.closedNotPlanned) {
    json row = {{"code", c.code},
                {"name", valueOr(data.unitNames, c.code)},
                {"closed_until", dateOrNull(c.closedUntil)},
                {"reason", closedNotPlannedReason(c)}};
    providerJson(row, "", providerOf(data, c.code));
    closed.push_back(std::move(row));
  }
  j["closed_not_planned"] = closed;
  j["not_receiving"] = notReceivingCounts(selection);
  json excluded = json::array();
  for (const auto& e : excludedReceivers(data, selection, options)) {
    json row = {
        {"code", e.code},
        {"name", valueOr(data.unitNames, e.code)},
        {"reason_code", e.why},
        {"reason", excludedReceiverReason(e, selection)},
        {"seats", e.seats},
        {"nearest_km", e.nearestKm ? json(*e.nearestKm) : json(nullptr)},
        {"source", e.imported ? "import" : "report"},
        {"as_of", e.figureAtMs > 0 ? json(common::formatRfc3339(e.figureAtMs)) : json(nullptr)}};
    providerJson(row, "", providerOf(data, e.code));
    excluded.push_back(std::move(row));
  }
  j["excluded_receivers"] = excluded;

  const PlanTotals& t = plan.totals;
  j["totals"] = {{"pupils_to_place", t.pupilsToPlace},
                 {"placed", t.placed},
                 {"unplaced", t.unplaced},
                 {"pupil_km", t.pupilKm},
                 {"fritidshem",
                  {{"to_place", t.fritidshemToPlace},
                   {"placed", t.fritidshemPlaced},
                   {"unplaced", t.fritidshemUnplaced}}},
                 {"pieces", t.pieces},
                 {"split_groups", t.splitGroups},
                 {"mean_km", t.meanKm},
                 {"max_km", t.maxKm},
                 {"unknown_enrolment_units", unknown.size()}};
  j["solver"] = {{"name", plan.solver.name},
                 {"seconds", plan.solver.seconds},
                 {"optimal", plan.solver.optimal},
                 {"gap_pieces", plan.solver.gapPieces},
                 {"integer_programs", plan.solver.integerPrograms}};
  return j;
}

std::string planToText(const Plan& plan, const PlanningData& data, const PlanSelection& selection,
                       const PlanOptions& options) {
  const PlanReading reading = readPlan(plan, data, selection, options);
  std::ostringstream out;
  out << "Takeover plan for " << selection.failing.size() << " failing unit(s): seats "
      << (options.horizon == Horizon::kNow ? "free now" : "free within 72 h") << ", at most "
      << km(options.maxKm) << " km, at most " << static_cast<int>(std::round(options.fill * 100))
      << "% of a class's free seats\n"
      << "Planning horizon: " << selection.rules.horizonDays << " days (to "
      << common::formatCivilDate(selection.horizonEnd) << "): units closed beyond it are planned, "
      << "and only units with a status report at most " << selection.rules.horizonDays
      << " days old receive\n";
  if (selection.failing.empty()) {
    out << "  No unit is failing now: name units with --failing";
    if (!selection.closedNotPlanned.empty())
      out << ", or plan the closed ones with --include-closed";
    out << ".\n";
  }
  for (const auto& f : selection.failing) {
    out << "  " << unitLabel(data, f.code) << " ("
        << valueOr(data.providerNames, providerOf(data, f.code), providerOf(data, f.code))
        << "): " << whyText(f, data);
    if (f.unknownEnrolment) out << "; UNKNOWN ENROLMENT (no capacity figure: pupils not counted)";
    out << "\n";
  }
  if (!selection.closedNotPlanned.empty()) {
    out << "\nClosed, not planned (--include-closed plans them too):\n";
    for (const auto& c : selection.closedNotPlanned) {
      out << "  " << unitLabel(data, c.code) << ": " << closedNotPlannedReason(c) << "\n";
    }
  }

  if (!reading.groups.empty()) out << "\nBy sending year group:\n";
  for (const auto& g : reading.groups) {
    out << "\n"
        << unitLabel(data, g.fromUnit) << ", " << classText(g.form, g.year) << ": "
        << pupilsText(g.figure.known ? g.figure.enrolled : g.placed + g.unplaced) << " ("
        << figureText(data, g.figure) << ")";
    if (g.split()) out << "  SPLIT over " << g.destinations.size() << " units";
    out << "\n";
    for (const auto& d : g.destinations) {
      out << "  " << std::setw(4) << d.pupils << pupilWord(d.pupils) << " -> "
          << unitLabel(data, d.toUnit) << " (" << km(d.km) << " km; "
          << contactText(data, providerOf(data, d.toUnit)) << ")\n";
    }
    if (g.unplaced > 0)
      out << "  " << std::setw(4) << g.unplaced << pupilWord(g.unplaced) << " not placed\n";
  }

  if (!reading.receivers.empty()) out << "\nBy receiving unit:\n";
  for (const auto& r : reading.receivers) {
    out << "\n"
        << unitLabel(data, r.code) << " (" << contactText(data, providerOf(data, r.code))
        << "): receives " << pupilsText(r.pupilsIn()) << "\n";
    for (const auto& c : r.classes) {
      out << "  " << classText(c.form, c.year) << ": seats " << c.figure.seats << " -> "
          << c.figure.seats - c.pupilsIn << " (" << percent(c.figure.seats, c.pupilsIn) << " left; "
          << figureText(data, c.figure) << ")\n";
      for (const auto& a : c.from) {
        out << "    " << std::setw(4) << a.pupils << " from " << unitLabel(data, a.fromUnit) << " ("
            << km(a.km) << " km)\n";
      }
    }
  }

  bool anyUnknown = std::any_of(selection.failing.begin(), selection.failing.end(),
                                [](const FailingUnit& f) { return f.unknownEnrolment; });
  if (!plan.unplaced.empty() || anyUnknown) {
    out << "\nCannot be placed:\n";
    for (const auto& u : plan.unplaced) {
      out << "  " << std::setw(4) << u.pupils << pupilWord(u.pupils) << " of "
          << unitLabel(data, u.fromUnit) << ", " << classText(u.form, u.year) << ": " << u.reason
          << "\n";
    }
    for (const auto& f : selection.failing) {
      if (!f.unknownEnrolment) continue;
      out << "     ? pupils of " << unitLabel(data, f.code) << ": no enrolment figure";
      auto st = data.situations.find(f.code);
      if (st != data.situations.end() && st->second.pupilsEnrolledReported >= 0) {
        out << " (its status report says " << st->second.pupilsEnrolledReported
            << " enrolled; import the figures with 'samband-broker capacity import')";
      } else {
        out << " (import the figures with 'samband-broker capacity import')";
      }
      out << "\n";
    }
  }

  const auto excluded = excludedReceivers(data, selection, options);
  if (!excluded.empty()) {
    constexpr size_t kShown = 20;
    out << "\nNot receiving, though they have free seats for these pupils:\n";
    for (size_t i = 0; i < excluded.size() && i < kShown; ++i) {
      const ExcludedReceiver& e = excluded[i];
      out << "  " << unitLabel(data, e.code) << " ("
          << valueOr(data.providerNames, providerOf(data, e.code), providerOf(data, e.code))
          << "): " << e.seats << " seat(s)"
          << (e.nearestKm ? ", " + km(*e.nearestKm) + " km away" : std::string()) << "; "
          << excludedReceiverReason(e, selection) << "\n";
    }
    if (excluded.size() > kShown) {
      out << "  ... and " << excluded.size() - kShown
          << " more (--format json or csv lists them all)\n";
    }
  }

  const PlanTotals& t = plan.totals;
  out << "\nTotal: " << t.pupilsToPlace << " to place, " << t.placed << " placed, " << t.unplaced
      << " unplaced, " << km(t.pupilKm) << " pupil-km\n";
  out << "  fritidshem (the same children, counted apart): " << t.fritidshemToPlace << " to place, "
      << t.fritidshemPlaced << " placed, " << t.fritidshemUnplaced << " unplaced\n";
  out << "  " << t.pieces << " pieces, " << t.splitGroups << " year group(s) split; distance mean "
      << km(t.meanKm) << " km, max " << km(t.maxKm) << " km\n";
  if (anyUnknown) {
    out << "  units with unknown enrolment (not counted): "
        << std::count_if(selection.failing.begin(), selection.failing.end(),
                         [](const FailingUnit& f) { return f.unknownEnrolment; })
        << "\n";
  }
  out << "Solver: " << (plan.solver.name.empty() ? "-" : plan.solver.name) << ", " << std::fixed
      << std::setprecision(2) << plan.solver.seconds << " s, "
      << (plan.solver.optimal
              ? "optimal"
              : "time limit reached: up to " + std::to_string(plan.solver.gapPieces) +
                    " piece(s) more than the best possible")
      << "\n";
  const auto counts = notReceivingCounts(selection);
  if (!counts.empty()) {
    out << "Not receiving:";
    bool first = true;
    for (const auto& [why, n] : counts) {
      out << (first ? " " : ", ") << n << " " << notReceivingWords(why);
      first = false;
    }
    if (!selection.rules.includeReduced && counts.count("reduced")) {
      out << " (--include-reduced lets reduced units receive)";
    }
    out << "\n";
  }
  return out.str();
}

std::string planToCsv(const Plan& plan, const PlanningData& data, const PlanSelection& selection,
                      const PlanOptions& options) {
  const PlanReading reading = readPlan(plan, data, selection, options);
  std::map<FigureKey, const Group*> groups;
  for (const auto& g : reading.groups) groups[{g.fromUnit, g.form, g.year}] = &g;
  std::map<std::tuple<std::string, std::string, int>, const ReceivingClass*> classes;
  for (const auto& r : reading.receivers) {
    for (const auto& c : r.classes) classes[{r.code, c.form, c.year}] = &c;
  }
  auto field = [](const std::string& s) { return common::csvField(s); };
  std::ostringstream out;
  out << "from_unit,form,year,to_unit,pupils,km,unplaced_reason,row,from_name,to_name,"
         "to_provider_id,to_provider_name,to_duty_contact,split,unplaced_code,figure_source,"
         "figure_age_s,to_seats_before,to_seats_after\n";
  auto figureCells = [&](const Group* g) {
    if (!g || !g->figure.known) return std::string(",");
    return std::string(g->figure.origin.imported ? "import" : "report") + "," +
           (g->figure.origin.atMs > 0
                ? std::to_string(std::max<int64_t>(0, data.nowMs - g->figure.origin.atMs) / 1000)
                : "");
  };
  for (const auto& p : plan.placements) {
    auto g = groups.find({p.fromUnit, p.form, p.year});
    const Group* group = g == groups.end() ? nullptr : g->second;
    auto c = classes.find({p.toUnit, p.form, p.year});
    const std::string provider = providerOf(data, p.toUnit);
    out << p.fromUnit << "," << p.form << "," << p.year << "," << p.toUnit << "," << p.pupils << ","
        << km(p.km) << ",,placement," << field(valueOr(data.unitNames, p.fromUnit)) << ","
        << field(valueOr(data.unitNames, p.toUnit)) << "," << provider << ","
        << field(valueOr(data.providerNames, provider)) << ","
        << field(valueOr(data.dutyContacts, provider)) << ","
        << (group && group->split() ? "yes" : "no") << ",," << figureCells(group) << ",";
    if (c != classes.end()) {
      out << c->second->figure.seats << "," << c->second->figure.seats - c->second->pupilsIn;
    } else {
      out << ",";
    }
    out << "\n";
  }
  for (const auto& u : plan.unplaced) {
    auto g = groups.find({u.fromUnit, u.form, u.year});
    out << u.fromUnit << "," << u.form << "," << u.year << ",," << u.pupils << ",,"
        << field(u.reason) << ",unplaced," << field(valueOr(data.unitNames, u.fromUnit)) << ",,,,,,"
        << unplacedCodeName(u.code) << "," << figureCells(g == groups.end() ? nullptr : g->second)
        << ",,\n";
  }
  for (const auto& f : selection.failing) {
    if (!f.unknownEnrolment) continue;
    out << f.code << ",,,,,,no enrolment figure,unknown_enrolment,"
        << field(valueOr(data.unitNames, f.code)) << ",,,,,,unknown_enrolment,,,,\n";
  }
  for (const auto& c : selection.closedNotPlanned) {
    out << c.code << ",,,,,," << field(closedNotPlannedReason(c)) << ",closed_not_planned,"
        << field(valueOr(data.unitNames, c.code)) << ",,,,,,,,,,\n";
  }
  for (const auto& e : excludedReceivers(data, selection, options)) {
    const std::string provider = providerOf(data, e.code);
    out << ",,," << e.code << ",," << (e.nearestKm ? km(*e.nearestKm) : "") << ","
        << field(excludedReceiverReason(e, selection)) << ",excluded_receiver,,"
        << field(valueOr(data.unitNames, e.code)) << "," << provider << ","
        << field(valueOr(data.providerNames, provider)) << ","
        << field(valueOr(data.dutyContacts, provider)) << ",," << e.why << ","
        << (e.imported ? "import" : "report") << ","
        << (e.figureAtMs > 0
                ? std::to_string(std::max<int64_t>(0, data.nowMs - e.figureAtMs) / 1000)
                : "")
        << "," << e.seats << ",\n";
  }
  return out.str();
}

json contingencyToJson(const std::vector<ContingencyRow>& rows, const PlanningData& data,
                       const PlanSelection& baseline, const PlanOptions& options) {
  json j;
  j["options"] = optionsJson(options, baseline);
  json failing = json::array();
  for (const auto& f : baseline.failing) failing.push_back(f.code);
  json closed = json::array();
  for (const auto& c : baseline.closedNotPlanned) closed.push_back(c.code);
  j["baseline"] = {{"failing_units", failing},
                   {"closed_not_planned", closed},
                   {"not_receiving", notReceivingCounts(baseline)}};
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
              {"missing_seats_by_form", row.missingSeatsByForm},
              {"pieces", row.pieces},
              {"optimal", row.optimal},
              {"gap_pieces", row.gapPieces}};
    if (row.scope == ContingencyScope::kProvider && data.providerNames.count(row.id)) {
      x["name"] = data.providerNames.at(row.id);
    }
    r.push_back(std::move(x));
  }
  j["rows"] = r;
  return j;
}

std::string contingencyToText(const std::vector<ContingencyRow>& rows, const PlanningData& data,
                              const PlanSelection& baseline) {
  std::ostringstream out;
  out << "Contingency (N-1): each provider failing alone, and each district failing at once,\n"
         "on top of today ("
      << baseline.failing.size() << " unit(s) failing, " << baseline.notReceiving.size()
      << " not receiving), ranked by pupils that could not be placed.\n\n";
  size_t idWidth = 13;  // the id column fits the longest district name
  for (const auto& row : rows) idWidth = std::max(idWidth, textWidth(row.id) + 1);
  out << "rank  scope     " << padded("id", idWidth)
      << " affected  placed  unplaced  missing seats by form\n";
  int rank = 0;
  for (const auto& row : rows) {
    out << std::setw(4) << ++rank << "  " << std::left << std::setw(9) << scopeName(row.scope)
        << " " << padded(row.id, idWidth) << std::right << std::setw(9) << row.pupilsAffected
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
  out << "rank,scope,id,pupils_affected,placed,unplaced,pupil_km,missing_seats_by_form,pieces,"
         "optimal,gap_pieces\n";
  int rank = 0;
  for (const auto& row : rows) {
    std::string missing;
    for (const auto& [form, n] : row.missingSeatsByForm) {
      missing += (missing.empty() ? "" : ";") + form + ":" + std::to_string(n);
    }
    out << ++rank << "," << scopeName(row.scope) << "," << common::csvField(row.id) << ","
        << row.pupilsAffected << "," << row.placed << "," << row.unplaced << "," << km(row.pupilKm)
        << "," << missing << "," << row.pieces << "," << (row.optimal ? "yes" : "no") << ","
        << row.gapPieces << "\n";
  }
  return out.str();
}

}  // namespace samband::broker
