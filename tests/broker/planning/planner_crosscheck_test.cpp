// Every plan checked against solvers written independently here: exhaustive enumeration on tiny
// instances, and one weighted integer program per class (no decomposition, no bounds, no flow)
// on small ones. Same placed count, same pieces, same pupil-metres; no seat overbooked.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "broker/planning/mip.h"
#include "broker/planning/planner.h"

namespace samband::broker {
namespace {

struct Instance {
  PlanningInput input;
  PlanScope scope;
  PlanOptions options;
};

// What a lexicographic optimum is measured by.
struct Value {
  std::int64_t placed = 0;
  std::int64_t pieces = 0;
  std::int64_t metres = 0;
  friend bool operator==(const Value& a, const Value& b) {
    return a.placed == b.placed && a.pieces == b.pieces && a.metres == b.metres;
  }
};

std::ostream& operator<<(std::ostream& out, const Value& v) {
  return out << "{placed " << v.placed << ", pieces " << v.pieces << ", metres " << v.metres << "}";
}

std::int64_t metresBetween(GeoPoint a, GeoPoint b) {
  return std::llround(haversineKm(a, b) * 1000.0);
}

int usable(int seats, double fill) {
  return seats <= 0 ? 0 : static_cast<int>(std::floor(fill * seats + 1e-9));
}

// One class of an instance, as plain arrays: sending groups, receivers and the arcs in reach.
struct ClassCase {
  std::vector<int> supply;
  std::vector<int> seats;
  struct Arc {
    int source;
    int receiver;
    std::int64_t metres;
  };
  std::vector<Arc> arcs;
};

std::vector<ClassCase> classesOf(const Instance& t) {
  std::map<std::string, const Unit*> unit;
  for (const Unit& u : t.input.units) unit[u.code] = &u;
  const std::set<std::string> failing(t.scope.failing.begin(), t.scope.failing.end());
  const std::set<std::string> closed(t.scope.notReceiving.begin(), t.scope.notReceiving.end());
  std::map<std::pair<std::string, int>, std::vector<const Cohort*>> byClass;
  for (const Cohort& c : t.input.cohorts) byClass[{c.key.form, c.key.year}].push_back(&c);
  std::vector<ClassCase> out;
  for (const auto& [key, cohorts] : byClass) {
    ClassCase k;
    std::vector<GeoPoint> from;
    std::vector<GeoPoint> to;
    for (const Cohort* c : cohorts) {
      const Unit& u = *unit[c->unitCode];
      if (!u.position) continue;
      if (failing.count(c->unitCode)) {
        if (c->enrolled > 0) {
          k.supply.push_back(c->enrolled);
          from.push_back(*u.position);
        }
      } else if (!closed.count(c->unitCode)) {
        const int free =
            t.options.horizon == Horizon::kNow ? c->seatsNow : c->seatsWithin72h;
        const int seats = usable(free, t.options.fill);
        if (seats > 0) {
          k.seats.push_back(seats);
          to.push_back(*u.position);
        }
      }
    }
    for (std::size_t i = 0; i < from.size(); ++i) {
      for (std::size_t j = 0; j < to.size(); ++j) {
        if (haversineKm(from[i], to[j]) <= t.options.maxKm) {
          k.arcs.push_back({static_cast<int>(i), static_cast<int>(j), metresBetween(from[i], to[j])});
        }
      }
    }
    out.push_back(std::move(k));
  }
  return out;
}

bool better(const Value& a, const Value& b) {
  if (a.placed != b.placed) return a.placed > b.placed;
  if (a.pieces != b.pieces) return a.pieces < b.pieces;
  return a.metres < b.metres;
}

// The lexicographic optimum of one class by enumerating every integer flow on its arcs.
Value exhaustive(const ClassCase& k) {
  Value best{-1, 0, 0};
  std::vector<int> left = k.seats;
  std::vector<int> remaining = k.supply;
  std::function<void(std::size_t, Value)> go = [&](std::size_t a, Value v) {
    if (a == k.arcs.size()) {
      if (best.placed < 0 || better(v, best)) best = v;
      return;
    }
    const auto& arc = k.arcs[a];
    const int most = std::min(remaining[arc.source], left[arc.receiver]);
    for (int x = 0; x <= most; ++x) {
      remaining[arc.source] -= x;
      left[arc.receiver] -= x;
      go(a + 1, {v.placed + x, v.pieces + (x > 0 ? 1 : 0), v.metres + x * arc.metres});
      remaining[arc.source] += x;
      left[arc.receiver] += x;
    }
  };
  go(0, {0, 0, 0});
  return best;
}

// The lexicographic optimum of one class as one integer program with a weighted objective:
// each pupil placed outweighs every piece, each piece outweighs every metre.
Value weightedProgram(const ClassCase& k) {
  if (k.arcs.empty()) return {};
  std::int64_t maxMetres = 0;
  std::int64_t pupils = 0;
  for (const auto& arc : k.arcs) maxMetres = std::max(maxMetres, arc.metres);
  for (int s : k.supply) pupils += s;
  const double perPiece = static_cast<double>(pupils * maxMetres + 1);
  const double perPupil = perPiece * static_cast<double>(k.arcs.size() + 1) + 1.0;
  MipModel model;
  std::vector<int> x;
  std::vector<int> y;
  for (const auto& arc : k.arcs) {
    const int cap = std::min(k.supply[arc.source], k.seats[arc.receiver]);
    x.push_back(model.addColumn(0, cap, static_cast<double>(arc.metres) - perPupil, true));
    y.push_back(model.addColumn(0, 1, perPiece, true));
    model.addRow({x.back(), y.back()}, {1.0, -static_cast<double>(cap)}, -MipModel::kInfinity, 0);
  }
  for (std::size_t i = 0; i < k.supply.size(); ++i) {
    std::vector<int> cols;
    for (std::size_t a = 0; a < k.arcs.size(); ++a) {
      if (k.arcs[a].source == static_cast<int>(i)) cols.push_back(x[a]);
    }
    model.addRow(cols, std::vector<double>(cols.size(), 1.0), -MipModel::kInfinity, k.supply[i]);
  }
  for (std::size_t j = 0; j < k.seats.size(); ++j) {
    std::vector<int> cols;
    for (std::size_t a = 0; a < k.arcs.size(); ++a) {
      if (k.arcs[a].receiver == static_cast<int>(j)) cols.push_back(x[a]);
    }
    model.addRow(cols, std::vector<double>(cols.size(), 1.0), -MipModel::kInfinity, k.seats[j]);
  }
  const MipResult result =
      solveMip(model, std::chrono::steady_clock::now() + std::chrono::seconds(30));
  EXPECT_EQ(result.status, MipResult::Status::kOptimal);
  Value v;
  for (std::size_t a = 0; a < k.arcs.size() && !result.x.empty(); ++a) {
    const auto flow = std::llround(result.x[x[a]]);
    v.placed += flow;
    v.pieces += flow > 0 ? 1 : 0;
    v.metres += flow * k.arcs[a].metres;
  }
  return v;
}

// Checks the rules every plan keeps and returns its value.
Value checkPlan(const Instance& t, const Plan& plan) {
  std::map<std::pair<std::string, std::pair<std::string, int>>, const Cohort*> cohortOf;
  for (const Cohort& c : t.input.cohorts) cohortOf[{c.unitCode, {c.key.form, c.key.year}}] = &c;
  std::map<std::string, const Unit*> unit;
  for (const Unit& u : t.input.units) unit[u.code] = &u;
  const std::set<std::string> failing(t.scope.failing.begin(), t.scope.failing.end());
  const std::set<std::string> closed(t.scope.notReceiving.begin(), t.scope.notReceiving.end());
  std::map<std::pair<std::string, std::pair<std::string, int>>, int> received;
  std::map<std::pair<std::string, std::pair<std::string, int>>, int> sent;
  Value v;
  for (const Placement& p : plan.placements) {
    EXPECT_TRUE(failing.count(p.fromUnit));
    EXPECT_FALSE(failing.count(p.toUnit));
    EXPECT_FALSE(closed.count(p.toUnit));
    EXPECT_GT(p.pupils, 0);
    const auto to = std::make_pair(p.toUnit, std::make_pair(p.form, p.year));
    EXPECT_TRUE(cohortOf.count(to)) << "placed into a class the unit lacks";
    const double km = haversineKm(*unit[p.fromUnit]->position, *unit[p.toUnit]->position);
    EXPECT_LE(km, t.options.maxKm);
    received[to] += p.pupils;
    sent[{p.fromUnit, {p.form, p.year}}] += p.pupils;
    v.placed += p.pupils;
    ++v.pieces;
    v.metres += p.pupils * metresBetween(*unit[p.fromUnit]->position, *unit[p.toUnit]->position);
  }
  for (const Unplaced& u : plan.unplaced) sent[{u.fromUnit, {u.form, u.year}}] += u.pupils;
  for (const auto& [key, pupils] : received) {
    const Cohort* c = cohortOf[key];
    const int free = t.options.horizon == Horizon::kNow ? c->seatsNow : c->seatsWithin72h;
    EXPECT_LE(pupils, usable(free, t.options.fill)) << "seats overbooked at " << key.first;
  }
  for (const Cohort& c : t.input.cohorts) {
    if (failing.count(c.unitCode)) {
      EXPECT_EQ((sent[{c.unitCode, {c.key.form, c.key.year}}]), c.enrolled)
          << "pupils lost or invented";
    }
  }
  EXPECT_EQ(plan.totals.pieces, v.pieces);
  EXPECT_NEAR(plan.totals.pupilKm, static_cast<double>(v.metres) / 1000.0, 1e-6);
  EXPECT_TRUE(plan.solver.optimal);
  EXPECT_EQ(plan.solver.gapPieces, 0);
  return v;
}

// Units on a patch of Stockholm, some at the same address; 40% failing, 10% not receiving. A
// "lumpy" instance gives a few receivers many seats, so groups compete for them.
Instance randomInstance(std::mt19937& rng, int units, int maxPupils, int maxSeats, int classes,
                        bool lumpy = false) {
  std::uniform_real_distribution<double> lat(59.30, 59.34);
  std::uniform_real_distribution<double> lon(18.00, 18.08);
  std::uniform_int_distribution<int> pupils(lumpy ? maxPupils / 2 : 0, maxPupils);
  std::uniform_int_distribution<int> small(0, maxSeats);
  std::uniform_int_distribution<int> large(maxPupils, 2 * maxPupils);
  auto seats = [&](std::mt19937& r) { return lumpy && r() % 5 == 0 ? large(r) : small(r); };
  Instance t;
  for (int u = 0; u < units; ++u) {
    const std::string code = std::to_string(13000000 + u);
    GeoPoint at{lat(rng), lon(rng)};
    if (u > 0 && rng() % 4 == 0) at = *t.input.units[rng() % u].position;  // same address
    t.input.units.push_back(Unit{code, "Skola", "556677-0001", "Norr", at});
    const int role = static_cast<int>(rng() % 10);
    if (role < 4) {
      t.scope.failing.push_back(code);
    } else if (role == 4) {
      t.scope.notReceiving.push_back(code);
    }
    for (int c = 0; c < classes; ++c) {
      if (rng() % 6 == 0) continue;  // not every unit teaches every class
      const int now = seats(rng);
      t.input.cohorts.push_back(Cohort{code, ClassKey{c == 1 ? "fritidshem" : "grundskola", 1},
                                       pupils(rng), now, now + seats(rng)});
    }
  }
  t.options.maxKm = std::vector<double>{1.5, 3.0, 30.0}[rng() % 3];
  t.options.fill = std::vector<double>{1.0, 0.95, 0.6}[rng() % 3];
  t.options.horizon = rng() % 2 ? Horizon::kNow : Horizon::kWithin72h;
  return t;
}

Plan planOf(const Instance& t) {
  auto planner = Planner::create(t.input);
  EXPECT_TRUE(planner.ok());
  if (!planner) return {};
  auto plan = planner->plan(t.scope, t.options);
  EXPECT_TRUE(plan.ok()) << plan.error().message;
  return plan ? *plan : Plan{};
}

TEST(PlannerCrossCheck, MatchesExhaustiveSearchOnTinyInstances) {
  std::mt19937 rng(20240917);
  for (int round = 0; round < 250; ++round) {
    const Instance t = randomInstance(rng, 2 + static_cast<int>(rng() % 4), 5, 4, 2);
    Value best;
    for (const ClassCase& k : classesOf(t)) {
      if (k.arcs.size() > 7) continue;  // keep the enumeration small
      const Value v = exhaustive(k);
      best.placed += v.placed;
      best.pieces += v.pieces;
      best.metres += v.metres;
    }
    // Only compare instances whose classes were all enumerated.
    bool all = true;
    for (const ClassCase& k : classesOf(t)) all = all && k.arcs.size() <= 7;
    if (!all) continue;
    const Plan plan = planOf(t);
    EXPECT_EQ(checkPlan(t, plan), best) << "round " << round;
  }
}

TEST(PlannerCrossCheck, MatchesAWeightedIntegerProgramOnSmallInstances) {
  std::mt19937 rng(7);
  for (int round = 0; round < 90; ++round) {
    const bool lumpy = round % 3 == 2;
    const Instance t =
        randomInstance(rng, 8 + static_cast<int>(rng() % 10), 14, lumpy ? 3 : 7, 2, lumpy);
    Value best;
    for (const ClassCase& k : classesOf(t)) {
      const Value v = weightedProgram(k);
      best.placed += v.placed;
      best.pieces += v.pieces;
      best.metres += v.metres;
    }
    const Plan plan = planOf(t);
    EXPECT_EQ(checkPlan(t, plan), best) << "round " << round;
  }
}

TEST(PlannerCrossCheck, DenseNetworkGivesTheSamePlanValue) {
  std::mt19937 rng(11);
  for (int round = 0; round < 12; ++round) {
    Instance t = randomInstance(rng, 60, 24, 6, 1);
    t.options.arcs = ArcSelection::kColumnGeneration;
    const Value sparse = checkPlan(t, planOf(t));
    t.options.arcs = ArcSelection::kDense;
    const Value dense = checkPlan(t, planOf(t));
    EXPECT_EQ(sparse, dense) << "round " << round;
  }
}

TEST(PlannerCrossCheck, SendersAndReceiversOfAClassFormAForest) {
  // With the fewest pieces no two groups share two receivers: a cycle of splits could be
  // shifted until one piece empties.
  std::mt19937 rng(13);
  for (int round = 0; round < 12; ++round) {
    const Instance t = randomInstance(rng, 50, 24, 6, 1);
    const Plan plan = planOf(t);
    std::map<std::string, std::string> parent;
    std::function<std::string(const std::string&)> find = [&](const std::string& x) {
      auto it = parent.find(x);
      if (it == parent.end() || it->second == x) return x;
      return it->second = find(it->second);
    };
    for (const Placement& p : plan.placements) {
      const std::string a = find(p.fromUnit + "/" + p.form);
      const std::string b = find("to:" + p.toUnit + "/" + p.form);
      EXPECT_NE(a, b) << "cycle through " << p.fromUnit << " -> " << p.toUnit;
      parent[a] = b;
    }
  }
}

}  // namespace
}  // namespace samband::broker
