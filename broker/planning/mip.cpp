// See mip.h. The only file of the planner that includes CBC.
#include "broker/planning/mip.h"

#include <coin/CbcModel.hpp>
#include <coin/CbcSolver.hpp>
#include <coin/CoinPackedMatrix.hpp>
#include <coin/OsiClpSolverInterface.hpp>

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>
#include <string>

namespace samband::broker {

int MipModel::addColumn(double lo, double up, double c, bool isInteger) {
  lower.push_back(lo);
  upper.push_back(up);
  cost.push_back(c);
  integer.push_back(isInteger ? 1 : 0);
  return static_cast<int>(cost.size()) - 1;
}

void MipModel::addRow(const std::vector<int>& columns, const std::vector<double>& values,
                      double lo, double up) {
  index.insert(index.end(), columns.begin(), columns.end());
  value.insert(value.end(), values.begin(), values.end());
  rowStart.push_back(static_cast<int>(index.size()));
  rowLower.push_back(lo);
  rowUpper.push_back(up);
}

namespace {

// CbcMain0/CbcMain1 parse their "command line" through globals of CbcOrClpParam.cpp, so two
// threads must never be inside them at once (coin-or/Cbc#332, open for 2.10).
std::mutex& cbcMutex() {
  static std::mutex m;
  return m;
}

int noCallback(CbcModel*, int) { return 0; }

}  // namespace

MipResult solveMip(const MipModel& model, std::chrono::steady_clock::time_point deadline,
                   const std::vector<double>* start, const double* cutoff) {
  MipResult result;
  const int columns = model.columnCount();
  if (columns == 0) {
    result.status = MipResult::Status::kOptimal;
    return result;
  }
  try {
    CoinPackedMatrix matrix(false, 0, 0);
    matrix.setDimensions(0, columns);
    for (int r = 0; r < model.rowCount(); ++r) {
      const int begin = model.rowStart[r];
      matrix.appendRow(model.rowStart[r + 1] - begin, model.index.data() + begin,
                       model.value.data() + begin);
    }
    OsiClpSolverInterface solver;
    solver.messageHandler()->setLogLevel(0);
    solver.getModelPtr()->messageHandler()->setLogLevel(0);
    solver.loadProblem(matrix, model.lower.data(), model.upper.data(), model.cost.data(),
                       model.rowLower.data(), model.rowUpper.data());
    for (int c = 0; c < columns; ++c) {
      if (model.integer[c]) solver.setInteger(c);
    }

    std::lock_guard<std::mutex> lock(cbcMutex());
    // Most of the planner's programs are all but solved by their LP and cuts, where CBC's
    // primal heuristics and preprocessing cost more than the search: a first run without them
    // and with few nodes settles those several times faster (docs/decisions/0007-cbc.md);
    // the rest get a second run with everything.
    for (const bool quick : {true, false}) {
      const double seconds =
          std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
      if (seconds <= 0.0) break;
      CbcModel cbc(solver);
      cbc.messageHandler()->setLogLevel(0);
      if (start) cbc.setBestSolution(start->data(), columns, COIN_DBL_MAX, true);
      CbcSolverUsefulData data;
      data.noPrinting_ = true;
      data.useSignalHandler_ = false;
      CbcMain0(cbc, data);
      cbc.messageHandler()->setLogLevel(0);
      const std::string secondsText = std::to_string(std::max(0.01, seconds));
      const std::string cutoffText = cutoff ? std::to_string(*cutoff) : std::string();
      std::vector<const char*> argv{"samband", "-log", "0", "-slog", "0", "-timeMode", "elapsed",
                                    "-sec", secondsText.c_str(), "-ratioGap", "0",
                                    "-allowableGap", "1e-7"};
      if (quick) {
        for (const char* arg : {"-heuristicsOnOff", "off", "-preprocess", "off", "-maxNodes", "200"}) {
          argv.push_back(arg);
        }
      }
      if (cutoff) {
        argv.push_back("-cutoff");
        argv.push_back(cutoffText.c_str());
      }
      argv.push_back("-solve");
      argv.push_back("-quit");
      CbcMain1(static_cast<int>(argv.size()), argv.data(), cbc, noCallback, data);

      result.nodes += cbc.getNodeCount();
      const double* best = cbc.bestSolution();
      if (best) {
        result.x.assign(best, best + columns);
        result.objective = cbc.getObjValue();
      }
      result.bound = cbc.getBestPossibleObjValue();
      if (cbc.isProvenOptimal() && best) {
        result.status = MipResult::Status::kOptimal;
        result.bound = result.objective;
      } else if (cbc.isProvenInfeasible() || (cbc.isProvenOptimal() && !best)) {
        result.status = MipResult::Status::kInfeasible;
      } else if (best) {
        result.status = MipResult::Status::kFeasible;
      }
      if (result.status == MipResult::Status::kOptimal ||
          result.status == MipResult::Status::kInfeasible) {
        break;
      }
    }
    return result;
  } catch (const std::exception&) {
    return MipResult{};
  } catch (const CoinError&) {
    return MipResult{};
  }
}

}  // namespace samband::broker
