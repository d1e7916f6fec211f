// Benchmarks of the takeover planner on generated cities: Stockholm size (1,000 units, 400
// providers) and national size (10,000 units, 4,000 providers), each unit with 10 classes, with
// the objective of issue 12 (most placed, fewest pieces, least pupil-km; 95% headroom).
// Targets on 2 cores: Stockholm, largest private provider < 1 s; Stockholm N-1 + districts
// < 10 s; national N-1 < 2 min.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "broker/planning/planner.h"

namespace samband::broker {
namespace {

struct CityShape {
  int units;
  int providers;
  int districts;
  double latMin, latMax, lonMin, lonMax;  // where district centres lie
  double spreadDegrees;                   // spread of units around their district centre
  double municipalShare;                  // units run by the district's own municipality
  bool oneMunicipality;                   // Stockholm: one city provider for all districts
  double maxKm;
  unsigned seed;
};

struct City {
  PlanningInput input;
  PlanOptions options;
  std::vector<std::string> largestPrivateProvider;  // its unit codes
  std::vector<std::string> largestMunicipalProvider;
  std::vector<std::string> largestDistrict;
};

// Units cluster around district centres (district sizes skewed like real municipalities);
// each district's municipality runs a share of its units, private providers the rest, with
// a few large chains and many single-unit providers. Classes: forskoleklass 0 and
// grundskola 1-9; 15-28 pupils and 0-3 free seats now, 0-3 more within 72 h.
City makeCity(const CityShape& shape) {
  std::mt19937 rng(shape.seed);
  std::uniform_real_distribution<double> unit01(0.0, 1.0);
  std::normal_distribution<double> spread(0.0, shape.spreadDegrees);
  std::uniform_int_distribution<int> pupils(15, 28);
  std::uniform_int_distribution<int> seats(0, 3);

  std::vector<double> weight(shape.districts);
  double weightSum = 0.0;
  for (int d = 0; d < shape.districts; ++d) weightSum += weight[d] = 1.0 / std::sqrt(d + 1.0);
  std::vector<std::pair<double, double>> centre(shape.districts);
  for (auto& c : centre) {
    c = {shape.latMin + unit01(rng) * (shape.latMax - shape.latMin),
         shape.lonMin + unit01(rng) * (shape.lonMax - shape.lonMin)};
  }
  std::discrete_distribution<int> pickDistrict(weight.begin(), weight.end());

  const int municipalProviders = shape.oneMunicipality ? 1 : shape.districts;
  const int privateProviders = shape.providers - municipalProviders;
  // Chains: provider p gets weight 1/(p+1); every provider gets at least one unit below.
  std::vector<double> chainWeight(privateProviders);
  for (int p = 0; p < privateProviders; ++p) chainWeight[p] = 1.0 / (p + 1.0);
  std::discrete_distribution<int> pickChain(chainWeight.begin(), chainWeight.end());
  auto providerId = [](int p) {  // "NNNNNN-NNNN", ordered like p
    const std::string serial = std::to_string(10000 + p % 10000).substr(1);
    return std::to_string(100000 + p) + "-" + serial;
  };

  City city;
  city.options.maxKm = shape.maxKm;
  std::map<std::string, std::vector<std::string>> byProvider;
  std::map<std::string, std::vector<std::string>> byDistrict;
  int nextPrivate = 0;
  for (int u = 0; u < shape.units; ++u) {
    const int d = pickDistrict(rng);
    const std::string code = std::to_string(10000000 + u);
    std::string provider;
    if (unit01(rng) < shape.municipalShare) {
      provider = providerId(shape.oneMunicipality ? 0 : d);
    } else if (nextPrivate < privateProviders) {
      provider = providerId(municipalProviders + nextPrivate++);
    } else {
      provider = providerId(municipalProviders + pickChain(rng));
    }
    const std::string district = "district-" + std::to_string(d);
    GeoPoint at{centre[d].first + spread(rng), centre[d].second + spread(rng) * 2.0};
    at.lat = std::clamp(at.lat, -89.0, 89.0);
    city.input.units.push_back(Unit{code, "Skola " + code, provider, district, at});
    byProvider[provider].push_back(code);
    byDistrict[district].push_back(code);
    for (int year = 0; year <= 9; ++year) {
      const int now = seats(rng);
      city.input.cohorts.push_back(
          Cohort{code, ClassKey{year == 0 ? "forskoleklass" : "grundskola", year}, pupils(rng), now,
                 now + seats(rng)});
    }
  }
  for (auto& [id, codes] : byProvider) {
    const bool municipal = id < providerId(municipalProviders);
    auto& best = municipal ? city.largestMunicipalProvider : city.largestPrivateProvider;
    if (codes.size() > best.size()) best = codes;
  }
  for (auto& [id, codes] : byDistrict) {
    if (codes.size() > city.largestDistrict.size()) city.largestDistrict = codes;
  }
  return city;
}

const City& stockholm() {
  static const City city =
      makeCity({1000, 400, 14, 59.25, 59.40, 17.90, 18.15, 0.02, 0.55, true, 10.0, 1});
  return city;
}

const City& national() {
  static const City city =
      makeCity({10000, 4000, 290, 55.5, 67.0, 12.5, 22.0, 0.05, 0.5, false, 30.0, 2});
  return city;
}

const Planner& plannerFor(const City& city) {
  static std::map<const City*, Planner> planners;
  auto it = planners.find(&city);
  if (it == planners.end()) {
    auto result = Planner::create(city.input);
    it = planners.emplace(&city, std::move(result).value()).first;
  }
  return it->second;
}

void runPlan(benchmark::State& state, const City& city, const std::vector<std::string>& failing,
             ArcSelection arcs) {
  const Planner& planner = plannerFor(city);
  PlanOptions options = city.options;
  options.arcs = arcs;
  PlanTotals totals;
  SolverInfo solver;
  for (auto _ : state) {
    auto result = planner.plan(failing, options);
    if (!result) {
      state.SkipWithError(result.error().message.c_str());
      return;
    }
    totals = result->totals;
    solver = result->solver;
  }
  state.counters["failing_units"] = static_cast<double>(failing.size());
  state.counters["pupils"] = static_cast<double>(totals.pupilsToPlace);
  state.counters["unplaced"] = static_cast<double>(totals.unplaced);
  state.counters["pupil_km"] = totals.pupilKm;
  state.counters["pieces"] = static_cast<double>(totals.pieces);
  state.counters["split_groups"] = static_cast<double>(totals.splitGroups);
  state.counters["integer_programs"] = static_cast<double>(solver.integerPrograms);
  state.counters["optimal"] = solver.optimal ? 1.0 : 0.0;
  state.counters["gap_pieces"] = static_cast<double>(solver.gapPieces);
}

void runContingency(benchmark::State& state, const City& city) {
  const Planner& planner = plannerFor(city);
  std::size_t scenarios = 0;
  std::int64_t worst = 0;
  std::int64_t notOptimal = 0;
  // The benchmark's CPU column counts the main thread only; std::clock counts all threads.
  const std::clock_t start = std::clock();
  for (auto _ : state) {
    auto result = planner.contingency(city.options, static_cast<unsigned>(state.range(0)));
    if (!result) {
      state.SkipWithError(result.error().message.c_str());
      return;
    }
    const auto& rows = *result;
    scenarios = rows.size();
    worst = rows.empty() ? 0 : rows.front().unplaced;
    notOptimal = std::count_if(rows.begin(), rows.end(),
                               [](const ContingencyRow& r) { return !r.optimal; });
  }
  const double cpuSeconds = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  state.counters["all_threads_cpu_s"] =
      cpuSeconds / static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
  state.counters["scenarios"] = static_cast<double>(scenarios);
  state.counters["worst_unplaced"] = static_cast<double>(worst);
  state.counters["not_optimal"] = static_cast<double>(notOptimal);
}

void BM_StockholmBuildPlanner(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Planner::create(stockholm().input));
}
void BM_StockholmPlanLargestPrivateProvider(benchmark::State& state) {
  runPlan(state, stockholm(), stockholm().largestPrivateProvider, ArcSelection::kColumnGeneration);
}
void BM_StockholmPlanCityProvider(benchmark::State& state) {
  runPlan(state, stockholm(), stockholm().largestMunicipalProvider,
          ArcSelection::kColumnGeneration);
}
void BM_StockholmPlanLargestDistrict(benchmark::State& state) {
  runPlan(state, stockholm(), stockholm().largestDistrict, ArcSelection::kColumnGeneration);
}
void BM_StockholmPlanCityProviderDense(benchmark::State& state) {
  runPlan(state, stockholm(), stockholm().largestMunicipalProvider, ArcSelection::kDense);
}
void BM_StockholmContingency(benchmark::State& state) { runContingency(state, stockholm()); }

void BM_NationalBuildPlanner(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Planner::create(national().input));
}
void BM_NationalPlanLargestPrivateProvider(benchmark::State& state) {
  runPlan(state, national(), national().largestPrivateProvider, ArcSelection::kColumnGeneration);
}
void BM_NationalPlanLargestDistrict(benchmark::State& state) {
  runPlan(state, national(), national().largestDistrict, ArcSelection::kColumnGeneration);
}
void BM_NationalContingency(benchmark::State& state) { runContingency(state, national()); }

BENCHMARK(BM_StockholmBuildPlanner)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StockholmPlanLargestPrivateProvider)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StockholmPlanCityProvider)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StockholmPlanLargestDistrict)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StockholmPlanCityProviderDense)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_StockholmContingency)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_NationalBuildPlanner)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NationalPlanLargestPrivateProvider)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NationalPlanLargestDistrict)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NationalContingency)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace samband::broker

BENCHMARK_MAIN();
