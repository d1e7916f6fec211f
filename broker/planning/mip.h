// A small mixed-integer program and its solution with COIN-OR CBC: the adapter between the
// planner's exact stages (piece_problem.h) and the solver library. Nothing else in the planner
// includes a CBC header; CBC's exceptions and messages stop here. Model: docs/planning.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace samband::broker {

// min cost'x subject to rowLower <= A x <= rowUpper, lower <= x <= upper, x integer where
// marked. Built column by column, then row by row; infinite bounds are +-kInfinity.
struct MipModel {
  static constexpr double kInfinity = 1e30;

  // Adds a column and returns its index.
  int addColumn(double lower, double upper, double cost, bool integer);
  // Adds the row lower <= sum(values[k] * x[columns[k]]) <= upper; columns must exist.
  void addRow(const std::vector<int>& columns, const std::vector<double>& values, double lower,
              double upper);

  int columnCount() const { return static_cast<int>(cost.size()); }
  int rowCount() const { return static_cast<int>(rowLower.size()); }

  std::vector<double> lower, upper, cost;
  std::vector<char> integer;
  std::vector<int> rowStart{0};  // row r has entries rowStart[r] .. rowStart[r + 1] - 1
  std::vector<int> index;
  std::vector<double> value;
  std::vector<double> rowLower, rowUpper;
};

struct MipResult {
  enum class Status {
    kOptimal,     // `x` is optimal
    kFeasible,    // stopped at the deadline with a solution `x`; `bound` is proven
    kInfeasible,  // proven: no solution (with `cutoff`: none with cost below it)
    kUnknown,     // stopped at the deadline without a solution
  };
  Status status = Status::kUnknown;
  std::vector<double> x;   // one value per column when a solution exists
  double objective = 0.0;  // cost of `x`
  double bound = 0.0;      // proven lower bound on the optimum
  std::int64_t nodes = 0;  // branch-and-bound nodes
};

// Solves `model` with CBC (presolve, cuts and heuristics as the cbc program sets them), single
// threaded, until `deadline`. Columns with integral cost on integer columns make the objective
// integral, which CBC uses to prune; `cutoff` (optional) asks only for solutions that cost less.
// `start` (optional, one value per column) is offered as a first solution. Thread-safe: calls are
// serialised, because CbcMain1 keeps its parameter parser in globals (coin-or/Cbc#332).
MipResult solveMip(const MipModel& model, std::chrono::steady_clock::time_point deadline,
                   const std::vector<double>* start = nullptr, const double* cutoff = nullptr);

}  // namespace samband::broker
