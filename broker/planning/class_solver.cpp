// See class_solver.h. The stages, the minimum-cut split and the gap loop are explained in
// docs/planning.md ("The model", "The exact stages"); comments here say why, not what.
#include "broker/planning/class_solver.h"

#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "broker/planning/geo_index.h"
#include "broker/planning/piece_problem.h"
#include "broker/planning/source_table.h"

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
// by a rounding step, so searches look this far past their bound.
constexpr std::int64_t kOrderSlackMetres = 2;
constexpr std::int64_t kInfinity = std::numeric_limits<std::int64_t>::max();
// The gap loop starts by allowing this many pupil-metres above the bound (the bound is usually
// that close: small integer programs first), and gives up excluding arcs after this many rounds.
constexpr std::int64_t kFirstGapMetres = 64;
constexpr int kMaxGapRounds = 16;

std::int64_t toMetres(double km) { return std::llround(km * 1000.0); }

struct Candidate {
  int slot = 0;
  std::int64_t metres = 0;
  bool inNetwork = false;
};

// One sending year group of the class.
struct Source {
  int unit = 0;
  int supply = 0;
  std::vector<Candidate> near;  // eligible receivers found so far, nearest first
  std::optional<NearestCursor> cursor;
  bool exhausted = false;
  // Stage 1: the arcs in the flow network (indices into `near`) and their flow.
  std::vector<std::size_t> arcs;
  std::vector<std::int64_t> flow;
  std::int64_t overflow = 0;
  Wide potential = 0;
  // Which side of the minimum cut: in the short part every seat the group can reach is taken.
  bool isShort = false;
  // Ample part: receivers of the ample part found so far (indices into `near`), the fewest
  // receivers that can take the group, and its SourceTable.
  std::vector<std::size_t> ample;
  std::size_t scanned = 0;  // entries of `near` looked at for `ample`
  int fewest = 0;
  std::optional<SourceTable> table;
  // The plan: (index into `near`, pupils).
  std::vector<std::pair<std::size_t, int>> placed;
};

struct Receiver {
  int slot = 0;
  int seats = 0;  // usable seats: floor(fill * free seats)
  bool inNetwork = false;
  int networkIndex = -1;
  Wide potential = 0;
  bool isShort = false;
};

// Union-find over the nodes of a part (its sources, then its receivers).
class Components {
 public:
  explicit Components(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  std::size_t find(std::size_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void join(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<std::size_t> parent_;
};


// Whether a node with `slack` spare capacity stays within it in every plan whose pupil-metres
// exceed the bound by at most `gap` (< 0: any plan): each item is an arc that would bring
// `extra` more pupils at a rise of at least `rise`, and the cheapest way to bring slack + 1,
// even taking fractions of arcs, costs more than the gap.
bool cannotOverfill(std::vector<std::pair<Wide, std::int64_t>>& items, std::int64_t slack,
                    Wide gap) {
  if (slack < 0) return false;
  std::int64_t total = 0;
  for (const auto& item : items) total += item.second;
  if (total <= slack) return true;
  if (gap < 0) return false;
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    return a.first * b.second < b.first * a.second;
  });
  std::int64_t need = slack + 1;
  Wide cost = 0;
  for (const auto& [rise, extra] : items) {
    const std::int64_t take = std::min(extra, need);
    cost += rise * take / extra;
    need -= take;
    if (need == 0 || cost > gap) break;
  }
  return cost > gap;
}

class ClassSolver {
 public:
  ClassSolver(const PlannerIndex& index, const ClassData& data, const ClassRequest& request,
              SolverScratch& scratch, SolveReport& report)
      : index_(index),
        data_(data),
        options_(*request.options),
        request_(request),
        scratch_(scratch),
        report_(report) {
    const double reachKm = std::min(options_.maxKm, kHalfCircumferenceKm);
    maxArcMetres_ = toMetres(reachKm) + 1;
    maxSeats_ = usableSeats(data_.mostSeats(options_.horizon));
  }

  ~ClassSolver() {
    for (const Receiver& r : receivers_) scratch_.localSink[r.slot] = -1;
  }
  ClassSolver(const ClassSolver&) = delete;
  ClassSolver& operator=(const ClassSolver&) = delete;

  // Stage 1 only: the min-cost flow that places the most pupils. Unplaced pupils per unit.
  std::optional<std::map<int, std::int64_t>> unplacedByFlow(const std::vector<int>& slots) {
    addSources(slots, nullptr);
    if (!solveFlow()) return std::nullopt;
    std::map<int, std::int64_t> out;
    for (const Source& s : sources_) out[s.unit] = s.overflow;
    return out;
  }

  // All stages; appends to `plan`. Empty string on success, else what went wrong (a bug).
  std::string solve(const std::vector<int>& slots, Plan& plan, std::int64_t& metreSum) {
    addSources(slots, &plan);
    if (sources_.empty()) return {};
    if (!solveFlow()) return "the flow solver found no optimum";
    if (std::string error = classify(); !error.empty()) return error;
    if (std::string error = solveShort(); !error.empty()) return error;
    if (std::string error = solveAmple(); !error.empty()) return error;
    emit(plan, metreSum);
    return {};
  }

 private:
  using Graph = lemon::SmartDigraph;
  using Simplex = lemon::NetworkSimplex<Graph, std::int64_t, std::int64_t>;

  bool pastDeadline() const { return std::chrono::steady_clock::now() >= request_.deadline; }

  // Usable seats of a slot: floor(fill * free seats at the horizon). The epsilon keeps
  // 0.95 * 20 at 19 although 0.95 is not exact in binary.
  int usableSeats(int free) const {
    if (free <= 0) return 0;
    return static_cast<int>(std::floor(options_.fill * free + 1e-9));
  }
  int seatsOf(int slot) const { return usableSeats(data_.seats(slot, options_.horizon)); }

  bool isEligible(int slot) const {
    const int unit = data_.unitOf[slot];
    return !scratch_.failing[unit] && !scratch_.notReceiving[unit] && seatsOf(slot) > 0;
  }

