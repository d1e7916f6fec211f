// Takeover planner: one min-cost flow per class (form, year) solved with LEMON's network
// simplex, arcs chosen by column generation over a k-d tree of receiving units, then a
// second pass on the optimal face to keep year groups together. Model: docs/planning.md.
#include "broker/planning/planner.h"

#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace samband::broker {
namespace {

// LEMON starts potentials at its artificial cost (2^62 for 64-bit costs) and may leave some
// there, so reduced costs are computed in 128 bits.
__extension__ using Wide = __int128;

constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;
constexpr double kHalfCircumferenceKm = kPi * kEarthRadiusKm;
constexpr int kLeafSize = 8;
// Initial arcs per sending unit: its nearest receivers until their seats cover its pupils,
// and at least this many.
constexpr std::size_t kMinInitialArcs = 8;
// Column generation adds this many arcs per sending unit in its first round, twice as many
// in each further round (up to 16x), and more while the seats behind them do not cover the
// unit's unplaced pupils: small networks, few rounds.
constexpr int kArcsAddedFirstRound = 16;
constexpr int kMaxArcsDoublings = 4;
// The k-d tree orders by chord length, arc costs use haversine metres; the two can disagree
// by a rounding step, so pricing looks this far past its bound.
constexpr std::int64_t kOrderSlackMetres = 2;
constexpr std::int64_t kInfinity = std::numeric_limits<std::int64_t>::max();

struct Vec3 {
  double x = 0.0;
  double y = 0.0;
  double z = 0.0;
};

Vec3 toUnitVector(GeoPoint p) {
  const double lat = p.lat * kDegToRad;
  const double lon = p.lon * kDegToRad;
  return {std::cos(lat) * std::cos(lon), std::cos(lat) * std::sin(lon), std::sin(lat)};
}

double squaredChord(const Vec3& a, const Vec3& b) {
  const double dx = a.x - b.x;
  const double dy = a.y - b.y;
  const double dz = a.z - b.z;
  return dx * dx + dy * dy + dz * dz;
}

double chordToKm(double squared) {
  return 2.0 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(squared) / 2.0));
}

std::int64_t toMetres(double km) { return std::llround(km * 1000.0); }

// Static 3-d tree over points on the unit sphere; chord order equals great-circle order.
class KdTree {
 public:
  KdTree() = default;
  explicit KdTree(std::vector<std::pair<Vec3, int>> points) : items_(std::move(points)) {
    if (!items_.empty()) build(0, static_cast<int>(items_.size()));
  }

 private:
  friend class NearestCursor;
  struct Node {
    Vec3 lo;
    Vec3 hi;
    int begin = 0;
    int end = 0;
    int left = -1;
    int right = -1;
  };

  static double axisOf(const Vec3& v, int axis) { return axis == 0 ? v.x : axis == 1 ? v.y : v.z; }

  int build(int begin, int end) {
    Node node;
    node.begin = begin;
    node.end = end;
    node.lo = node.hi = items_[begin].first;
    for (int i = begin + 1; i < end; ++i) {
      const Vec3& p = items_[i].first;
      node.lo = {std::min(node.lo.x, p.x), std::min(node.lo.y, p.y), std::min(node.lo.z, p.z)};
      node.hi = {std::max(node.hi.x, p.x), std::max(node.hi.y, p.y), std::max(node.hi.z, p.z)};
    }
    const int index = static_cast<int>(nodes_.size());
    nodes_.push_back(node);
    if (end - begin <= kLeafSize) return index;
    const double ex = node.hi.x - node.lo.x;
    const double ey = node.hi.y - node.lo.y;
    const double ez = node.hi.z - node.lo.z;
    const int axis = (ex >= ey && ex >= ez) ? 0 : (ey >= ez ? 1 : 2);
    const int mid = begin + (end - begin) / 2;
    std::nth_element(items_.begin() + begin, items_.begin() + mid, items_.begin() + end,
                     [axis](const auto& a, const auto& b) {
                       const double va = axisOf(a.first, axis);
                       const double vb = axisOf(b.first, axis);
                       return va != vb ? va < vb : a.second < b.second;
                     });
    const int left = build(begin, mid);
    const int right = build(mid, end);
    nodes_[index].left = left;
    nodes_[index].right = right;
    return index;
  }

  std::vector<std::pair<Vec3, int>> items_;
  std::vector<Node> nodes_;
};

// Incremental nearest-neighbour search: yields the tree's points in order of increasing
// distance from a query point (ties by id), as far as the caller asks.
class NearestCursor {
 public:
  NearestCursor(const KdTree& tree, Vec3 query) : tree_(&tree), query_(query) {
    if (!tree.nodes_.empty()) heap_.push({boxDistance(tree.nodes_[0]), 0, 0});
  }

