// PlanningData: what the planner needs — the roster's unit metadata, the newest capacity figure
// of every unit, form and year (a unit's own report or the city's import, with its age), each
// unit's latest status (state, age, closed_until), providers that cannot continue, the board's
// what-if marks and the providers' duty contacts (read by picture/planning_source.h) — which
// units a plan covers (selectUnits: failing, closed but not planned, not receiving), and the
// renderings of plans and contingency rows for the CLI and the board (text, JSON, CSV).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "broker/planning/planner.h"
#include "broker/planning/roster_csv.h"
#include "common/result.h"
#include "common/school_calendar.h"

namespace samband::broker {

// A plan covers closures longer than this many days, and counts on seats only of units whose
// status report is at most this old (school time at normal level, docs/planning.md).
inline constexpr int kPlanningHorizonDays = 3;

// Where a capacity figure came from, and when the broker got it (its own clock).
struct FigureOrigin {
  bool imported = false;  // `samband-broker capacity import` (else: the unit's own report)
  int64_t atMs = 0;
};

// A unit's latest actual status report, as far as planning needs it.
struct UnitSituation {
  std::string operational = "unknown";  // normal | reduced | remote | closed | relocated | unknown
  int64_t reportAgeMs = 0;              // age under the report-age rule (view.h ReportAge)
  std::optional<common::CivilDate> closedUntil;  // last day closed, included
  int pupilsEnrolledReported = -1;               // from the status report; -1: not given
};

using FigureKey = std::tuple<std::string, std::string, int>;  // unit code, form, year

struct PlanningData {
  PlanningInput input;
  std::map<std::string, std::string> providerNames;                 // id -> name
  std::map<std::string, std::vector<std::string>> unitsByProvider;  // id -> unit codes
  std::map<std::string, std::string> unitNames;                     // code -> name
  std::map<std::string, std::string> unitProviders;                 // code -> provider id
  std::map<std::string, std::string> dutyContacts;  // provider id -> contact (city-kept)
  std::set<std::string> closedUnits;                // actual status "closed"
  std::set<std::string> cannotContinueUnits;        // units of providers that cannot continue
  std::set<std::string> whatIfUnits;                // marked failing on the board (what-if)
  std::set<std::string> unitsWithCapacity;          // units with at least one capacity figure
  std::map<std::string, UnitSituation> situations;  // units that reported a status, by code
  std::map<FigureKey, FigureOrigin> figureOrigins;  // every cohort's figure
  int64_t nowMs = 0;                                // when it was read (broker clock)
  common::CivilDate today;                          // local date at nowMs
};

// Which units a plan covers, beyond the ones an operator names.
struct ScopeRules {
  bool includeWhatIf = false;   // the board's what-if marks fail too
  bool includeClosed = false;   // closed units not closed beyond the horizon fail too
  bool includeReduced = false;  // units on reduced operation receive too
  int horizonDays = kPlanningHorizonDays;
};

// A failing unit and every reason it fails (one or more are true).
struct FailingUnit {
  std::string code;
  bool named = false;                // --failing
  bool whatIf = false;               // marked on the board, and what-if marks are included
  bool cannotContinue = false;       // its provider reported cannot_continue
  bool closedBeyondHorizon = false;  // closed, closed_until after the horizon's last day
  bool closedIncluded = false;       // closed otherwise, taken in by includeClosed
  bool unknownEnrolment = false;     // no capacity figure at all: its pupils are not counted
};

// A closed unit that the plan leaves alone (closed_until missing or within the horizon).
struct ClosedNotPlanned {
  std::string code;
  std::optional<common::CivilDate> closedUntil;
};

struct PlanSelection {
  ScopeRules rules;
  common::CivilDate horizonEnd;                    // today + horizonDays
  std::vector<FailingUnit> failing;                // by code
  std::vector<ClosedNotPlanned> closedNotPlanned;  // by code
  // Units that offer no seats and why: "reduced", "remote", "closed", "relocated", "unknown"
  // (the unit says so), "no_report", "old_report" (older than the horizon). Failing units are
  // not listed.
  std::map<std::string, std::string> notReceiving;

  std::set<std::string> failingCodes() const;
  PlanScope scope() const;
};

// A unit that offers no seats although it has usable free seats (floor(fill × free) > 0 at the
// plan's seat horizon) in a class that a failing unit has pupils in, within maxKm of such a unit
// or at an unknown distance. The plan names each, so that no unit with seats is left out
// silently: above all one with figures (say from `capacity import`) that never sent a status
// report, which is not known to be running.
struct ExcludedReceiver {
  std::string code;
  // A notReceiving reason ("no_report", "old_report", "reduced", ...), or "no_position" (a unit
  // whose roster entry has no coordinates: its distance cannot be measured).
  std::string why;
  int seats = 0;                    // usable free seats in the classes the failing units need
  std::optional<double> nearestKm;  // to the nearest failing unit needing one of its classes
  bool imported = false;            // the newest of the figures counted came from an import
  int64_t figureAtMs = 0;           // when the newest of those figures arrived (broker clock)
};

// The excluded receivers of a selection, nearest first (unknown distance last), then by code.
std::vector<ExcludedReceiver> excludedReceivers(const PlanningData& data,
                                                const PlanSelection& selection,
                                                const PlanOptions& options);

// Why an excluded receiver takes no pupils, in words, e.g. "no status report: not known to be
// running (seat figures from the city's import)".
std::string excludedReceiverReason(const ExcludedReceiver& e, const PlanSelection& selection);

// Resolves --failing arguments (organisation numbers or unit codes) to unit codes.
common::Result<std::set<std::string>> resolveFailing(const PlanningData& data,
                                                     const std::vector<std::string>& args);

// Failing: the named units, units of providers that cannot continue, closed units whose
// closed_until lies after today + horizonDays, the what-if marks when included, and the other
// closed units when included (else they are listed as closed, not planned). Receiving: units
// whose latest report says normal (or reduced, when included) and is at most horizonDays old;
// every other unit is listed in notReceiving. Pure.
PlanSelection selectUnits(const PlanningData& data, const std::set<std::string>& named,
                          const ScopeRules& rules);

// The plan as JSON (docs/api.md "Takeover plan"): every key of earlier versions, plus the
// receiving units, the sending year groups, figure sources and ages, closed-not-planned units,
// unknown enrolment, the fritidshem line, pieces, split groups, distances and the solver.
nlohmann::json planToJson(const Plan& plan, const PlanningData& data,
                          const PlanSelection& selection, const PlanOptions& options);
std::string planToText(const Plan& plan, const PlanningData& data, const PlanSelection& selection,
                       const PlanOptions& options);
// One row per placement, unplaced group, unknown-enrolment unit and closed-not-planned unit; the
// first seven columns are those of earlier versions, `row` names the kind.
std::string planToCsv(const Plan& plan, const PlanningData& data, const PlanSelection& selection,
                      const PlanOptions& options);

// `baseline` is today's situation the ranking starts from (selectUnits without named units).
nlohmann::json contingencyToJson(const std::vector<ContingencyRow>& rows, const PlanningData& data,
                                 const PlanSelection& baseline, const PlanOptions& options);
std::string contingencyToText(const std::vector<ContingencyRow>& rows, const PlanningData& data,
                              const PlanSelection& baseline);
std::string contingencyToCsv(const std::vector<ContingencyRow>& rows);

}  // namespace samband::broker
