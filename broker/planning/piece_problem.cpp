// See piece_problem.h. The formulation: per arc a, x_a pupils (integer, 0..min(supply, seats))
// and y_a in {0, 1} (a piece), x_a <= min(supply, seats) * y_a; rows for supplies, seats,
// pieces per source and receiver, pupils placed and pieces in all.
#include "broker/planning/piece_problem.h"

#include <algorithm>
#include <cmath>

namespace samband::broker {
namespace {

int arcCap(const PieceProblem& p, const PieceProblem::Arc& a) {
  return std::min(p.sources[a.source].supply, p.receivers[a.receiver].seats);
}

void measure(const PieceProblem& problem, const std::vector<int>& flow, PieceSolution& out) {
  out.pieces = 0;
  out.metres = 0;
  for (std::size_t a = 0; a < flow.size(); ++a) {
    if (flow[a] <= 0) continue;
    ++out.pieces;
    out.metres += flow[a] * problem.arcs[a].metres;
  }
}

}  // namespace

bool isFeasible(const PieceProblem& problem, const std::vector<int>& flow) {
  if (flow.size() != problem.arcs.size()) return false;
  std::vector<std::int64_t> sent(problem.sources.size(), 0);
  std::vector<std::int64_t> received(problem.receivers.size(), 0);
  std::vector<int> sourcePieces(problem.sources.size(), 0);
  std::vector<int> receiverPieces(problem.receivers.size(), 0);
  std::int64_t placed = 0;
  std::int64_t pieces = 0;
  for (std::size_t a = 0; a < flow.size(); ++a) {
    const PieceProblem::Arc& arc = problem.arcs[a];
    if (flow[a] < 0 || flow[a] > arcCap(problem, arc)) return false;
    if (flow[a] == 0) continue;
    sent[arc.source] += flow[a];
    received[arc.receiver] += flow[a];
    ++sourcePieces[arc.source];
    ++receiverPieces[arc.receiver];
    placed += flow[a];
    ++pieces;
  }
  for (std::size_t i = 0; i < problem.sources.size(); ++i) {
    const PieceProblem::Source& s = problem.sources[i];
    if (sent[i] > s.supply || (s.placeAll && sent[i] != s.supply)) return false;
    if (s.maxPieces >= 0 && sourcePieces[i] > s.maxPieces) return false;
    if (sourcePieces[i] < s.minPieces) return false;
  }
  for (std::size_t j = 0; j < problem.receivers.size(); ++j) {
    const PieceProblem::Receiver& r = problem.receivers[j];
    if (received[j] > r.seats || (r.fill && received[j] != r.seats)) return false;
    if (r.maxPieces >= 0 && receiverPieces[j] > r.maxPieces) return false;
    if (receiverPieces[j] < r.minPieces) return false;
  }
  if (problem.placed >= 0 && placed != problem.placed) return false;
  if (problem.maxPieces >= 0 && pieces > problem.maxPieces) return false;
  return true;
}

namespace {

// Every receiver taken whole by one group (fill and at most one piece each): then x_a is
// seats * y_a, and the model needs only y — a generalised assignment problem, half the columns
// and none of the linking rows.
bool isAssignment(const PieceProblem& problem) {
  if (problem.placed >= 0 || problem.maxPieces >= 0) return false;
  return std::all_of(problem.receivers.begin(), problem.receivers.end(),
                     [](const PieceProblem::Receiver& r) { return r.fill && r.maxPieces == 1; });
}

PieceSolution finish(const PieceProblem& problem, const MipResult& mip, std::vector<int> flow,
                     const std::vector<int>* start) {
  const bool byPieces = problem.objective == PieceProblem::Objective::kPieces;
  PieceSolution out;
  out.status = mip.status;
  out.bound = static_cast<std::int64_t>(std::ceil(mip.bound - 1e-6));
  if (mip.status == MipResult::Status::kOptimal || mip.status == MipResult::Status::kFeasible) {
    out.flow = std::move(flow);
    if (!isFeasible(problem, out.flow)) {
      out.status = MipResult::Status::kUnknown;
      out.flow.clear();
    } else {
      measure(problem, out.flow, out);
    }
  }
  if (start && isFeasible(problem, *start)) {
    PieceSolution given;
    given.flow = *start;
    measure(problem, given.flow, given);
    const auto value = [&](const PieceSolution& s) { return byPieces ? s.pieces : s.metres; };
    if (out.flow.empty() || value(given) < value(out)) {
      given.status = out.status == MipResult::Status::kOptimal ? MipResult::Status::kOptimal
                                                                : MipResult::Status::kFeasible;
      given.bound = out.bound;
      out = std::move(given);
    }
  }
  if (out.status == MipResult::Status::kOptimal) out.bound = byPieces ? out.pieces : out.metres;
  return out;
}

PieceSolution solveAssignment(const PieceProblem& problem,
                              std::chrono::steady_clock::time_point deadline,
                              const std::vector<int>* start) {
  const double inf = MipModel::kInfinity;
  const bool byPieces = problem.objective == PieceProblem::Objective::kPieces;
  MipModel model;
  const std::size_t arcs = problem.arcs.size();
  std::vector<std::vector<int>> ofSource(problem.sources.size());
  std::vector<std::vector<int>> ofReceiver(problem.receivers.size());
  for (std::size_t a = 0; a < arcs; ++a) {
    const PieceProblem::Arc& arc = problem.arcs[a];
    const int seats = problem.receivers[arc.receiver].seats;
    const bool fits = seats <= problem.sources[arc.source].supply;
    model.addColumn(0.0, fits ? 1.0 : 0.0,
                    byPieces ? 1.0 : static_cast<double>(arc.metres) * seats, true);
    ofSource[arc.source].push_back(static_cast<int>(a));
    ofReceiver[arc.receiver].push_back(static_cast<int>(a));
  }
  std::vector<double> values;
  for (std::size_t j = 0; j < problem.receivers.size(); ++j) {
    values.assign(ofReceiver[j].size(), 1.0);
    model.addRow(ofReceiver[j], values, 1.0, 1.0);
  }
  for (std::size_t i = 0; i < problem.sources.size(); ++i) {
    values.clear();
    for (int a : ofSource[i]) values.push_back(problem.receivers[problem.arcs[a].receiver].seats);
    model.addRow(ofSource[i], values, -inf, problem.sources[i].supply);
  }
  std::vector<double> startValues;
  if (start) {
    startValues.assign(arcs, 0.0);
    for (std::size_t a = 0; a < arcs; ++a) startValues[a] = (*start)[a] > 0 ? 1.0 : 0.0;
  }
  const MipResult mip = solveMip(model, deadline, start ? &startValues : nullptr);
  std::vector<int> flow;
  if (!mip.x.empty()) {
    flow.assign(arcs, 0);
    for (std::size_t a = 0; a < arcs; ++a) {
      if (mip.x[a] > 0.5) flow[a] = problem.receivers[problem.arcs[a].receiver].seats;
    }
  }
  return finish(problem, mip, std::move(flow), start);
}

}  // namespace

PieceSolution solvePieceProblem(const PieceProblem& problem,
                                std::chrono::steady_clock::time_point deadline,
                                const std::vector<int>* start) {
  if (isAssignment(problem)) return solveAssignment(problem, deadline, start);
  const double inf = MipModel::kInfinity;
  const bool byPieces = problem.objective == PieceProblem::Objective::kPieces;
  MipModel model;
  const std::size_t arcs = problem.arcs.size();
  std::vector<int> xs(arcs);
  std::vector<int> ys(arcs);
  for (std::size_t a = 0; a < arcs; ++a) {
    const PieceProblem::Arc& arc = problem.arcs[a];
    const double cap = arcCap(problem, arc);
    xs[a] = model.addColumn(0.0, cap, byPieces ? 0.0 : static_cast<double>(arc.metres), true);
    ys[a] = model.addColumn(0.0, 1.0, byPieces ? 1.0 : 0.0, true);
  }
  std::vector<std::vector<int>> ofSource(problem.sources.size());
  std::vector<std::vector<int>> ofReceiver(problem.receivers.size());
  for (std::size_t a = 0; a < arcs; ++a) {
    const PieceProblem::Arc& arc = problem.arcs[a];
    model.addRow({xs[a], ys[a]}, {1.0, -static_cast<double>(arcCap(problem, arc))}, -inf, 0.0);
    ofSource[arc.source].push_back(static_cast<int>(a));
    ofReceiver[arc.receiver].push_back(static_cast<int>(a));
  }
  std::vector<int> columns;
  std::vector<double> ones;
  auto rowOver = [&](const std::vector<int>& arcList, const std::vector<int>& var, double lo,
                     double up) {
    columns.clear();
    for (int a : arcList) columns.push_back(var[a]);
    ones.assign(columns.size(), 1.0);
    model.addRow(columns, ones, lo, up);
  };
  for (std::size_t i = 0; i < problem.sources.size(); ++i) {
    const PieceProblem::Source& s = problem.sources[i];
    rowOver(ofSource[i], xs, s.placeAll ? s.supply : -inf, s.supply);
    if (s.maxPieces >= 0 || s.minPieces > 0) {
      rowOver(ofSource[i], ys, s.minPieces, s.maxPieces >= 0 ? s.maxPieces : inf);
    }
  }
  for (std::size_t j = 0; j < problem.receivers.size(); ++j) {
    const PieceProblem::Receiver& r = problem.receivers[j];
    rowOver(ofReceiver[j], xs, r.fill ? r.seats : -inf, r.seats);
    if (r.maxPieces >= 0 || r.minPieces > 0) {
      rowOver(ofReceiver[j], ys, r.minPieces, r.maxPieces >= 0 ? r.maxPieces : inf);
    }
  }
  std::vector<int> all(arcs);
  for (std::size_t a = 0; a < arcs; ++a) all[a] = static_cast<int>(a);
  if (problem.placed >= 0) {
    rowOver(all, xs, static_cast<double>(problem.placed), static_cast<double>(problem.placed));
  }
  if (problem.maxPieces >= 0) rowOver(all, ys, -inf, static_cast<double>(problem.maxPieces));

  std::vector<double> startValues;
  if (start) {
    startValues.assign(model.columnCount(), 0.0);
    for (std::size_t a = 0; a < arcs; ++a) {
      startValues[xs[a]] = (*start)[a];
      startValues[ys[a]] = (*start)[a] > 0 ? 1.0 : 0.0;
    }
  }
  const MipResult mip = solveMip(model, deadline, start ? &startValues : nullptr);
  std::vector<int> flow;
  if (!mip.x.empty()) {
    flow.assign(arcs, 0);
    for (std::size_t a = 0; a < arcs; ++a) flow[a] = static_cast<int>(std::lround(mip.x[xs[a]]));
  }
  return finish(problem, mip, std::move(flow), start);
}

}  // namespace samband::broker
