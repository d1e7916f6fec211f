// See class_solver.h.
#include "broker/planning/class_solver.h"

#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "broker/planning/geo_index.h"

namespace samband::broker {
namespace {

// LEMON starts potentials at its artificial cost (2^62 for 64-bit costs) and may leave some
// there, so reduced costs are computed in 128 bits.
__extension__ using Wide = __int128;

constexpr double kPi = 3.14159265358979323846;
constexpr double kHalfCircumferenceKm = kPi * kEarthRadiusKm;
// Initial arcs per sending unit: its nearest receivers until their seats cover its pupils,
// and at least this many.
constexpr std::size_t kMinInitialArcs = 8;
// Column generation adds this many arcs per sending unit in its first round, twice as many
// in each further round (up to 16x), and more while the seats behind them do not cover the
// unit's unplaced pupils: small networks, few rounds.
constexpr int kArcsAddedFirstRound = 16;
constexpr int kMaxArcsDoublings = 4;
// The GeoIndex orders by chord length, arc costs use haversine metres; the two can disagree
// by a rounding step, so pricing looks this far past its bound.
constexpr std::int64_t kOrderSlackMetres = 2;
constexpr std::int64_t kInfinity = std::numeric_limits<std::int64_t>::max();

std::int64_t toMetres(double km) { return std::llround(km * 1000.0); }

struct Candidate {
  int slot = 0;
  std::int64_t metres = 0;
  bool inNetwork = false;
};

// One sending unit of a class.
struct Source {
  int unit = 0;
  int supply = 0;
  std::vector<Candidate> near;  // eligible receivers found so far, nearest first
  std::optional<NearestCursor> cursor;
  bool exhausted = false;
  std::vector<std::size_t> arcs;   // indices into `near` of the arcs in the network
  std::vector<std::int64_t> flow;  // per arc
  std::int64_t overflow = 0;
  Wide potential = 0;
};

// Solves one class of one scenario. Phase 1: minimum cost (column generation). Phase 2:
// on the optimal face, prefer receivers that can take a whole year group.
class ClassSolver {
 public:
  ClassSolver(const PlannerIndex& index, const ClassData& data, const PlanOptions& options,
              SolverScratch& scratch)
      : index_(index), data_(data), options_(options), scratch_(scratch) {
    const double reachKm = std::min(options.maxKm, kHalfCircumferenceKm);
    maxArcMetres_ = toMetres(reachKm) + 1;
  }

  ~ClassSolver() {
    for (int slot : sinkSlots_) scratch_.localSink[slot] = -1;
  }
  ClassSolver(const ClassSolver&) = delete;
  ClassSolver& operator=(const ClassSolver&) = delete;

  // Solves for the given sending slots (sorted) and appends to `plan`. False on an
  // internal failure of the solver, which is a bug.
  bool solve(const std::vector<int>& slots, Plan& plan, std::int64_t& metreSum) {
    for (int slot : slots) {
      const int unit = data_.unitOf[slot];
      const int pupils = data_.enrolled[slot];
      if (!index_.units[unit].position) {
        plan.unplaced.push_back({index_.units[unit].code, data_.key.form, data_.key.year, pupils,
                                 kReasonNoCoordinates, UnplacedCode::kNoCoordinates,
                                 std::nullopt, 0});
        continue;
      }
      Source s;
      s.unit = unit;
      s.supply = pupils;
      seedCandidates(s);
      sources_.push_back(std::move(s));
    }
    if (sources_.empty()) return true;
    // Any augmenting path has at most one forward arc per sending unit, so this overflow
    // cost makes every min-cost flow place as many pupils as possible.
    overflowCost_ = static_cast<std::int64_t>(sources_.size() + 1) * maxArcMetres_ + 1;

    for (;;) {
      if (!run(false)) return false;
      if (!price()) break;
    }
    const Wide optimum = currentCost();
    if (needsKeepTogether()) {
      if (!run(true)) return false;
      if (currentCost() != optimum) return false;
    }
    emit(plan, metreSum);
    return true;
  }