  int receiverOf(int slot) {
    int& local = scratch_.localSink[slot];
    if (local < 0) {
      local = static_cast<int>(receivers_.size());
      Receiver r;
      r.slot = slot;
      r.seats = seatsOf(slot);
      receivers_.push_back(r);
    }
    return local;
  }

  Wide potentialOf(int receiver) const {
    const Receiver& r = receivers_[receiver];
    return r.inNetwork ? r.potential : zPotential_;
  }

  void addSources(const std::vector<int>& slots, Plan* plan) {
    for (int slot : slots) {
      const int unit = data_.unitOf[slot];
      const int pupils = data_.enrolled[slot];
      if (pupils <= 0) continue;
      if (!index_.units[unit].position) {
        if (plan) {
          plan->unplaced.push_back({index_.units[unit].code, data_.key.form, data_.key.year,
                                    pupils, kReasonNoCoordinates, UnplacedCode::kNoCoordinates,
                                    std::nullopt, 0});
        }
        continue;
      }
      Source s;
      s.unit = unit;
      s.supply = pupils;
      sources_.push_back(std::move(s));
    }
    for (Source& s : sources_) seedCandidates(s);
  }

  // ---- Stage 1: most pupils placed, least pupil-metres (min-cost flow) -------------------

  bool solveFlow() {
    if (sources_.empty()) return true;
    // Any augmenting path has at most one forward arc per sending unit, so this overflow
    // cost makes every min-cost flow place as many pupils as possible.
    overflowCost_ = static_cast<std::int64_t>(sources_.size() + 1) * maxArcMetres_ + 1;
    for (;;) {
      if (!run()) return false;
      if (!price()) return true;
    }
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

  void pullAll(Source& s) {
    while (pull(s)) {
    }
  }

  void seedCandidates(Source& s) {
    s.cursor.emplace(data_.receivers, index_.unitVectors[s.unit]);
    if (options_.arcs == ArcSelection::kDense) {
      pullAll(s);
      for (std::size_t k = 0; k < s.near.size(); ++k) addArc(s, k);
      return;
    }
    std::int64_t covered = 0;
    while ((covered < s.supply || s.near.size() < kMinInitialArcs) && pull(s)) {
      covered += seatsOf(s.near.back().slot);
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
    const int local = receiverOf(c.slot);
    Receiver& r = receivers_[local];
    if (r.inNetwork) return;
    r.inNetwork = true;
    r.networkIndex = static_cast<int>(network_.size());
    r.potential = zPotential_;
    network_.push_back(local);
  }

  Wide arcReducedCost(const Source& s, const Candidate& c) const {
    const int local = scratch_.localSink[c.slot];
    const Wide target = local >= 0 ? potentialOf(local) : zPotential_;
    return Wide(c.metres) + s.potential - target;
  }

  // GCC 12 reports a false maybe-uninitialized inside LEMON's SmartDigraph::addNode/addArc
  // when they are inlined here.
#if defined(__GNUC__) && \
    !defined(__clang__)  // clang has no such warning (make fuzz builds with it)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  bool run() {
    Graph g;
    Graph::ArcMap<std::int64_t> cost(g);
    Graph::ArcMap<std::int64_t> upper(g);
    Graph::NodeMap<std::int64_t> supply(g);
    g.reserveNode(static_cast<int>(sources_.size() + network_.size() + 1));
    const Graph::Node z = g.addNode();
    auto newArc = [&](Graph::Node from, Graph::Node to, std::int64_t c, std::int64_t up) {
      const Graph::Arc a = g.addArc(from, to);
      cost[a] = c;
      upper[a] = up;
      return a;
    };
    std::vector<Graph::Node> sinkNodes;
    sinkNodes.reserve(network_.size());
    for (int local : network_) {
      const Graph::Node n = g.addNode();
      supply[n] = 0;
      sinkNodes.push_back(n);
      newArc(n, z, 0, receivers_[local].seats);
    }
    std::vector<Graph::Node> sourceNodes;
    std::vector<std::vector<Graph::Arc>> arcs(sources_.size());
    std::vector<Graph::Arc> overflowArcs(sources_.size());
    std::int64_t total = 0;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      const Source& s = sources_[i];
      const Graph::Node n = g.addNode();
      supply[n] = s.supply;
      total += s.supply;
      sourceNodes.push_back(n);
      arcs[i].reserve(s.arcs.size());
      for (std::size_t k : s.arcs) {
        const Candidate& c = s.near[k];
        const Receiver& r = receivers_[scratch_.localSink[c.slot]];
        arcs[i].push_back(newArc(n, sinkNodes[r.networkIndex], c.metres, kInfinity));
      }
      overflowArcs[i] = newArc(n, z, overflowCost_, kInfinity);
    }
    supply[z] = -total;

    Simplex simplex(g);
    simplex.upperMap(upper).costMap(cost).supplyMap(supply);
    if (simplex.run() != Simplex::OPTIMAL) return false;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      Source& s = sources_[i];
      for (std::size_t a = 0; a < s.arcs.size(); ++a) s.flow[a] = simplex.flow(arcs[i][a]);
      s.overflow = simplex.flow(overflowArcs[i]);
      s.potential = simplex.potential(sourceNodes[i]);
    }
    zPotential_ = simplex.potential(z);
    for (std::size_t k = 0; k < network_.size(); ++k) {
      receivers_[network_[k]].potential = simplex.potential(sinkNodes[k]);
    }
    return true;
  }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

