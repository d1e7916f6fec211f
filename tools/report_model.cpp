// See report_model.h. The probabilities are per report about a unit, tuned so that at the default
// rate a city of 200 units shows a handful of reduced units at any time.
#include "tools/report_model.h"

#include <algorithm>
#include <cmath>

#include "common/school_calendar.h"

namespace samband::tools {

namespace {

using common::Electricity;
using common::OperationalState;
using common::Supply;

constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;

constexpr double kReduceChance = 0.03;
constexpr double kRemoteChance = 0.004;
constexpr double kCloseChance = 0.003;
constexpr double kRecoverChance = 0.25;
constexpr double kReopenChance = 0.15;

int roundi(double x) { return static_cast<int>(std::lround(x)); }

bool offersCare(UnitKind kind) {
  return kind == UnitKind::forskola || kind == UnitKind::grundskolaF6 ||
         kind == UnitKind::grundskolaF9;
}

// Older pupils can be taught remotely; small children cannot.
bool canTeachRemotely(UnitKind kind) {
  return kind == UnitKind::grundskola79 || kind == UnitKind::gymnasieskola;
}

// Moves `x` by a small random step and keeps it in [lo, hi].
double wander(SimRandom& rng, double x, double step, double lo, double hi) {
  return std::clamp(x + rng.real(-step, step), lo, hi);
}

}  // namespace

ReportModel::ReportModel(const City& city, uint64_t seed) : city_(city), rng_(seed) {
  states_.resize(city.units.size());
  for (size_t u = 0; u < city.units.size(); ++u) {
    UnitState& s = states_[u];
    const SimUnit& unit = city.units[u];
    s.attendance = rng_.real(0.86, 0.97);
    s.staffShare = rng_.real(0.86, 1.0);
    s.foodDays = unit.foodDays;
    for (const auto& c : unit.classes) {
      s.seatsNow.push_back(c.seatsNow);
      s.seats72h.push_back(c.seats72h);
    }
  }
}

bool ReportModel::isAffected(size_t u) const {
  return states_[u].storm || states_[u].providerFailed;
}

int ReportModel::backupHoursLeft(const SimUnit& unit, const UnitState& s, int64_t nowMs) const {
  if (unit.backupTankHours == 0) return -1;
  if (s.powerCutAt == 0) return unit.backupTankHours;
  const int64_t burnt = (nowMs - s.powerCutAt) / kBackupMsPerHour;
  return static_cast<int>(std::max<int64_t>(0, unit.backupTankHours - burnt));
}

common::UnitStatusMsg ReportModel::status(size_t u, int64_t nowMs) const {
  const SimUnit& unit = city_.units[u];
  const UnitState& s = states_[u];
  common::UnitStatusMsg m;
  m.unitCode = unit.code;
  m.operational = s.operational;
  m.reason = s.operational == OperationalState::NORMAL ? "" : s.reason;
  m.expectedReopen = s.expectedReopen;
  m.pupilsEnrolled = unit.pupilsEnrolled();
  const bool premisesOpen =
      s.operational != OperationalState::CLOSED && s.operational != OperationalState::REMOTE;
  m.pupilsPresent = premisesOpen ? roundi(m.pupilsEnrolled * s.attendance) : 0;
  m.staffTotal = unit.staffTotal;
  m.staffAvailable =
      s.operational == OperationalState::CLOSED ? 0 : roundi(unit.staffTotal * s.staffShare);
  m.criticalCare =
      premisesOpen && offersCare(unit.kind) ? common::Offered::YES : common::Offered::NO;
  m.specialSupport = premisesOpen ? common::Offered::YES : common::Offered::NO;
  m.electricity = s.electricity;
  m.backupHours = backupHoursLeft(unit, s, nowMs);
  m.heating = s.heating;
  m.water = s.water;
  m.food = s.foodDays <= 1 ? Supply::DEGRADED : Supply::OK;
  m.it = s.it;
  m.telephony = s.telephony;
  m.foodDays = s.foodDays;
  m.note = s.note;
  // A closure with an expected reopening names its last closed day, as a school would.
  if (s.operational == OperationalState::CLOSED && s.expectedReopen > nowMs) {
    const int64_t lastDay = common::daysFromCivil(common::localDateOf(s.expectedReopen)) - 1;
    m.closedUntil = common::formatCivilDate(common::civilFromDays(
        std::max(lastDay, common::daysFromCivil(common::localDateOf(nowMs)))));
  }
  // A report is trusted for a working day; during a crisis only for two hours.
  m.validUntil = nowMs + (isAffected(u) ? 2 * kHourMs : 12 * kHourMs);
  return m;
}

common::CapacityMsg ReportModel::capacity(size_t u) const {
  const SimUnit& unit = city_.units[u];
  const UnitState& s = states_[u];
  common::CapacityMsg m;
  m.unitCode = unit.code;
  const bool open =
      s.operational == OperationalState::NORMAL || s.operational == OperationalState::REDUCED;
  for (size_t i = 0; i < unit.classes.size(); ++i) {
    const ClassGroup& c = unit.classes[i];
    common::CapacityEntryMsg e;
    e.form = c.form;
    e.year = c.year;
    e.enrolled = c.enrolled;
    if (open && !isAffected(u)) {
      e.seatsNow = s.operational == OperationalState::REDUCED ? s.seatsNow[i] / 2 : s.seatsNow[i];
      e.seats72h = std::max(e.seatsNow, s.seats72h[i]);
    }
    m.entries.push_back(e);
  }
  return m;
}

void ReportModel::backToNormal(size_t u) {
  UnitState& s = states_[u];
  s.operational = OperationalState::NORMAL;
  s.reason.clear();
  s.note.clear();
  s.expectedReopen = 0;
  s.heating = Supply::OK;
  s.water = Supply::OK;
  s.it = Supply::OK;
  s.attendance = rng_.real(0.86, 0.97);
  s.staffShare = rng_.real(0.86, 1.0);
}

void ReportModel::startEpisode(size_t u, int64_t nowMs) {
  const SimUnit& unit = city_.units[u];
  UnitState& s = states_[u];
  const double x = rng_.unit();
  if (x < kCloseChance) {
    s.operational = OperationalState::CLOSED;
    s.reason = "Vattenskada i skolbyggnaden";
    s.note = "Lokalerna saneras; vårdnadshavare informerade.";
    s.expectedReopen = nowMs + rng_.between(int64_t{1}, int64_t{3}) * kDayMs;
    s.water = Supply::DOWN;
    return;
  }
  if (x < kCloseChance + kRemoteChance && canTeachRemotely(unit.kind)) {
    s.operational = OperationalState::REMOTE;
    s.reason = "Lokalerna stängda efter brandlarm, fjärrundervisning";
    s.note = "Undervisningen sker på distans.";
    s.expectedReopen = nowMs + kDayMs;
    return;
  }
  if (x >= kCloseChance + kRemoteChance + kReduceChance) return;
  s.operational = OperationalState::REDUCED;
  switch (rng_.between(int64_t{0}, int64_t{4})) {
    case 0:
      s.reason = "Hög sjukfrånvaro bland personalen";
      s.staffShare = rng_.real(0.55, 0.75);
      break;
    case 1:
      s.reason = "Magsjuka, hög frånvaro bland barn och elever";
      s.attendance = rng_.real(0.5, 0.75);
      s.staffShare = rng_.real(0.75, 0.9);
      break;
    case 2:
      s.reason = "Vattenläcka i en av byggnaderna";
      s.water = Supply::DEGRADED;
      break;
    case 3:
      s.reason = "Värmen sviktar i en byggnad";
      s.heating = Supply::DEGRADED;
      break;
    default:
      s.reason = "IT-störning hos leverantören";
      s.it = rng_.chance(0.5) ? Supply::DOWN : Supply::DEGRADED;
      break;
  }
}

void ReportModel::drift(size_t u, int64_t nowMs) {
  const SimUnit& unit = city_.units[u];
  UnitState& s = states_[u];
  const bool normal = s.operational == OperationalState::NORMAL;
  // Counts wander in every state; the bands depend on what is going on.
  const double lo = normal ? 0.82 : 0.45;
  s.attendance = wander(rng_, s.attendance, 0.03, lo, 0.98);
  s.staffShare = wander(rng_, s.staffShare, 0.03, normal ? 0.8 : 0.5, 1.0);
  for (size_t i = 0; i < s.seatsNow.size(); ++i) {
    const int base = unit.classes[i].seatsNow;
    if (rng_.chance(0.2)) {
      s.seatsNow[i] = std::max(0, base + static_cast<int>(rng_.between(int64_t{-2}, int64_t{2})));
      s.seats72h[i] = s.seatsNow[i] + (unit.classes[i].seats72h - base);
    }
  }
  if (isAffected(u)) return;
  if (rng_.chance(0.1)) {
    s.foodDays =
        std::max(1, unit.foodDays + static_cast<int>(rng_.between(int64_t{-1}, int64_t{1})));
  }
  if (normal) {
    startEpisode(u, nowMs);
  } else if (s.operational == OperationalState::REDUCED) {
    if (rng_.chance(kRecoverChance)) backToNormal(u);
  } else if (rng_.chance(kReopenChance)) {
    backToNormal(u);
  }
}

void ReportModel::advance(size_t u, int64_t nowMs) {
  const SimUnit& unit = city_.units[u];
  UnitState& s = states_[u];
  if (s.electricity != Electricity::BACKUP || s.providerFailed) return;
  if (backupHoursLeft(unit, s, nowMs) > 0) return;
  s.electricity = Electricity::NONE;
  s.operational = OperationalState::CLOSED;
  s.reason = "Strömavbrott, reservkraftens bränsle är slut";
  s.note = "Stängd tills elnätet är tillbaka.";
  s.heating = Supply::DOWN;
  s.it = Supply::DOWN;
  s.expectedReopen = 0;
}

void ReportModel::cutPower(size_t u, int64_t nowMs) {
  const SimUnit& unit = city_.units[u];
  UnitState& s = states_[u];
  s.storm = true;
  s.powerCutAt = nowMs;
  s.telephony = Supply::DEGRADED;
  s.expectedReopen = 0;
  if (s.providerFailed) return;
  if (unit.backupTankHours > 0) {
    s.electricity = Electricity::BACKUP;
    s.operational = OperationalState::REDUCED;
    s.reason = "Strömavbrott efter stormen, reservkraft i drift";
    s.note = "Reservkraft i drift; begränsad verksamhet, ingen varm mat.";
    s.heating = Supply::DEGRADED;
    s.it = Supply::DEGRADED;
    s.attendance = rng_.real(0.45, 0.7);
    s.staffShare = rng_.real(0.6, 0.85);
    return;
  }
  s.electricity = Electricity::NONE;
  s.heating = Supply::DOWN;
  s.it = Supply::DOWN;
  if (canTeachRemotely(unit.kind)) {
    s.operational = OperationalState::REMOTE;
    s.reason = "Strömavbrott efter stormen, lokalerna stängda";
    s.note = "Fjärrundervisning där eleverna har ström och nät.";
  } else {
    s.operational = OperationalState::CLOSED;
    s.reason = "Strömavbrott efter stormen, ingen reservkraft";
    s.note = "Stängd tills elnätet är tillbaka.";
  }
}

void ReportModel::closeForGood(size_t u, int64_t nowMs) {
  (void)nowMs;
  UnitState& s = states_[u];
  s.providerFailed = true;
  s.operational = OperationalState::CLOSED;
  s.reason = "Huvudmannen kan inte fortsätta verksamheten";
  s.note = "Kommunen är underrättad; eleverna behöver nya placeringar.";
  s.expectedReopen = 0;
}

common::UnitStatusMsg ReportModel::exerciseStatus(size_t u, int64_t nowMs) {
  common::UnitStatusMsg m = status(u, nowMs);
  switch (rng_.between(int64_t{0}, int64_t{2})) {
    case 0:
      m.operational = OperationalState::CLOSED;
      m.reason = "ÖVNING: utrymning efter brandlarm";
      m.pupilsPresent = 0;
      break;
    case 1:
      m.operational = OperationalState::RELOCATED;
      m.reason = "ÖVNING: verksamheten flyttad till evakueringslokal";
      break;
    default:
      m.operational = OperationalState::REDUCED;
      m.reason = "ÖVNING: långvarigt strömavbrott";
      m.electricity = Electricity::BACKUP;
      break;
  }
  m.note = "Övning, ingen verklig händelse.";
  m.validUntil = nowMs + kHourMs;
  return m;
}

}  // namespace samband::tools