 private:
  using Graph = lemon::SmartDigraph;
  using Simplex = lemon::NetworkSimplex<Graph, std::int64_t, std::int64_t>;

  int seats(int slot) const { return data_.seats(slot, options_.horizon); }

  bool isEligible(int slot) const {
    return !scratch_.failing[data_.unitOf[slot]] && seats(slot) > 0;
  }

  // Appends the next eligible receiver within maxKm to s.near; false when there is none.
  bool pull(Source& s) {
    if (s.exhausted) return false;
    const Unit& from = index_.units[s.unit];
    int slot = 0;
    double squared = 0.0;
    while (s.cursor->next(&slot, &squared)) {
      if (chordToKm(squared) > options_.maxKm + 1e-6) break;  // so is everything after it
      if (!isEligible(slot)) continue;
      const double km = haversineKm(*from.position, *index_.units[data_.unitOf[slot]].position);
      if (km > options_.maxKm) continue;
      s.near.push_back({slot, toMetres(km)});
      return true;
    }
    s.exhausted = true;
    return false;
  }

  void seedCandidates(Source& s) {
    if (options_.arcs == ArcSelection::kDense) {
      const GeoPoint from = *index_.units[s.unit].position;
      for (int slot = 0; slot < static_cast<int>(data_.unitOf.size()); ++slot) {
        const Unit& to = index_.units[data_.unitOf[slot]];
        if (!to.position || !isEligible(slot)) continue;
        const double km = haversineKm(from, *to.position);
        if (km <= options_.maxKm) s.near.push_back({slot, toMetres(km)});
      }
      std::sort(s.near.begin(), s.near.end(), [](const Candidate& a, const Candidate& b) {
        return a.metres != b.metres ? a.metres < b.metres : a.slot < b.slot;
      });
      s.exhausted = true;
      for (std::size_t k = 0; k < s.near.size(); ++k) addArc(s, k);
      return;
    }
    s.cursor.emplace(data_.receivers, index_.unitVectors[s.unit]);
    std::int64_t covered = 0;
    while ((covered < s.supply || s.near.size() < kMinInitialArcs) && pull(s)) {
      covered += seats(s.near.back().slot);
      addArc(s, s.near.size() - 1);
    }
  }

  // Puts s.near[k] into the network (with no flow), and its receiver if new; a new
  // receiver gets the collector's potential, as during pricing.
  void addArc(Source& s, std::size_t k) {
    Candidate& c = s.near[k];
    c.inNetwork = true;
    s.arcs.push_back(k);
    s.flow.push_back(0);
    if (scratch_.localSink[c.slot] >= 0) return;
    scratch_.localSink[c.slot] = static_cast<int>(sinkSlots_.size());
    sinkSlots_.push_back(c.slot);
    sinkPotential_.push_back(zPotential_);
  }

  Wide arcReducedCost(const Source& s, const Candidate& c) const {
    const int local = scratch_.localSink[c.slot];
    const Wide target = local >= 0 ? sinkPotential_[local] : zPotential_;
    return Wide(c.metres) + s.potential - target;
  }

  Wide sinkReducedCost(std::size_t local) const { return sinkPotential_[local] - zPotential_; }

  Wide overflowReducedCost(const Source& s) const {
    return Wide(overflowCost_) + s.potential - zPotential_;
  }