  // Next point: its id and squared chord distance; false when none is left.
  bool next(int* id, double* squared) {
    while (!heap_.empty()) {
      const Entry top = heap_.top();
      heap_.pop();
      if (top.kind == 1) {
        *id = top.key;
        *squared = top.distance;
        return true;
      }
      const KdTree::Node& node = tree_->nodes_[top.key];
      if (node.left < 0) {
        for (int i = node.begin; i < node.end; ++i) {
          const auto& item = tree_->items_[i];
          heap_.push({squaredChord(query_, item.first), 1, item.second});
        }
      } else {
        heap_.push({boxDistance(tree_->nodes_[node.left]), 0, node.left});
        heap_.push({boxDistance(tree_->nodes_[node.right]), 0, node.right});
      }
    }
    return false;
  }

 private:
  struct Entry {
    double distance;
    int kind;  // 0 = tree node (expanded before points at equal distance), 1 = point
    int key;   // node index or point id
    bool operator>(const Entry& o) const {
      if (distance != o.distance) return distance > o.distance;
      if (kind != o.kind) return kind > o.kind;
      return key > o.key;
    }
  };

  double boxDistance(const KdTree::Node& n) const {
    auto gap = [](double q, double lo, double hi) {
      return q < lo ? lo - q : (q > hi ? q - hi : 0.0);
    };
    const double dx = gap(query_.x, n.lo.x, n.hi.x);
    const double dy = gap(query_.y, n.lo.y, n.hi.y);
    const double dz = gap(query_.z, n.lo.z, n.hi.z);
    return dx * dx + dy * dy + dz * dz;
  }

  const KdTree* tree_;
  Vec3 query_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
};

// Everything known about one class: one slot per unit that has a cohort in it.
struct ClassData {
  ClassKey key;
  std::vector<int> unitOf;  // slot -> unit index
  std::vector<int> enrolled;
  std::vector<int> seatsNow;
  std::vector<int> seatsWithin72h;
  KdTree receivers;  // slots with a position and seats at either horizon

  int seats(int slot, Horizon horizon) const {
    return horizon == Horizon::kNow ? seatsNow[slot] : seatsWithin72h[slot];
  }
};

struct Scenario {
  ContingencyScope scope;
  std::string id;
  std::vector<int> units;
};

}  // namespace

struct PlannerIndex {
  std::vector<Unit> units;  // sorted by code, so unit index order is code order
  std::vector<Vec3> unitVectors;
  std::vector<std::vector<std::pair<int, int>>> cohortsOfUnit;  // (class, slot) per unit
  std::vector<ClassData> classes;                               // sorted by key
  std::size_t maxSlots = 0;

  int findUnit(const std::string& code) const {
    auto it = std::lower_bound(units.begin(), units.end(), code,
                               [](const Unit& u, const std::string& c) { return u.code < c; });
    return (it != units.end() && it->code == code) ? static_cast<int>(it - units.begin()) : -1;
  }
};

namespace {

// Per-thread working memory, reused across scenarios.
struct Scratch {
  std::vector<char> failing;   // per unit
  std::vector<int> localSink;  // per slot of the class being solved; -1 = not in network
};

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
              Scratch& scratch)
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
                                 kReasonNoCoordinates});
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
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
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

#pragma GCC diagnostic pop

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
                                 s.near.empty() ? kReasonNoSeatsInReach : kReasonSeatsTaken});
      }
    }
  }

  const PlannerIndex& index_;
  const ClassData& data_;
  const PlanOptions& options_;
  Scratch& scratch_;
  std::int64_t maxArcMetres_ = 0;
  std::int64_t overflowCost_ = 0;
  std::vector<Source> sources_;
  std::vector<int> sinkSlots_;
  std::vector<Wide> sinkPotential_;
  Wide zPotential_ = 0;
  int pricingRounds_ = 0;
};

std::optional<PlanError> validateOptions(const PlanOptions& options) {
  if (!(options.maxKm > 0.0)) {
    return PlanError{"maxKm must be greater than 0 (got " + std::to_string(options.maxKm) + ")"};
  }
  return std::nullopt;
}

std::string describeCohort(const Cohort& c) {
  return "cohort " + c.unitCode + " " + c.key.form + ":" + std::to_string(c.key.year);
}

