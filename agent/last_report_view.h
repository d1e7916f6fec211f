// Printing a unit's last report for `samband-agent last`: every field as signed, and when. The
// JSON uses the key names `samband-broker status --json` uses for a unit.
#pragma once

#include <string>

#include "agent/last_report.h"

namespace samband::agent {

// One JSON object: code, mode, the unit-status keys of the broker's status (null when never
// reported), reported_at, and capacity {reported_at, entries[]} (null when never reported).
std::string lastReportJson(const std::string& unit, const std::string& mode,
                           const LastReport& last);
// The same as lines a person reads.
std::string lastReportText(const std::string& unit, const std::string& mode,
                           const LastReport& last);

}  // namespace samband::agent
