// SeatsStore: each unit's newest capacity figure in one mode, row by row (one per school form
// and year; its own report, or in actual mode the city's import where that is newer), with the
// unit's roster data and its current state in that mode: what the board's free-seats view and its
// per-district totals are computed from (broker/picture/ board_view_seats.cpp). Typed calls over
// one Store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

struct UnitSeatsRow {
  std::string code;
  std::optional<std::string> name;
  std::optional<std::string> district;
  std::string providerId;    // empty: the unit left the roster
  std::string providerName;  // empty: unknown
  std::string form;
  int year = 0;
  int64_t enrolled = 0, seatsNow = 0, seats72h = 0;
  int64_t sentAt = 0;       // when the broker got the figure (report received, file imported)
  std::string operational;  // the unit's state in the same mode; "unknown" when never reported
  std::string source;       // "report" (the unit's own) or "import" (capacity import)
};

// Calls on the connection of `store`; use from the thread that holds it. Errors: unavailable
// with the database's message.
class SeatsStore {
 public:
  explicit SeatsStore(Store& store) : store_(store) {}

  // Every capacity row of `mode`, by unit code, form and year.
  common::Result<std::vector<UnitSeatsRow>> unitSeats(const std::string& mode);

 private:
  Store& store_;
};

}  // namespace samband::broker
