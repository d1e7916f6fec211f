// Prometheus text exposition (format 0.0.4) of the broker's Metrics plus a few gauges read from
// the database, served by the board at /metrics. Metric names are documented in docs/board.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "broker/metrics/metrics.h"

namespace samband::broker {

struct DatabaseGauges {
  std::map<std::string, int64_t> providersByLiveness;  // online, stale, offline, never
  std::map<std::string, int64_t> unitsByState;         // real picture only
  int64_t activeSessions = 0;
  int64_t archivedFrames = 0;  // highest frame id
};

// Renders every counter and gauge. `db` is empty when the database could not be read; then
// samband_board_database_up is 0 and the database gauges are left out.
std::string renderMetrics(const Metrics& metrics, const std::optional<DatabaseGauges>& db);

}  // namespace samband::broker
