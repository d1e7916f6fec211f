// PieceProblem: a part of one class as an integer program for the exact stages — fewest pieces
// (sending year group, receiving unit) and then least pupil-metres — over a given set of arcs.
// The class solver builds one for each part it cannot settle by bounds alone and solves it with
// CBC (mip.h). Model: docs/planning.md, "The exact stages". Pure apart from CBC.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "broker/planning/mip.h"

namespace samband::broker {

struct PieceProblem {
  struct Source {
    int supply = 0;
    bool placeAll = false;  // every pupil must be placed (else at most `supply`)
    int maxPieces = -1;     // at most this many receivers; -1 = no limit
    int minPieces = 0;      // at least this many receivers: a cut the other rows imply
  };
  struct Receiver {
    int seats = 0;
    bool fill = false;   // every seat must be taken (else at most `seats`)
    int maxPieces = -1;  // at most this many sending groups; -1 = no limit
    int minPieces = 0;   // at least this many sending groups: a cut the other rows imply
  };
  struct Arc {
    int source = 0;
    int receiver = 0;
    std::int64_t metres = 0;
  };
  enum class Objective { kPieces, kMetres };

  std::vector<Source> sources;
  std::vector<Receiver> receivers;
  std::vector<Arc> arcs;
  std::int64_t placed = -1;     // pupils placed in all; -1 = free
  std::int64_t maxPieces = -1;  // pieces in all at most; -1 = no limit
  Objective objective = Objective::kMetres;
};

struct PieceSolution {
  MipResult::Status status = MipResult::Status::kUnknown;
  std::vector<int> flow;  // pupils per arc, when status is kOptimal or kFeasible
  std::int64_t pieces = 0;
  std::int64_t metres = 0;
  std::int64_t bound = 0;  // proven lower bound on the objective (pieces or metres)
};

// Solves `problem` until `deadline`. `start` (pupils per arc, optional) must be feasible; it is
// offered to CBC and returned when CBC finds nothing better. A solution CBC returns is checked
// against every constraint; one that breaks any is reported as kUnknown (a solver fault), never
// used. Thread-safe (see solveMip).
PieceSolution solvePieceProblem(const PieceProblem& problem,
                                std::chrono::steady_clock::time_point deadline,
                                const std::vector<int>* start = nullptr);

// Pieces and metres of `flow` (pupils per arc), and whether it keeps every constraint.
bool isFeasible(const PieceProblem& problem, const std::vector<int>& flow);

}  // namespace samband::broker
