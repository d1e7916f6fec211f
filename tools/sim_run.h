// `samband-sim run`: opens every agent of a simulated city in one thread (tools/fleet.h), queues
// each unit's initial status and capacity, then sends reports at a steady rate with realistic
// changes (tools/report_model.h) and, in the storm scenario, the storm's events
// (tools/storm.h). Prints a progress line at a fixed interval.
#pragma once

#include <csignal>
#include <cstdint>
#include <ostream>
#include <string>

namespace samband::tools {

enum class Scenario { none, storm };

struct RunOptions {
  std::string dir;
  double rate = 2.0;      // reports per second across the city
  int64_t durationS = 0;  // 0: until stopped
  Scenario scenario = Scenario::storm;
  double exerciseShare = 0.05;  // share of reports sent in exercise mode
  int64_t stormAfterS = 60;
  int64_t drainTimeoutS = 30;  // after --duration: wait this long for the outboxes to drain
  int64_t statusEveryS = 10;
};

// Runs until `stop` becomes non-zero (set from a signal handler) or the duration has passed and
// the outboxes drained. Returns the process exit status: 0 when stopped or drained, 1 when
// reports were still pending at the end of the drain timeout, 2 for setup errors (printed to
// stderr as one sentence).
int runSimulation(const RunOptions& options, const volatile std::sig_atomic_t& stop,
                  std::ostream& out);

}  // namespace samband::tools