  // Column generation step: adds arcs with negative reduced cost (kArcsAddedFirstRound per
  // sending unit, growing per round, more if it has unplaced pupils). Receivers outside the
  // network get the potential of the collector node, which is dual feasible for their (empty)
  // seat arc. Returns false when none is left: the current flow is then optimal for the full
  // network, and the potentials are feasible for its dual.
  bool price() {
    if (options_.arcs == ArcSelection::kDense) return false;
    const int wanted = kArcsAddedFirstRound << std::min(pricingRounds_++, kMaxArcsDoublings);
    Wide highest = zPotential_;
    for (int local : network_) highest = std::max(highest, receivers_[local].potential);
    std::vector<std::vector<std::size_t>> negative(sources_.size());
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
        if (arcReducedCost(s, c) < 0) {
          negative[i].push_back(k);
          negativeSeats += seatsOf(c.slot);
          if (static_cast<int>(negative[i].size()) >= wanted && negativeSeats >= s.overflow) {
            break;
          }
        }
      }
      anyNegative = anyNegative || !negative[i].empty();
    }
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      for (std::size_t k : negative[i]) addArc(sources_[i], k);
    }
    return anyNegative;
  }

  // ---- The minimum cut ------------------------------------------------------------------

  // Marks the short part: what the residual network of the stage-1 flow reaches from the groups
  // with unplaced pupils. Every seat there is taken in every maximum flow, no group outside it
  // ever sends a pupil into it, and every group outside it is placed whole (docs/planning.md).
  std::string classify() {
    std::vector<std::vector<int>> sendersOf(receivers_.size());
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      const Source& s = sources_[i];
      for (std::size_t a = 0; a < s.arcs.size(); ++a) {
        if (s.flow[a] > 0) {
          sendersOf[scratch_.localSink[s.near[s.arcs[a]].slot]].push_back(static_cast<int>(i));
        }
      }
    }
    std::deque<std::size_t> queue;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      if (sources_[i].overflow > 0) {
        sources_[i].isShort = true;
        queue.push_back(i);
      }
    }
    while (!queue.empty()) {
      Source& s = sources_[queue.front()];
      queue.pop_front();
      pullAll(s);
      for (const Candidate& c : s.near) {
        const int local = receiverOf(c.slot);
        if (receivers_[local].isShort) continue;
        receivers_[local].isShort = true;
        if (static_cast<std::size_t>(local) >= sendersOf.size()) {
          return "a receiver within reach of an unplaced pupil has free seats (a bug)";
        }
        for (int i : sendersOf[local]) {
          if (!sources_[i].isShort) {
            sources_[i].isShort = true;
            queue.push_back(static_cast<std::size_t>(i));
          }
        }
      }
    }
    // Check the cut: every short receiver is full.
    std::vector<std::int64_t> load(receivers_.size(), 0);
    for (const Source& s : sources_) {
      for (std::size_t a = 0; a < s.arcs.size(); ++a) {
        load[scratch_.localSink[s.near[s.arcs[a]].slot]] += s.flow[a];
      }
    }
    for (std::size_t r = 0; r < receivers_.size(); ++r) {
      if (receivers_[r].isShort && load[r] != receivers_[r].seats) {
        return "a receiver within reach of an unplaced pupil has free seats (a bug)";
      }
    }
    return {};
  }

  // The stage-1 flow of a source as (index into near, pupils).
  static std::vector<std::pair<std::size_t, int>> flowOf(const Source& s) {
    std::vector<std::pair<std::size_t, int>> out;
    for (std::size_t a = 0; a < s.arcs.size(); ++a) {
      if (s.flow[a] > 0) out.emplace_back(s.arcs[a], static_cast<int>(s.flow[a]));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // ---- Exact stages, shared by both parts -------------------------------------------------

  // One arc of a part: source (index into sources_), candidate (index into its near), local
  // receiver, and how much the part's bound rises if the arc is used.
  struct PartArc {
    int source = 0;
    std::size_t candidate = 0;
    int receiver = 0;
    Wide rise = 0;
  };

  // A connected piece of a part, solved as one PieceProblem. A node whose constraint can bind
  // (a source that could be asked for more pupils than it has, a receiver that could be offered
  // more than its seats) joins the pieces of its arcs and is owned by one piece; a node whose
  // constraint cannot bind couples nothing and may appear in several pieces.
  struct Piece {
    std::vector<int> sources;       // indices into sources_, every source with an arc here
    std::vector<int> receivers;     // local receivers, every receiver with an arc here
    std::vector<int> ownSources;    // sorted: sources whose plan this piece decides
    std::vector<int> ownReceivers;  // sorted: receivers whose intake this piece decides
    std::vector<const PartArc*> arcs;

    bool ownsSource(int i) const {
      return std::binary_search(ownSources.begin(), ownSources.end(), i);
    }
    bool ownsReceiver(int r) const {
      return std::binary_search(ownReceivers.begin(), ownReceivers.end(), r);
    }
  };

  // Groups the kept arcs into pieces, joining only nodes that couple (see Piece).
  std::vector<Piece> connect(const std::vector<int>& sources, const std::vector<PartArc>& arcs,
                             const std::vector<char>& keep, const std::vector<char>& sourceCouples,
                             const std::vector<char>& receiverCouples) {
    std::map<int, std::size_t> nodeOfSource;
    std::map<int, std::size_t> nodeOfReceiver;
    for (int i : sources) nodeOfSource.emplace(i, nodeOfSource.size());
    for (std::size_t a = 0; a < arcs.size(); ++a) {
      if (keep[a]) nodeOfReceiver.emplace(arcs[a].receiver, 0);
    }
    std::size_t next = nodeOfSource.size();
    for (auto& [r, node] : nodeOfReceiver) node = next++;
    Components components(next);
    for (std::size_t a = 0; a < arcs.size(); ++a) {
      if (keep[a] && sourceCouples[arcs[a].source] && receiverCouples[arcs[a].receiver]) {
        components.join(nodeOfSource.at(arcs[a].source), nodeOfReceiver.at(arcs[a].receiver));
      }
    }
    std::map<std::size_t, Piece> byRoot;
    for (const auto& [i, node] : nodeOfSource) {
      if (sourceCouples[i]) byRoot[components.find(node)].ownSources.push_back(i);
    }
    for (const auto& [r, node] : nodeOfReceiver) {
      if (receiverCouples[r]) byRoot[components.find(node)].ownReceivers.push_back(r);
    }
    for (std::size_t a = 0; a < arcs.size(); ++a) {
      if (!keep[a]) continue;
      const PartArc& arc = arcs[a];
      const std::size_t node = sourceCouples[arc.source] ? nodeOfSource.at(arc.source)
                                                          : nodeOfReceiver.at(arc.receiver);
      byRoot[components.find(node)].arcs.push_back(&arc);
    }
    std::vector<Piece> pieces;
    pieces.reserve(byRoot.size());
    for (auto& [root, piece] : byRoot) {
      std::set<int> all(piece.ownSources.begin(), piece.ownSources.end());
      std::set<int> allReceivers(piece.ownReceivers.begin(), piece.ownReceivers.end());
      for (const PartArc* arc : piece.arcs) {
        all.insert(arc->source);
        allReceivers.insert(arc->receiver);
      }
      piece.sources.assign(all.begin(), all.end());
      piece.receivers.assign(allReceivers.begin(), allReceivers.end());
      pieces.push_back(std::move(piece));
    }
    return pieces;
  }

  // The PieceProblem of `piece`, with the given rules for sources and receivers.
  PieceProblem problemOf(const Piece& piece, bool shortPart, bool capPieces) {
    PieceProblem p;
    std::map<int, int> sourceIndex;
    std::map<int, int> receiverIndex;
    for (int i : piece.sources) {
      sourceIndex[i] = static_cast<int>(p.sources.size());
      PieceProblem::Source ps;
      ps.supply = sources_[i].supply;
      ps.placeAll = !shortPart;
      ps.maxPieces = capPieces && !shortPart ? sources_[i].fewest : -1;
      // Valid cuts: a group placed whole needs its fewest receivers, a short receiver a sender.
      ps.minPieces = !shortPart && piece.ownsSource(i) ? sources_[i].fewest : 0;
      p.sources.push_back(ps);
    }
    for (int r : piece.receivers) {
      receiverIndex[r] = static_cast<int>(p.receivers.size());
      PieceProblem::Receiver pr;
      pr.seats = receivers_[r].seats;
      pr.fill = shortPart;
      pr.maxPieces = capPieces && shortPart ? 1 : -1;
      pr.minPieces = shortPart && piece.ownsReceiver(r) ? 1 : 0;
      p.receivers.push_back(pr);
    }
    for (const PartArc* a : piece.arcs) {
      p.arcs.push_back({sourceIndex.at(a->source), receiverIndex.at(a->receiver),
                        sources_[a->source].near[a->candidate].metres});
    }
    p.objective = PieceProblem::Objective::kMetres;
    return p;
  }

  // The pupils a solution sends along piece.arcs, written into the plans of the part's
  // `sources` in place of what the piece decides: the whole plan of a source it owns, the
  // pupils sent to a receiver it owns (by any source of the part).
  void apply(const Piece& piece, const std::vector<int>& flow, const std::vector<int>& sources) {
    for (int i : sources) {
      Source& s = sources_[i];
      const bool owned = piece.ownsSource(i);
      s.placed.erase(std::remove_if(s.placed.begin(), s.placed.end(),
                                    [&](const std::pair<std::size_t, int>& entry) {
                                      return owned || piece.ownsReceiver(scratch_.localSink
                                                                             [s.near[entry.first].slot]);
                                    }),
                     s.placed.end());
    }
    for (std::size_t a = 0; a < piece.arcs.size(); ++a) {
      if (flow[a] > 0) {
        sources_[piece.arcs[a]->source].placed.emplace_back(piece.arcs[a]->candidate, flow[a]);
      }
    }
    for (int i : sources) std::sort(sources_[i].placed.begin(), sources_[i].placed.end());
  }

  // The flow `placed` lists give on piece.arcs.
  std::vector<int> currentFlow(const Piece& piece) const {
    std::vector<int> flow(piece.arcs.size(), 0);
    for (std::size_t a = 0; a < piece.arcs.size(); ++a) {
      for (const auto& [k, pupils] : sources_[piece.arcs[a]->source].placed) {
        if (k == piece.arcs[a]->candidate) flow[a] = pupils;
      }
    }
    return flow;
  }

  std::int64_t metresOf(const std::vector<int>& sources) const {
    std::int64_t sum = 0;
    for (int i : sources) {
      for (const auto& [k, pupils] : sources_[i].placed) sum += pupils * sources_[i].near[k].metres;
    }
    return sum;
  }

  std::int64_t piecesOf(const std::vector<int>& sources) const {
    std::int64_t sum = 0;
    for (int i : sources) sum += static_cast<std::int64_t>(sources_[i].placed.size());
    return sum;
  }

  // How a part came out: its proven lower bound on pieces, and whether its pieces and its
  // pupil-metres are proven optimal.
  struct PartOutcome {
    std::string error;
    std::int64_t pieceBound = 0;
    bool piecesProven = true;
    bool metresProven = true;
  };

  // Stage 2 and 3 with nothing but CBC, for a piece that the bounds could not settle: fewest
  // pieces, then least metres at that number. The piece's current plan is the start. Raises
  // outcome.pieceBound by what CBC proves beyond `structural`; false past the deadline.
  bool solveOutright(const Piece& piece, bool shortPart, std::int64_t structural,
                     PartOutcome& outcome) {
    PieceProblem problem = problemOf(piece, shortPart, false);
    problem.objective = PieceProblem::Objective::kPieces;
    const std::vector<int> start = currentFlow(piece);
    ++report_.integerPrograms;
    const PieceSolution fewest = solvePieceProblem(problem, request_.deadline, &start);
    if (fewest.flow.empty()) return false;
    apply(piece, fewest.flow, piece.sources);
    outcome.pieceBound += std::max<std::int64_t>(0, fewest.bound - structural);
    if (fewest.status != MipResult::Status::kOptimal) {
      outcome.piecesProven = false;
      outcome.metresProven = false;
      return false;
    }
    problem.objective = PieceProblem::Objective::kMetres;
    problem.maxPieces = fewest.pieces;
    ++report_.integerPrograms;
    const PieceSolution shortest = solvePieceProblem(problem, request_.deadline, &fewest.flow);
    if (shortest.flow.empty()) return false;
    apply(piece, shortest.flow, piece.sources);
    if (shortest.status != MipResult::Status::kOptimal) {
      outcome.metresProven = false;
      return false;
    }
    return true;
  }

  // The structural lower bound on the pieces of `piece`: every seat of a short receiver is
  // taken, so each takes a piece; every group of the ample part takes its fewest receivers.
  std::int64_t structuralBound(const Piece& piece, bool shortPart) const {
    if (shortPart) {
      return std::count_if(piece.receivers.begin(), piece.receivers.end(),
                           [&](int r) { return receivers_[r].isShort; });
    }
    std::int64_t sum = 0;
    for (int i : piece.sources) sum += sources_[i].fewest;
    return sum;
  }

  // Which nodes of a part couple pieces, after `reduce` (see gapLoop).
  struct Coupling {
    std::vector<char> sources;    // by index into sources_
    std::vector<char> receivers;  // by local receiver
  };

  // The gap loop shared by both parts. `arcs` carry each arc's rise of the part's lower bound
  // on pupil-metres when used (kInfinity: no plan at the lower bound on pieces can use it); the
  // sources' `placed` hold the relaxed plan that attains that bound. Each round keeps the arcs
  // whose rise is at most the allowed gap G (`extend(G)` first finds arcs that may be within G,
  // G < 0: every arc, and says whether every arc is now known), lets `reduce` drop dominated
  // arcs and say which nodes couple, and solves each piece that `conflicted` flags with CBC,
  // the pieces capped at the structural bound. If the plan so found exceeds the bound by at
  // most G it is optimal (every plan using a dropped arc costs more than bound + G); else G
  // grows (docs/planning.md, "The gap loop").
  template <typename Extend, typename Reduce, typename Conflicted>
  PartOutcome gapLoop(const std::vector<int>& sources, std::vector<PartArc>& arcs, bool shortPart,
                      std::int64_t structural, Extend extend, Reduce reduce,
                      Conflicted conflicted) {
    PartOutcome outcome;
    outcome.pieceBound = structural;
    std::map<int, std::vector<std::pair<std::size_t, int>>> relaxed;
    for (int i : sources) relaxed[i] = sources_[i].placed;
    const std::int64_t lower = metresOf(sources);
    Wide gap = kFirstGapMetres;
    bool everything = false;
    int stuckRounds = 0;
    for (int round = 0;; ++round) {
      ++report_.boundRounds;
      everything = everything || round >= kMaxGapRounds;
      const bool complete = extend(everything ? Wide(-1) : gap);
      std::vector<char> keep(arcs.size(), 0);
      bool allKept = complete;
      for (std::size_t a = 0; a < arcs.size(); ++a) {
        const bool usable = arcs[a].rise < Wide(kInfinity);
        keep[a] = usable && (everything || arcs[a].rise <= gap);
        allKept = allKept && (keep[a] || !usable);
      }
      for (int i : sources) sources_[i].placed = relaxed[i];
      const Coupling coupling = reduce(keep, everything ? Wide(-1) : gap);
      const std::vector<Piece> pieces =
          connect(sources, arcs, keep, coupling.sources, coupling.receivers);
      std::vector<int> stuck;  // sources of pieces with no plan at the structural bound
      for (const Piece& piece : pieces) {
        if (!conflicted(piece, keep)) continue;
        const PieceProblem problem = problemOf(piece, shortPart, true);
        ++report_.integerPrograms;
        const PieceSolution solution = solvePieceProblem(problem, request_.deadline);
        if (solution.status == MipResult::Status::kInfeasible) {
          stuck.insert(stuck.end(), piece.sources.begin(), piece.sources.end());
          continue;
        }
        if (solution.status != MipResult::Status::kOptimal) return timedOut(sources, outcome);
        apply(piece, solution.flow, sources);
      }
      const Wide excess = Wide(metresOf(sources)) - lower;
      // Without a gap (`everything`) the reductions hold for every plan; with one they hold only
      // for plans within it, so a plan beyond it, or a piece without a plan, proves nothing.
      if (stuck.empty() && (everything || excess <= gap)) return outcome;
      if (everything) return solveStuck(sources, arcs, stuck, shortPart, outcome);
      if (pastDeadline()) return timedOut(sources, outcome);
      // A piece without a plan at the structural bound twice running most likely has none at
      // all: stop excluding arcs and let solveStuck find its fewest pieces outright.
      stuckRounds = stuck.empty() ? 0 : stuckRounds + 1;
      if (allKept || stuckRounds >= 2) {
        everything = true;
      } else {
        gap = !stuck.empty() ? gap * 8 : std::max(gap * 2, excess);
      }
    }
  }

  // Every arc is known and some pieces have no plan at the structural bound on pieces: solve the
  // connected pieces (over every arc) that hold them outright; the other pieces keep their plans.
  PartOutcome solveStuck(const std::vector<int>& sources, const std::vector<PartArc>& arcs,
                         const std::vector<int>& stuck, bool shortPart, PartOutcome outcome) {
    const std::vector<char> all(arcs.size(), 1);
    const std::vector<char> couples(std::max(sources_.size(), receivers_.size()), 1);
    const std::vector<Piece> pieces = connect(sources, arcs, all, couples, couples);
    const std::set<int> stuckSources(stuck.begin(), stuck.end());
    for (const Piece& piece : pieces) {
      if (std::none_of(piece.sources.begin(), piece.sources.end(),
                       [&](int i) { return stuckSources.count(i) > 0; })) {
        continue;
      }
      for (int i : piece.sources) sources_[i].placed = stage1_.at(i);
      if (!solveOutright(piece, shortPart, structuralBound(piece, shortPart), outcome) &&
          pastDeadline()) {
        return timedOut(sources, outcome);
      }
    }
    return outcome;
  }

  // Past the deadline: the stage-1 flow is a feasible plan for every source of the part.
  PartOutcome timedOut(const std::vector<int>& sources, PartOutcome outcome) {
    for (int i : sources) sources_[i].placed = stage1_.at(i);
    outcome.piecesProven = piecesOf(sources) == outcome.pieceBound;
    outcome.metresProven = false;
    return outcome;
  }

  // Adds a part's outcome to the report.
  void record(const std::vector<int>& sources, const PartOutcome& outcome) {
    report_.pieceBound += outcome.pieceBound;
    if (!outcome.piecesProven || !outcome.metresProven) report_.optimal = false;
    if (!outcome.piecesProven) report_.gapPieces += piecesOf(sources) - outcome.pieceBound;
  }

  // ---- The short part: every reachable seat is taken ------------------------------------

  std::string solveShort() {
    std::vector<int> sources;
    std::vector<int> receivers;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      if (sources_[i].isShort) sources.push_back(static_cast<int>(i));
    }
    for (std::size_t r = 0; r < receivers_.size(); ++r) {
      if (receivers_[r].isShort) receivers.push_back(static_cast<int>(r));
    }
    for (int i : sources) {
      sources_[i].placed = flowOf(sources_[i]);
      stage1_[i] = sources_[i].placed;
    }
    // Each receiver takes at least one piece; the flow meets that bound when no receiver has
    // two senders, and its pupil-metres are the least of any plan that places as many.
    const auto structural = static_cast<std::int64_t>(receivers.size());
    std::vector<int> senders(receivers_.size(), 0);
    for (int i : sources) {
      for (const auto& [k, pupils] : sources_[i].placed) {
        ++senders[scratch_.localSink[sources_[i].near[k].slot]];
      }
    }
    if (std::none_of(receivers.begin(), receivers.end(), [&](int r) { return senders[r] > 1; })) {
      PartOutcome outcome;
      outcome.pieceBound = structural;
      record(sources, outcome);
      return {};
    }
    // The flow's reduced costs bound how much any plan using an arc costs above the flow: a
    // receiver taken whole by one group costs at least rc * seats more.
    std::vector<PartArc> arcs;
    for (int i : sources) {
      const Source& s = sources_[i];
      for (std::size_t k = 0; k < s.near.size(); ++k) {
        const int local = scratch_.localSink[s.near[k].slot];
        const Wide rc = arcReducedCost(s, s.near[k]);
        if (rc < 0) return "the flow's duals are not feasible (a bug)";
        arcs.push_back({i, k, local, rc * receivers_[local].seats});
      }
    }
    // The flow's arc of each receiver with one sender, as an index into `arcs`.
    std::vector<std::size_t> flowArc(receivers_.size(), arcs.size());
    for (std::size_t a = 0; a < arcs.size(); ++a) {
      const Source& s = sources_[arcs[a].source];
      for (const auto& [k, pupils] : s.placed) {
        if (k == arcs[a].candidate && senders[arcs[a].receiver] == 1) flowArc[arcs[a].receiver] = a;
      }
    }
    auto complete = [](Wide) { return true; };  // every arc of a short source is known
    // A group that cannot run out of pupils in any plan within the gap (cannotOverfill) couples
    // nothing, and a receiver with arcs to several such groups takes the nearest of them (ties:
    // its flow arc, then the first): a plan using another one can move the receiver there at no
    // cost in pieces and no gain in metres, and stays within the gap.
    std::vector<std::int64_t> flowOnArc(arcs.size(), 0);
    std::vector<std::int64_t> slack(sources_.size(), 0);
    for (std::size_t a = 0; a < arcs.size(); ++a) {
      for (const auto& [k, pupils] : sources_[arcs[a].source].placed) {
        if (k == arcs[a].candidate) flowOnArc[a] = pupils;
      }
    }
    for (int i : sources) {
      slack[i] = sources_[i].supply;
      for (const auto& [k, pupils] : sources_[i].placed) slack[i] -= pupils;
    }
    auto reduce = [&](std::vector<char>& keep, Wide gap) {
      Coupling coupling;
      coupling.sources.assign(sources_.size(), 1);
      coupling.receivers.assign(receivers_.size(), 1);
      for (bool changed = true; changed;) {
        changed = false;
        std::vector<std::vector<std::pair<Wide, std::int64_t>>> items(sources_.size());
        for (std::size_t a = 0; a < arcs.size(); ++a) {
          const std::int64_t extra = receivers_[arcs[a].receiver].seats - flowOnArc[a];
          if (keep[a] && extra > 0) items[arcs[a].source].emplace_back(arcs[a].rise, extra);
        }
        for (int i : sources) coupling.sources[i] = !cannotOverfill(items[i], slack[i], gap);
        std::vector<std::size_t> best(receivers_.size(), arcs.size());
        auto better = [&](std::size_t a, std::size_t b) {
          const std::int64_t ma = sources_[arcs[a].source].near[arcs[a].candidate].metres;
          const std::int64_t mb = sources_[arcs[b].source].near[arcs[b].candidate].metres;
          if (ma != mb) return ma < mb;
          const std::size_t mine = flowArc[arcs[a].receiver];
          if ((a == mine) != (b == mine)) return a == mine;
          return a < b;
        };
        for (std::size_t a = 0; a < arcs.size(); ++a) {
          if (!keep[a] || coupling.sources[arcs[a].source]) continue;
          std::size_t& b = best[arcs[a].receiver];
          if (b == arcs.size() || better(a, b)) b = a;
        }
        for (std::size_t a = 0; a < arcs.size(); ++a) {
          if (keep[a] && !coupling.sources[arcs[a].source] && best[arcs[a].receiver] != a) {
            keep[a] = 0;
            changed = true;
          }
        }
      }
      return coupling;
    };
    // A piece needs CBC when a receiver it owns has two senders in the flow, or lost its arc.
    auto conflicted = [&](const Piece& piece, const std::vector<char>& keep) {
      return std::any_of(piece.ownReceivers.begin(), piece.ownReceivers.end(), [&](int r) {
        return senders[r] > 1 || (flowArc[r] < arcs.size() && !keep[flowArc[r]]);
      });
    };
    const PartOutcome outcome =
        gapLoop(sources, arcs, true, structural, complete, reduce, conflicted);
    record(sources, outcome);
    return outcome.error;
  }

  // ---- The ample part: every pupil is placed --------------------------------------------

  // Finds the group's ample receivers nearest first until they hold its optimum for every
  // supply up to its own (enough receivers with the most seats any receiver can give), or up to
  // maxKm, and builds its SourceTable.
  void tabulate(Source& s) {
    const int most = std::min(s.supply, maxSeats_);
    const int enough = (s.supply + most - 1) / most;
    int full = 0;
    for (s.scanned = 0;; ++s.scanned) {
      if (s.scanned == s.near.size() && !pull(s)) break;
      const int local = receiverOf(s.near[s.scanned].slot);
      if (receivers_[local].isShort) continue;
      s.ample.push_back(s.scanned);
      if (std::min(receivers_[local].seats, s.supply) >= most && ++full >= enough) {
        ++s.scanned;
        break;
      }
    }
    std::vector<SourceCandidate> candidates = candidatesOf(s);
    s.fewest = full >= enough ? enough : SourceTable::fewestReceivers(s.supply, candidates);
    s.table.emplace(s.supply, std::max(s.fewest, 1), candidates);
  }

  std::vector<SourceCandidate> candidatesOf(const Source& s) const {
    std::vector<SourceCandidate> out;
    out.reserve(s.ample.size());
    for (std::size_t k : s.ample) {
      const Receiver& r = receivers_[scratch_.localSink[s.near[k].slot]];
      out.push_back({s.near[k].metres, std::min(r.seats, s.supply)});
    }
    return out;
  }

  std::string solveAmple() {
    std::vector<int> sources;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      if (!sources_[i].isShort) sources.push_back(static_cast<int>(i));
    }
    if (sources.empty()) return {};
    std::int64_t structural = 0;
    for (int i : sources) {
      Source& s = sources_[i];
      stage1_[i] = flowOf(s);
      tabulate(s);
      if (s.table->best() == SourceTable::kNone) {
        return "a group the flow placed whole has no plan of its own (a bug)";
      }
      s.placed.clear();
      for (const auto& [c, pupils] : s.table->choice()) s.placed.emplace_back(s.ample[c], pupils);
      std::sort(s.placed.begin(), s.placed.end());
      structural += s.fewest;
    }
    // Each group on its own is a relaxation: if the groups' own optima fit together, they are
    // the optimum of the part, for pieces (each takes its fewest receivers) and for metres.
    std::vector<std::int64_t> load(receivers_.size(), 0);
    for (int i : sources) {
      for (const auto& [k, pupils] : sources_[i].placed) {
        load[scratch_.localSink[sources_[i].near[k].slot]] += pupils;
      }
    }
    std::int64_t overload = 0;
    for (std::size_t r = 0; r < receivers_.size(); ++r) {
      overload += std::max<std::int64_t>(0, load[r] - receivers_[r].seats);
    }
    if (overload == 0) {
      PartOutcome outcome;
      outcome.pieceBound = structural;
      record(sources, outcome);
      return {};
    }
    auto over = [&](int r) { return load[r] > receivers_[r].seats; };
    // A piece needs CBC when a receiver it owns is over its seats in the groups' own optima.
    auto conflicted = [&](const Piece& piece, const std::vector<char>&) {
      return std::any_of(piece.ownReceivers.begin(), piece.ownReceivers.end(), over);
    };
    // The arcs are the ample candidates found so far; `extend` finds more while they could
    // still be within the gap, and recomputes every arc's rise.
    std::vector<PartArc> arcs;
    auto extend = [&](Wide gap) {
      arcs.clear();
      bool complete = true;
      for (int i : sources) {
        Source& s = sources_[i];
        const SourceTable& table = *s.table;
        const int most = std::min(s.supply, maxSeats_);
        // Receivers from near[scanned] on are at least that far (less the ordering slack), and
        // none gives more seats than `most`: stop where even that bound exceeds the gap.
        for (;; ++s.scanned) {
          if (s.scanned == s.near.size() && !pull(s)) break;
          const std::int64_t from =
              std::max<std::int64_t>(s.near[s.scanned].metres - kOrderSlackMetres, 0);
          const std::int64_t beyond = table.boundWith(from, most);
          if (gap >= 0 && (beyond == SourceTable::kNone || Wide(beyond) - table.best() > gap)) break;
          const int local = receiverOf(s.near[s.scanned].slot);
          if (!receivers_[local].isShort) s.ample.push_back(s.scanned);
        }
        complete = complete && s.exhausted && s.scanned == s.near.size();
        for (std::size_t k : s.ample) {
          const int local = scratch_.localSink[s.near[k].slot];
          const std::int64_t with =
              table.boundWith(s.near[k].metres, std::min(receivers_[local].seats, s.supply));
          const Wide rise = with == SourceTable::kNone ? Wide(kInfinity) : Wide(with) - table.best();
          arcs.push_back({i, k, local, std::max<Wide>(rise, 0)});
        }
      }
      return complete;
    };
    // A receiver that cannot be overfilled by any plan within the gap (cannotOverfill; each
    // group's rise counts once, so rises of different groups add up) couples nothing.
    auto reduce = [&](std::vector<char>& keep, Wide gap) {
      Coupling coupling;
      coupling.sources.assign(sources_.size(), 1);
      coupling.receivers.assign(receivers_.size(), 0);
      std::vector<std::vector<std::pair<Wide, std::int64_t>>> items(receivers_.size());
      for (std::size_t a = 0; a < arcs.size(); ++a) {
        if (!keep[a]) continue;
        const int r = arcs[a].receiver;
        const Source& s = sources_[arcs[a].source];
        std::int64_t extra = std::min(receivers_[r].seats, s.supply);
        for (const auto& [k, pupils] : s.placed) {
          if (k == arcs[a].candidate) extra -= pupils;
        }
        if (extra > 0) items[r].emplace_back(arcs[a].rise, extra);
      }
      for (std::size_t r = 0; r < receivers_.size(); ++r) {
        coupling.receivers[r] =
            !cannotOverfill(items[r], receivers_[r].seats - load[r], gap);
      }
      return coupling;
    };
    const PartOutcome outcome =
        gapLoop(sources, arcs, false, structural, extend, reduce, conflicted);
    record(sources, outcome);
    return outcome.error;
  }

  // ---- Output -------------------------------------------------------------------------

  void emit(Plan& plan, std::int64_t& metreSum) {
    for (const Source& s : sources_) {
      const std::string& from = index_.units[s.unit].code;
      int placed = 0;
      for (const auto& [k, pupils] : s.placed) {
        const Candidate& c = s.near[k];
        plan.placements.push_back({from, data_.key.form, data_.key.year,
                                   index_.units[data_.unitOf[c.slot]].code, pupils,
                                   c.metres / 1000.0});
        metreSum += pupils * c.metres;
        placed += pupils;
      }
      if (placed < s.supply) {
        Unplaced row{from, data_.key.form, data_.key.year, s.supply - placed, {},
                     UnplacedCode::kSeatsTaken, std::nullopt, 0};
        if (request_.explain) describe(s, row);
        plan.unplaced.push_back(std::move(row));
      }
    }
  }

  // Why a group keeps unplaced pupils: the nearest free seat of the class, at any distance.
  void describe(const Source& s, Unplaced& row) const {
    if (!s.near.empty()) {
      row.code = UnplacedCode::kSeatsTaken;
      row.nearestKm = s.near.front().metres / 1000.0;
      return;
    }
    NearestCursor cursor(data_.receivers, index_.unitVectors[s.unit]);
    int slot = 0;
    double squared = 0.0;
    std::optional<double> nearest;
    while (cursor.next(&slot, &squared)) {
      if (nearest && chordToKm(squared) > *nearest + 1e-3) break;
      if (!isEligible(slot)) continue;
      const double km = haversineKm(*index_.units[s.unit].position,
                                    *index_.units[data_.unitOf[slot]].position);
      if (!nearest || km < *nearest) nearest = km;
    }
    if (nearest) {
      row.code = UnplacedCode::kBeyondLimit;
      row.nearestKm = toMetres(*nearest) / 1000.0;
    } else {
      row.code = UnplacedCode::kNoSeats;
    }
  }

  const PlannerIndex& index_;
  const ClassData& data_;
  const PlanOptions& options_;
  const ClassRequest& request_;
  SolverScratch& scratch_;
  SolveReport& report_;
  std::int64_t maxArcMetres_ = 0;
  std::int64_t overflowCost_ = 0;
  int maxSeats_ = 0;
  std::vector<Source> sources_;
  std::vector<Receiver> receivers_;  // every receiver looked at; scratch.localSink maps to it
  std::vector<int> network_;         // receivers in the stage-1 network
  Wide zPotential_ = 0;
  int pricingRounds_ = 0;
  std::map<int, std::vector<std::pair<std::size_t, int>>> stage1_;  // per source: its flow
};

