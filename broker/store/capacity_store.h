// CapacityStore: capacity figures (enrolled pupils, free seats now and within 72 h per unit,
// school form and year) from the two places they come from — the units' own signed capacity
// reports (table `capacity`, written by ingest) and the city's registers (`capacity_imports`,
// written by `samband-broker capacity import`) — and, per (unit, form, year), the newest of them
// by the broker's clock. The planner, the board's free-seat table and `capacity export` read
// that newest figure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

// One figure to import (validated by the caller: known unit, protocol form name, counts >= 0).
struct CapacityImportRow {
  std::string code;
  std::string form;
  int year = 0;
  int enrolled = 0, seatsNow = 0, seats72h = 0;
};

// The figure in force for one (unit, form, year).
struct CapacityFigureRow {
  std::string code;
  std::string form;
  int year = 0;
  int enrolled = 0, seatsNow = 0, seats72h = 0;
  bool imported = false;  // from `capacity import` (else: the unit's own report)
  int64_t atMs = 0;       // broker clock: when the report was received, or the file imported
  std::string file;       // the imported file's name; empty for a report
};

// The SQL of the newest figures as a common table expression named `figures` with columns code,
// form, year, enrolled, seats_now, seats_72h, at, source ('report' | 'import'), file; it takes
// the picture mode as the named parameter :mode (imports count in 'actual' only). A report and an
// import of the same time: the import wins. Store-internal: for broker/store/*.cpp.
extern const char* const kCapacityFiguresCte;

class CapacityStore {
 public:
  // `store` must outlive this object; one thread. Errors of every call: unavailable.
  explicit CapacityStore(Store& store) : store_(store) {}

  // Stores every row in one transaction, each replacing an earlier import of the same (unit,
  // form, year); `source` names the file. Nothing is written on error.
  common::Status importFigures(const std::vector<CapacityImportRow>& rows,
                               const std::string& source, int64_t nowMs);

  // The newest figure of every (unit, form, year) of the roster's units (actual mode), ordered by
  // unit, form, year. Runs no transaction of its own: call inside one for a snapshot.
  common::Result<std::vector<CapacityFigureRow>> newestFigures();

 private:
  Store& store_;
};

}  // namespace samband::broker
