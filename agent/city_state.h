// CityState: what the agent has taken from the city's directives, kept in outbox.db so a restart
// keeps it: the readiness level it applies (and which directive set it) and the highest directive
// number applied, below which every directive is refused as a replay or rollback.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <string>

#include "common/messages.h"
#include "common/result.h"

namespace samband::agent {

struct CityStateRow {
  common::ReadinessLevel level = common::ReadinessLevel::NORMAL;
  std::string levelDirective;    // id of the directive that set the level ("" for none)
  uint64_t directiveNumber = 0;  // highest directive number applied (0: none yet)
};

class CityState {
 public:
  explicit CityState(SQLite::Database& db) : db_(db) {}
  CityState(const CityState&) = delete;
  CityState& operator=(const CityState&) = delete;

  common::Result<CityStateRow> read();
  // Records directive `directiveId` number `number` as applied; `level` (when not unchanged)
  // becomes the level. Never lowers the number. Runs in the caller's transaction if any.
  common::Status recordApplied(const std::string& directiveId, uint64_t number,
                               common::ReadinessLevel level);

 private:
  SQLite::Database& db_;
};

}  // namespace samband::agent