std::optional<PlanError> validateInput(const PlanningInput& input) {
  for (std::size_t i = 0; i < input.units.size(); ++i) {
    const Unit& u = input.units[i];
    if (u.code.empty()) return PlanError{"unit #" + std::to_string(i + 1) + " has no code"};
    if (u.position) {
      const GeoPoint p = *u.position;
      if (!std::isfinite(p.lat) || p.lat < -90.0 || p.lat > 90.0) {
        return PlanError{"unit " + u.code + ": lat must be within -90..90"};
      }
      if (!std::isfinite(p.lon) || p.lon < -180.0 || p.lon > 180.0) {
        return PlanError{"unit " + u.code + ": lon must be within -180..180"};
      }
    }
  }
  for (const Cohort& c : input.cohorts) {
    if (c.key.form.empty()) return PlanError{describeCohort(c) + ": form must not be empty"};
    if (c.key.year < 0) return PlanError{describeCohort(c) + ": year must not be negative"};
    if (c.enrolled < 0) return PlanError{describeCohort(c) + ": enrolled must not be negative"};
    if (c.seatsNow < 0) return PlanError{describeCohort(c) + ": seatsNow must not be negative"};
    if (c.seatsWithin72h < 0) {
      return PlanError{describeCohort(c) + ": seatsWithin72h must not be negative"};
    }
  }
  return std::nullopt;
}

}  // namespace

