// LastReport: the newest unit status and capacity this agent signed for each unit and mode, kept
// in outbox.db's last_report table when they are queued, so they outlive the outbox rows the
// broker acknowledges. `report` carries their fields forward; `last` prints them.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::agent {

struct LastReport {
  std::optional<common::UnitStatusMsg> status;
  int64_t statusSentAt = 0;  // the body's sentAt (agent clock, ms); 0 when none
  std::optional<common::CapacityMsg> capacity;
  int64_t capacitySentAt = 0;
};

// Keeps `body` (a signed body of kind unit_status or capacity) as the newest of its unit, kind
// and mode. Runs in the caller's write transaction; other kinds are ignored. Throws
// SQLite::Exception (the outbox turns it into a result).
void recordLastReport(SQLite::Database& db, const std::string& unit, const std::string& kind,
                      const std::string& mode, int64_t sentAt, int64_t queuedAt,
                      const common::Bytes& body);

// The newest unit status and capacity signed for `unit` in `mode` (a modeName); empty fields when
// none was. Errors: unavailable (SQLite), internal (a stored body no longer decodes).
common::Result<LastReport> readLastReport(SQLite::Database& db, const std::string& unit,
                                          const std::string& mode);

}  // namespace samband::agent
