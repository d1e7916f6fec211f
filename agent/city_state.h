// CityState: what the agent has taken from the city's directives, kept in outbox.db so a restart
// keeps it: the readiness level it applies (and which directive set it) and, per issuing broker
// key, the highest directive number applied, at or below which every directive of that key is
// refused as a replay or rollback (each broker of a city numbers its own directives).
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <map>
#include <string>

#include "common/messages.h"
#include "common/result.h"

namespace samband::agent {

struct CityStateRow {
  common::ReadinessLevel level = common::ReadinessLevel::NORMAL;
  std::string levelDirective;    // id of the directive that set the level ("" for none)
  uint64_t directiveNumber = 0;  // highest directive number applied by any key (0: none yet)
  // Highest directive number applied, by issuing city key id (hex).
  std::map<std::string, uint64_t> directiveNumberByKey;

  // The mark a directive signed by `keyIdHex` must be above. Without any per-key mark (a file
  // from before they were kept, whose issuer could not be told), `directiveNumber` for every key.
  uint64_t appliedBy(const std::string& keyIdHex) const;
};

class CityState {
 public:
  explicit CityState(SQLite::Database& db) : db_(db) {}
  CityState(const CityState&) = delete;
  CityState& operator=(const CityState&) = delete;

  // A file from before per-key marks (migration 12) with a directive applied: the old mark is
  // the key's that signed the newest applied directive in the inbox.
  common::Result<CityStateRow> read();
  // Records directive `directiveId` number `number`, signed by city key `keyIdHex`, as applied;
  // `level` (when not unchanged) becomes the level. Never lowers a number. Runs in the caller's
  // transaction if any.
  common::Status recordApplied(const std::string& directiveId, const std::string& keyIdHex,
                               uint64_t number, common::ReadinessLevel level);

 private:
  // The key id (hex) of the newest applied directive in the inbox; "" when none decodes.
  std::string legacyIssuer();
  SQLite::Database& db_;
};

}  // namespace samband::agent
