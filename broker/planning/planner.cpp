// The Planner facade: validates options, turns failing unit codes into one class solve per
// class (planUnits), and runs one plan per provider and per district on a pool of threads for
// the contingency ranking. The solving itself is in class_solver.h. Model: docs/planning.md.
#include "broker/planning/planner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "broker/planning/class_solver.h"
#include "broker/planning/planner_index.h"

namespace samband::broker {
namespace {

struct Scenario {
  ContingencyScope scope;
  std::string id;
  std::vector<int> units;
};

constexpr const char* kFritidshem = "fritidshem";
constexpr const char* kSolverName = "lemon+cbc";

common::Status validateOptions(const PlanOptions& options) {
  if (!(options.maxKm > 0.0)) {
    return common::invalidInput("maxKm must be greater than 0 (got " +
                                std::to_string(options.maxKm) + ")");
  }
  if (!(options.fill > 0.0 && options.fill <= 1.0)) {
    return common::invalidInput("fill must be greater than 0 and at most 1 (got " +
                                std::to_string(options.fill) + ")");
  }
  if (options.timeLimitMs <= 0) {
    return common::invalidInput("timeLimitMs must be greater than 0 (got " +
                                std::to_string(options.timeLimitMs) + ")");
  }
  return {};
}

common::Result<std::vector<int>> unitsOf(const PlannerIndex& index,
                                         const std::vector<std::string>& codes, const char* what) {
  std::vector<int> units;
  units.reserve(codes.size());
  for (const std::string& code : codes) {
    const int unit = index.findUnit(code);
    if (unit < 0) {
      return common::invalidInput(std::string(what) + " unit " + code + " is not a known unit");
    }
    units.push_back(unit);
  }
  return units;
}

// Totals from the plan's rows; fritidshem children are counted apart (docs/planning.md).
void addTotals(Plan& plan, std::int64_t metreSum) {
  PlanTotals& t = plan.totals;
  std::int64_t placedAll = 0;
  for (std::size_t i = 0; i < plan.placements.size(); ++i) {
    const Placement& p = plan.placements[i];
    (p.form == kFritidshem ? t.fritidshemPlaced : t.placed) += p.pupils;
    placedAll += p.pupils;
    t.maxKm = std::max(t.maxKm, p.km);
    const bool sameGroup = i > 0 && plan.placements[i - 1].fromUnit == p.fromUnit &&
                           plan.placements[i - 1].form == p.form &&
                           plan.placements[i - 1].year == p.year;
    const bool firstSplit = sameGroup && (i < 2 || plan.placements[i - 2].fromUnit != p.fromUnit ||
                                          plan.placements[i - 2].form != p.form ||
                                          plan.placements[i - 2].year != p.year);
    if (firstSplit) ++t.splitGroups;
  }
  for (const Unplaced& r : plan.unplaced) {
    (r.form == kFritidshem ? t.fritidshemUnplaced : t.unplaced) += r.pupils;
  }
  t.pieces = static_cast<std::int64_t>(plan.placements.size());
  t.pupilKm = static_cast<double>(metreSum) / 1000.0;
  t.meanKm = placedAll > 0 ? t.pupilKm / static_cast<double>(placedAll) : 0.0;
}

// Plans for failing unit indices, with `notReceiving` units offering no seats; `scratch` must
// be sized for `index` and all clear, and is left clear.
common::Result<Plan> planUnits(const PlannerIndex& index, std::vector<int> failing,
                               const std::vector<int>& notReceiving, const PlanOptions& options,
                               bool explain, SolverScratch& scratch) {
  const auto started = std::chrono::steady_clock::now();
  std::sort(failing.begin(), failing.end());
  failing.erase(std::unique(failing.begin(), failing.end()), failing.end());
  for (int u : failing) scratch.failing[u] = 1;
  for (int u : notReceiving) scratch.notReceiving[u] = 1;

  std::vector<std::pair<int, int>> work;  // (class, slot) of every pupil group to place
  Plan plan;
  for (int u : failing) {
    for (const auto& [cls, slot] : index.cohortsOfUnit[u]) {
      const int pupils = index.classes[cls].enrolled[slot];
      if (pupils <= 0) continue;
      work.emplace_back(cls, slot);
      (index.classes[cls].key.form == kFritidshem ? plan.totals.fritidshemToPlace
                                                  : plan.totals.pupilsToPlace) += pupils;
    }
  }
  std::sort(work.begin(), work.end());
  ClassRequest request;
  request.options = &options;
  // Clamped to a week, so that a huge limit cannot overflow the clock.
  constexpr std::int64_t kWeekMs = 7LL * 24 * 3600 * 1000;
  request.deadline = started + std::chrono::milliseconds(std::min(options.timeLimitMs, kWeekMs));
  request.explain = explain;
  SolveReport report;
  std::int64_t metreSum = 0;
  common::Status solved;
  std::vector<int> slots;
  for (std::size_t i = 0; i < work.size() && solved.ok();) {
    const int cls = work[i].first;
    slots.clear();
    for (; i < work.size() && work[i].first == cls; ++i) slots.push_back(work[i].second);
    solved = solveClass(index, index.classes[cls], slots, request, scratch, plan, metreSum, report);
  }
  for (int u : failing) scratch.failing[u] = 0;
  for (int u : notReceiving) scratch.notReceiving[u] = 0;
  if (!solved.ok()) return solved.error();

  std::sort(plan.placements.begin(), plan.placements.end(),
            [](const Placement& a, const Placement& b) {
              return std::tie(a.fromUnit, a.form, a.year, a.toUnit) <
                     std::tie(b.fromUnit, b.form, b.year, b.toUnit);
            });
  std::sort(plan.unplaced.begin(), plan.unplaced.end(), [](const Unplaced& a, const Unplaced& b) {
    return std::tie(a.fromUnit, a.form, a.year) < std::tie(b.fromUnit, b.form, b.year);
  });
  addTotals(plan, metreSum);
  plan.solver.name = kSolverName;
  plan.solver.optimal = report.optimal;
  plan.solver.gapPieces = report.gapPieces;
  plan.solver.integerPrograms = report.integerPrograms;
  plan.solver.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return plan;
}

std::vector<Scenario> scenariosOf(const std::vector<Unit>& units) {
  std::map<std::string, std::vector<int>> providers;
  std::map<std::string, std::vector<int>> districts;
  for (std::size_t u = 0; u < units.size(); ++u) {
    providers[units[u].providerId].push_back(static_cast<int>(u));
    if (!units[u].district.empty()) districts[units[u].district].push_back(static_cast<int>(u));
  }
  std::vector<Scenario> scenarios;
  scenarios.reserve(providers.size() + districts.size());
  for (auto& [id, list] : providers) {
    scenarios.push_back({ContingencyScope::kProvider, id, std::move(list)});
  }
  for (auto& [id, list] : districts) {
    scenarios.push_back({ContingencyScope::kDistrict, id, std::move(list)});
  }
  return scenarios;
}

ContingencyRow summarise(const Scenario& scenario, const Plan& plan) {
  ContingencyRow row;
  row.scope = scenario.scope;
  row.id = scenario.id;
  row.pupilsAffected = plan.totals.pupilsToPlace;
  row.placed = plan.totals.placed;
  row.unplaced = plan.totals.unplaced;
  row.pupilKm = plan.totals.pupilKm;
  row.pieces = plan.totals.pieces;
  row.optimal = plan.solver.optimal;
  row.gapPieces = plan.solver.gapPieces;
  for (const Unplaced& r : plan.unplaced) row.missingSeatsByForm[r.form] += r.pupils;
  return row;
}

}  // namespace

const char* unplacedCodeName(UnplacedCode code) {
  switch (code) {
    case UnplacedCode::kNoCoordinates:
      return "no_coordinates";
    case UnplacedCode::kBeyondLimit:
      return "beyond_limit";
    case UnplacedCode::kNoSeats:
      return "no_seats";
    case UnplacedCode::kSeatsTaken:
      return "seats_taken";
  }
  return "seats_taken";
}

const char* scopeName(ContingencyScope scope) {
  return scope == ContingencyScope::kProvider ? "provider" : "district";
}

Planner::Planner(std::unique_ptr<PlannerIndex> index) : index_(std::move(index)) {}
Planner::Planner(Planner&&) noexcept = default;
Planner& Planner::operator=(Planner&&) noexcept = default;
Planner::~Planner() = default;

std::size_t Planner::unitCount() const { return index_->units.size(); }
std::size_t Planner::classCount() const { return index_->classes.size(); }

common::Result<Planner> Planner::create(PlanningInput input) {
  auto index = buildPlannerIndex(std::move(input));
  if (!index) return index.error();
  return Planner(std::move(*index));
}

common::Result<Plan> Planner::plan(const std::vector<std::string>& failingUnitCodes,
                                   const PlanOptions& options) const {
  return plan(PlanScope{failingUnitCodes, {}}, options);
}

common::Result<Plan> Planner::plan(const PlanScope& scope, const PlanOptions& options) const {
  if (auto valid = validateOptions(options); !valid) return valid.error();
  auto failing = unitsOf(*index_, scope.failing, "failing");
  if (!failing) return failing.error();
  auto notReceiving = unitsOf(*index_, scope.notReceiving, "not receiving");
  if (!notReceiving) return notReceiving.error();
  SolverScratch scratch = makeSolverScratch(*index_);
  return planUnits(*index_, std::move(*failing), *notReceiving, options, true, scratch);
}

common::Result<std::vector<ContingencyRow>> Planner::contingency(const PlanOptions& options,
                                                                 unsigned threads) const {
  return contingency(options, PlanScope{}, threads);
}

common::Result<std::vector<ContingencyRow>> Planner::contingency(const PlanOptions& options,
                                                                 const PlanScope& baseline,
                                                                 unsigned threads) const {
  if (auto valid = validateOptions(options); !valid) return valid.error();
  auto baseFailing = unitsOf(*index_, baseline.failing, "failing");
  if (!baseFailing) return baseFailing.error();
  auto notReceiving = unitsOf(*index_, baseline.notReceiving, "not receiving");
  if (!notReceiving) return notReceiving.error();
  const std::vector<Scenario> scenarios = scenariosOf(index_->units);
  std::vector<ContingencyRow> rows(scenarios.size());
  std::vector<std::optional<common::Error>> errors(scenarios.size());
  // Largest scenarios first, so that no thread is left with a big one at the end.
  std::vector<std::size_t> order(scenarios.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return scenarios[a].units.size() > scenarios[b].units.size();
  });
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    SolverScratch scratch = makeSolverScratch(*index_);
    for (std::size_t n = next++; n < order.size(); n = next++) {
      const std::size_t i = order[n];
      try {
        std::vector<int> failing = *baseFailing;
        failing.insert(failing.end(), scenarios[i].units.begin(), scenarios[i].units.end());
        auto result =
            planUnits(*index_, std::move(failing), *notReceiving, options, false, scratch);
        if (result.ok()) {
          rows[i] = summarise(scenarios[i], *result);
        } else {
          errors[i] = result.error();
        }
      } catch (const std::exception& e) {
        // Keep the other scenarios going; the failure is reported below.
        errors[i] = common::internalError(std::string("internal: ") + e.what());
        std::fill(scratch.failing.begin(), scratch.failing.end(), 0);
        std::fill(scratch.notReceiving.begin(), scratch.notReceiving.end(), 0);
        std::fill(scratch.localSink.begin(), scratch.localSink.end(), -1);
      }
    }
  };
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, scenarios.size()));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();

  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    if (errors[i]) {
      return common::Error{errors[i]->kind, std::string(scopeName(scenarios[i].scope)) + " " +
                                                scenarios[i].id + ": " + errors[i]->message};
    }
  }
  std::sort(rows.begin(), rows.end(), [](const ContingencyRow& a, const ContingencyRow& b) {
    if (a.unplaced != b.unplaced) return a.unplaced > b.unplaced;
    if (a.pupilsAffected != b.pupilsAffected) return a.pupilsAffected > b.pupilsAffected;
    if (a.scope != b.scope) return a.scope == ContingencyScope::kProvider;
    return a.id < b.id;
  });
  return rows;
}

}  // namespace samband::broker