  // Builds the network over the current arcs and runs network simplex. With `keepTogether`
  // only arcs of the optimal face (zero reduced cost at the phase-1 potentials) may carry
  // flow and costs favour receivers with room for the whole group.
  // GCC 12 reports a false maybe-uninitialized inside LEMON's SmartDigraph::addNode/addArc
  // when they are inlined here.
#if defined(__GNUC__) && \
    !defined(__clang__)  // clang has no such warning (make fuzz builds with it)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  bool run(bool keepTogether) {
    Graph g;
    Graph::ArcMap<std::int64_t> cost(g);
    Graph::ArcMap<std::int64_t> lower(g);
    Graph::ArcMap<std::int64_t> upper(g);
    Graph::NodeMap<std::int64_t> supply(g);
    g.reserveNode(static_cast<int>(sources_.size() + sinkSlots_.size() + 1));
    const Graph::Node z = g.addNode();
    auto newArc = [&](Graph::Node from, Graph::Node to, std::int64_t c, std::int64_t lo,
                      std::int64_t up) {
      const Graph::Arc a = g.addArc(from, to);
      cost[a] = c;
      lower[a] = lo;
      upper[a] = up;
      return a;
    };
    // Off the optimal face an arc must stay empty (positive reduced cost) or full (negative);
    // empty arcs are left out of the phase-2 network, full seat arcs get lower = upper.
    std::vector<Graph::Node> sinkNodes;
    sinkNodes.reserve(sinkSlots_.size());
    for (std::size_t j = 0; j < sinkSlots_.size(); ++j) {
      const Graph::Node n = g.addNode();
      supply[n] = 0;
      sinkNodes.push_back(n);
      const std::int64_t cap = seats(sinkSlots_[j]);
      const Wide rc = keepTogether ? sinkReducedCost(j) : 0;
      if (rc <= 0) newArc(n, z, 0, rc < 0 ? cap : 0, cap);
    }
    std::vector<Graph::Node> sourceNodes;
    std::vector<std::vector<Graph::Arc>> arcs(sources_.size());
    std::vector<Graph::Arc> overflowArcs(sources_.size(), lemon::INVALID);
    std::int64_t total = 0;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      const Source& s = sources_[i];
      const Graph::Node n = g.addNode();
      supply[n] = s.supply;
      total += s.supply;
      sourceNodes.push_back(n);
      arcs[i].assign(s.arcs.size(), lemon::INVALID);
      for (std::size_t a = 0; a < s.arcs.size(); ++a) {
        const Candidate& c = s.near[s.arcs[a]];
        const Graph::Node to = sinkNodes[scratch_.localSink[c.slot]];
        if (!keepTogether) {
          arcs[i][a] = newArc(n, to, c.metres, 0, kInfinity);
        } else if (arcReducedCost(s, c) == 0) {
          arcs[i][a] =
              newArc(n, to, -std::min<std::int64_t>(seats(c.slot), s.supply), 0, kInfinity);
        }
      }
      if (!keepTogether) {
        overflowArcs[i] = newArc(n, z, overflowCost_, 0, kInfinity);
      } else if (overflowReducedCost(s) == 0) {
        overflowArcs[i] = newArc(n, z, 0, 0, kInfinity);
      }
    }
    supply[z] = -total;

    Simplex simplex(g);
    simplex.lowerMap(lower).upperMap(upper).costMap(cost).supplyMap(supply);
    if (simplex.run() != Simplex::OPTIMAL) return false;