double haversineKm(GeoPoint a, GeoPoint b) {
  const double lat1 = a.lat * kDegToRad;
  const double lat2 = b.lat * kDegToRad;
  const double sinLat = std::sin((lat2 - lat1) / 2.0);
  const double sinLon = std::sin((b.lon - a.lon) * kDegToRad / 2.0);
  const double h = sinLat * sinLat + std::cos(lat1) * std::cos(lat2) * sinLon * sinLon;
  return 2.0 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
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

PlanResult<Planner> Planner::create(PlanningInput input) {
  if (auto error = validateInput(input)) return *error;
  auto index = std::make_unique<PlannerIndex>();
  index->units = std::move(input.units);
  std::sort(index->units.begin(), index->units.end(),
            [](const Unit& a, const Unit& b) { return a.code < b.code; });
  for (std::size_t i = 1; i < index->units.size(); ++i) {
    if (index->units[i].code == index->units[i - 1].code) {
      return PlanError{"unit code " + index->units[i].code + " appears more than once"};
    }
  }
  const std::size_t unitCount = index->units.size();
  index->unitVectors.resize(unitCount);
  for (std::size_t u = 0; u < unitCount; ++u) {
    if (index->units[u].position) index->unitVectors[u] = toUnitVector(*index->units[u].position);
  }

  // Group cohorts by class; within a class, slots follow unit order.
  std::vector<std::pair<int, const Cohort*>> byUnit;
  byUnit.reserve(input.cohorts.size());
  for (const Cohort& c : input.cohorts) {
    const int unit = index->findUnit(c.unitCode);
    if (unit < 0) return PlanError{describeCohort(c) + ": unknown unit " + c.unitCode};
    byUnit.emplace_back(unit, &c);
  }
  std::sort(byUnit.begin(), byUnit.end(), [](const auto& a, const auto& b) {
    if (a.second->key != b.second->key) return a.second->key < b.second->key;
    return a.first < b.first;
  });
  index->cohortsOfUnit.resize(unitCount);
  std::vector<std::vector<std::pair<Vec3, int>>> receiverPoints;
  for (std::size_t i = 0; i < byUnit.size(); ++i) {
    const auto& [unit, cohort] = byUnit[i];
    if (index->classes.empty() || index->classes.back().key != cohort->key) {
      index->classes.push_back(ClassData{});
      index->classes.back().key = cohort->key;
      receiverPoints.emplace_back();
    } else if (index->classes.back().unitOf.back() == unit) {
      return PlanError{describeCohort(*cohort) + " appears more than once"};
    }
    ClassData& data = index->classes.back();
    const int slot = static_cast<int>(data.unitOf.size());
    data.unitOf.push_back(unit);
    data.enrolled.push_back(cohort->enrolled);
    data.seatsNow.push_back(cohort->seatsNow);
    data.seatsWithin72h.push_back(cohort->seatsWithin72h);
    const int classIndex = static_cast<int>(index->classes.size() - 1);
    index->cohortsOfUnit[unit].emplace_back(classIndex, slot);
    if (index->units[unit].position && (cohort->seatsNow > 0 || cohort->seatsWithin72h > 0)) {
      receiverPoints.back().emplace_back(index->unitVectors[unit], slot);
    }
  }
  for (std::size_t c = 0; c < index->classes.size(); ++c) {
    index->classes[c].receivers = KdTree(std::move(receiverPoints[c]));
    index->maxSlots = std::max(index->maxSlots, index->classes[c].unitOf.size());
  }
  return Planner(std::move(index));
}

namespace {

// Plans for failing unit indices; `scratch` must be sized for `index` and all clear.
PlanResult<Plan> planUnits(const PlannerIndex& index, std::vector<int> failing,
                           const PlanOptions& options, Scratch& scratch) {
  std::sort(failing.begin(), failing.end());
  failing.erase(std::unique(failing.begin(), failing.end()), failing.end());
  for (int u : failing) scratch.failing[u] = 1;

  std::vector<std::pair<int, int>> work;  // (class, slot) of every pupil group to place
  Plan plan;
  for (int u : failing) {
    for (const auto& [cls, slot] : index.cohortsOfUnit[u]) {
      const int pupils = index.classes[cls].enrolled[slot];
      if (pupils <= 0) continue;
      work.emplace_back(cls, slot);
      plan.totals.pupilsToPlace += pupils;
    }
  }
  std::sort(work.begin(), work.end());
  std::int64_t metreSum = 0;
  bool ok = true;
  std::vector<int> slots;
  for (std::size_t i = 0; i < work.size() && ok;) {
    const int cls = work[i].first;
    slots.clear();
    for (; i < work.size() && work[i].first == cls; ++i) slots.push_back(work[i].second);
    ClassSolver solver(index, index.classes[cls], options, scratch);
    ok = solver.solve(slots, plan, metreSum);
  }
  for (int u : failing) scratch.failing[u] = 0;
  if (!ok) return PlanError{"internal: the flow solver found no optimum (a bug)"};

  for (const Unplaced& r : plan.unplaced) plan.totals.unplaced += r.pupils;
  plan.totals.pupilKm = static_cast<double>(metreSum) / 1000.0;
  std::sort(plan.placements.begin(), plan.placements.end(),
            [](const Placement& a, const Placement& b) {
              return std::tie(a.fromUnit, a.form, a.year, a.toUnit) <
                     std::tie(b.fromUnit, b.form, b.year, b.toUnit);
            });
  std::sort(plan.unplaced.begin(), plan.unplaced.end(), [](const Unplaced& a, const Unplaced& b) {
    return std::tie(a.fromUnit, a.form, a.year) < std::tie(b.fromUnit, b.form, b.year);
  });
  return plan;
}

Scratch makeScratch(const PlannerIndex& index) {
  Scratch s;
  s.failing.assign(index.units.size(), 0);
  s.localSink.assign(index.maxSlots, -1);
  return s;
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
  for (const Unplaced& r : plan.unplaced) row.missingSeatsByForm[r.form] += r.pupils;
  return row;
}

}  // namespace

PlanResult<Plan> Planner::plan(const std::vector<std::string>& failingUnitCodes,
                               const PlanOptions& options) const {
  if (auto error = validateOptions(options)) return *error;
  std::vector<int> failing;
  failing.reserve(failingUnitCodes.size());
  for (const std::string& code : failingUnitCodes) {
    const int unit = index_->findUnit(code);
    if (unit < 0) return PlanError{"failing unit " + code + " is not a known unit"};
    failing.push_back(unit);
  }
  Scratch scratch = makeScratch(*index_);
  return planUnits(*index_, std::move(failing), options, scratch);
}

PlanResult<std::vector<ContingencyRow>> Planner::contingency(const PlanOptions& options,
                                                             unsigned threads) const {
  if (auto error = validateOptions(options)) return *error;
  const std::vector<Scenario> scenarios = scenariosOf(index_->units);
  std::vector<ContingencyRow> rows(scenarios.size());
  std::vector<std::optional<PlanError>> errors(scenarios.size());
  // Largest scenarios first, so that no thread is left with a big one at the end.
  std::vector<std::size_t> order(scenarios.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return scenarios[a].units.size() > scenarios[b].units.size();
  });
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    Scratch scratch = makeScratch(*index_);
    for (std::size_t n = next++; n < order.size(); n = next++) {
      const std::size_t i = order[n];
      try {
        auto result = planUnits(*index_, scenarios[i].units, options, scratch);
        if (auto* plan = std::get_if<Plan>(&result)) {
          rows[i] = summarise(scenarios[i], *plan);
        } else {
          errors[i] = std::get<PlanError>(result);
        }
      } catch (const std::exception& e) {
        // Keep the other scenarios going; the failure is reported below.
        errors[i] = PlanError{std::string("internal: ") + e.what()};
        std::fill(scratch.failing.begin(), scratch.failing.end(), 0);
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
      return PlanError{std::string(scopeName(scenarios[i].scope)) + " " + scenarios[i].id + ": " +
                       errors[i]->message};
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