std::string classWords(const ClassKey& key) {
  return key.year > 0 ? key.form + " year " + std::to_string(key.year) : key.form;
}

// "34", "7.5": whole kilometres from 10 km up, else one decimal; never rounds onto `limit`.
std::string kmWords(double km, std::optional<double> limit = std::nullopt) {
  char buffer[32];
  const bool whole = km >= 10.0 && (!limit || std::llround(km) != std::llround(*limit) ||
                                    std::fabs(km - *limit) < 1e-9);
  std::snprintf(buffer, sizeof buffer, whole ? "%.0f" : "%.1f", km);
  std::string text = buffer;
  if (!whole && text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) {
    text.resize(text.size() - 2);
  }
  return text;
}

std::string reasonWords(const Unplaced& row, const ClassKey& key, const PlanOptions& options) {
  std::string words;
  switch (row.code) {
    case UnplacedCode::kNoCoordinates:
      return kReasonNoCoordinates;
    case UnplacedCode::kNoSeats:
      words = "no free seat in " + classWords(key) + " anywhere";
      break;
    case UnplacedCode::kBeyondLimit:
      words = "nearest free seat in " + classWords(key) + " is " +
              kmWords(row.nearestKm.value_or(0.0), options.maxKm) + " km away (limit " +
              kmWords(options.maxKm) + ")";
      break;
    case UnplacedCode::kSeatsTaken:
      words = "every free seat in " + classWords(key) + " within " + kmWords(options.maxKm) +
              " km is taken (nearest " + kmWords(row.nearestKm.value_or(0.0)) + " km away)";
      break;
  }
  if (row.horizonWouldPlace > 0) {
    words += "; the 72-hour figures would place " + std::to_string(row.horizonWouldPlace) + " more";
  }
  return words;
}

}  // namespace