    auto flowOf = [&](Graph::Arc a) -> std::int64_t {
      return a == lemon::INVALID ? 0 : simplex.flow(a);
    };
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      Source& s = sources_[i];
      for (std::size_t a = 0; a < s.arcs.size(); ++a) s.flow[a] = flowOf(arcs[i][a]);
      s.overflow = flowOf(overflowArcs[i]);
      if (!keepTogether) s.potential = simplex.potential(sourceNodes[i]);
    }
    if (!keepTogether) {
      zPotential_ = simplex.potential(z);
      for (std::size_t j = 0; j < sinkSlots_.size(); ++j) {
        sinkPotential_[j] = simplex.potential(sinkNodes[j]);
      }
    }
    return true;
  }

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

  // Column generation step: adds arcs with negative reduced cost (kArcsAddedFirstRound per
  // sending unit, growing per round, more if it has unplaced pupils). Receivers outside the network
  // get the potential of the collector node, which is dual feasible for their (empty) seat arc.
  // Returns false when none is left: the current flow is then optimal for the full network.
  // At that point arcs with zero reduced cost are added too, so that phase 2 sees the whole
  // optimal face.
  bool price() {
    const int wanted = kArcsAddedFirstRound << std::min(pricingRounds_++, kMaxArcsDoublings);
    Wide highest = zPotential_;
    for (const Wide& p : sinkPotential_) highest = std::max(highest, p);
    std::vector<std::vector<std::size_t>> negative(sources_.size());
    std::vector<std::vector<std::size_t>> zero(sources_.size());
    bool anyNegative = false;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      Source& s = sources_[i];
      // Reduced cost metres + potential - target >= metres + potential - highest.
      const Wide bound = highest - s.potential + kOrderSlackMetres;
      std::int64_t negativeSeats = 0;
      for (std::size_t k = 0;; ++k) {
        if (k == s.near.size() && !pull(s)) break;
        const Candidate& c = s.near[k];
        if (Wide(c.metres) > bound) break;
        if (c.inNetwork) continue;
        const Wide rc = arcReducedCost(s, c);
        if (rc < 0) {
          negative[i].push_back(k);
          negativeSeats += seats(c.slot);
          if (static_cast<int>(negative[i].size()) >= wanted && negativeSeats >= s.overflow) {
            break;
          }
        } else if (rc == 0) {
          zero[i].push_back(k);
        }
      }
      anyNegative = anyNegative || !negative[i].empty();
    }
    // Zero arcs keep the current flow optimal: they only widen the face phase 2 chooses from.
    auto& chosen = anyNegative ? negative : zero;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      for (std::size_t k : chosen[i]) addArc(sources_[i], k);
    }
    return anyNegative;
  }

  Wide currentCost() const {
    Wide sum = 0;
    for (const Source& s : sources_) {
      for (std::size_t a = 0; a < s.arcs.size(); ++a) {
        sum += Wide(s.flow[a]) * s.near[s.arcs[a]].metres;
      }
      sum += Wide(s.overflow) * overflowCost_;
    }
    return sum;
  }

  bool needsKeepTogether() const {
    for (const Source& s : sources_) {
      const auto used = std::count_if(s.flow.begin(), s.flow.end(), [](auto f) { return f > 0; });
      if (used > 1) return true;
    }
    return false;
  }

  void emit(Plan& plan, std::int64_t& metreSum) const {
    for (const Source& s : sources_) {
      const std::string& from = index_.units[s.unit].code;
      for (std::size_t a = 0; a < s.arcs.size(); ++a) {
        if (s.flow[a] <= 0) continue;
        const Candidate& c = s.near[s.arcs[a]];
        plan.placements.push_back({from, data_.key.form, data_.key.year,
                                   index_.units[data_.unitOf[c.slot]].code,
                                   static_cast<int>(s.flow[a]), c.metres / 1000.0});
        metreSum += s.flow[a] * c.metres;
        plan.totals.placed += s.flow[a];
      }
      if (s.overflow > 0) {
        plan.unplaced.push_back({from, data_.key.form, data_.key.year, static_cast<int>(s.overflow),
                                 s.near.empty() ? kReasonNoSeatsInReach : kReasonSeatsTaken,
                                 s.near.empty() ? UnplacedCode::kBeyondLimit
                                                : UnplacedCode::kSeatsTaken,
                                 std::nullopt, 0});
      }
    }
  }

  const PlannerIndex& index_;
  const ClassData& data_;
  const PlanOptions& options_;
  SolverScratch& scratch_;
  std::int64_t maxArcMetres_ = 0;
  std::int64_t overflowCost_ = 0;
  std::vector<Source> sources_;
  std::vector<int> sinkSlots_;
  std::vector<Wide> sinkPotential_;
  Wide zPotential_ = 0;
  int pricingRounds_ = 0;
};

}  // namespace

SolverScratch makeSolverScratch(const PlannerIndex& index) {
  SolverScratch s;
  s.failing.assign(index.units.size(), 0);
  s.localSink.assign(index.maxSlots, -1);
  return s;
}

common::Status solveClass(const PlannerIndex& index, const ClassData& data,
                          const std::vector<int>& slots, const PlanOptions& options,
                          SolverScratch& scratch, Plan& plan, std::int64_t& metreSum) {
  ClassSolver solver(index, data, options, scratch);
  if (!solver.solve(slots, plan, metreSum)) {
    return common::internalError("internal: the flow solver found no optimum (a bug)");
  }
  return {};
}

}  // namespace samband::broker