SolverScratch makeSolverScratch(const PlannerIndex& index) {
  SolverScratch s;
  s.failing.assign(index.units.size(), 0);
  s.notReceiving.assign(index.units.size(), 0);
  s.localSink.assign(index.maxSlots, -1);
  return s;
}

common::Status solveClass(const PlannerIndex& index, const ClassData& data,
                          const std::vector<int>& slots, const ClassRequest& request,
                          SolverScratch& scratch, Plan& plan, std::int64_t& metreSum,
                          SolveReport& report) {
  const std::size_t firstRow = plan.unplaced.size();
  {
    ClassSolver solver(index, data, request, scratch, report);
    if (std::string error = solver.solve(slots, plan, metreSum); !error.empty()) {
      return common::internalError("internal: " + error);
    }
  }
  if (!request.explain) return {};
  const PlanOptions& options = *request.options;
  bool anyPlaceable = false;
  for (std::size_t r = firstRow; r < plan.unplaced.size(); ++r) {
    anyPlaceable = anyPlaceable || plan.unplaced[r].code != UnplacedCode::kNoCoordinates;
  }
  if (anyPlaceable && options.horizon == Horizon::kNow) {
    // How many of these pupils the 72-hour figures would place: the same flow on those seats.
    PlanOptions later = options;
    later.horizon = Horizon::kWithin72h;
    ClassRequest laterRequest = request;
    laterRequest.options = &later;
    SolveReport ignored;
    ClassSolver solver(index, data, laterRequest, scratch, ignored);
    const auto unplaced = solver.unplacedByFlow(slots);
    if (!unplaced) return common::internalError("internal: the flow solver found no optimum");
    for (std::size_t r = firstRow; r < plan.unplaced.size(); ++r) {
      Unplaced& row = plan.unplaced[r];
      if (row.code == UnplacedCode::kNoCoordinates) continue;
      const int unit = index.findUnit(row.fromUnit);
      const auto it = unplaced->find(unit);
      const std::int64_t later72 = it == unplaced->end() ? 0 : it->second;
      row.horizonWouldPlace = static_cast<int>(std::max<std::int64_t>(0, row.pupils - later72));
    }
  }
  for (std::size_t r = firstRow; r < plan.unplaced.size(); ++r) {
    plan.unplaced[r].reason = reasonWords(plan.unplaced[r], data.key, options);
  }
  return {};
}

}  // namespace samband::broker
