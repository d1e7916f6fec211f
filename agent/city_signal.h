// CitySignal: whether the city can still be heard. The agent keeps the newest city-signed time
// it has verified (a time beacon on a heartbeat reply, or any city message) in outbox.db, and
// judges from it whether the broker or the network is withholding the city's messages: silence
// while connected, or a beacon naming a directive or check that never arrived.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/messages.h"
#include "common/result.h"

namespace samband::agent {

struct CitySignalRow {
  int64_t lastSignedAt = 0;        // newest city-signed time verified (city clock, ms); 0 = none
  int64_t heardAt = 0;             // our clock when lastSignedAt last moved forward; 0 = never
  int64_t beaconAt = 0;            // sentAt of the newest verified time beacon; 0 = none
  int64_t firstBeaconAt = 0;       // sentAt of the first verified time beacon; 0 = none
  uint64_t baselineDirective = 0;  // the directive number the first beacon named
  // What the newest beacon named, its directiveMarks too (migration 13; a row written by an
  // older agent has none, and is judged by directiveNumber).
  common::TimeBeaconMsg beacon;
};

// Pure bookkeeping on a row. noteSigned: a verified city body signed at `signedAt` arrived at
// our time `nowMs`; returns true when the row changed.
bool noteSigned(CitySignalRow& row, int64_t signedAt, int64_t nowMs);

enum class BeaconOutcome { newer, same, older };
// A verified beacon (`beacon` holds a TimeBeaconMsg). `older`: signed before the newest one held,
// a rollback, and the row is left as it was. `same`: the beacon already held.
BeaconOutcome noteBeacon(CitySignalRow& row, const common::Message& beacon, int64_t nowMs);

struct CitySignalInputs {
  int64_t nowMs = 0;  // our wall clock
  bool connected = false;
  std::optional<int64_t> connectedAt;  // when the current connection came up
  CitySignalRow row;
  uint64_t appliedDirective = 0;  // the highest directive number applied (city_state)
  // The highest applied per issuing city key id (hex) (CityStateRow::directiveNumberByKey): a
  // beacon's directiveMarks are judged per key against it (docs/replication.md).
  std::map<std::string, uint64_t> appliedByKey;
  bool holdsNewestCheck = true;  // the inbox holds the check the newest beacon names
  int64_t maxAgeMs = 600'000;
};

struct CitySignalAssessment {
  bool ok = true;
  std::optional<int64_t> silentForMs;  // how long no newer signed word arrived; nullopt: unknown
  std::vector<std::string> problems;   // sentences for a person, each saying what to do
};

// Pure. Silence counts only while connected: since the newest signed word arrived (or since the
// connection came up when none ever did), and by the city's own signed time, whichever is longer.
CitySignalAssessment assessCitySignal(const CitySignalInputs& inputs);

// The city_signal row of outbox.db (migration 5). Not thread-safe; one per connection.
class CitySignalStore {
 public:
  explicit CitySignalStore(SQLite::Database& db) : db_(db) {}
  CitySignalStore(const CitySignalStore&) = delete;
  CitySignalStore& operator=(const CitySignalStore&) = delete;

  // Errors: unavailable.
  common::Result<CitySignalRow> read();
  common::Status write(const CitySignalRow& row);
  // True when the inbox holds a verified readiness check `checkId`. Errors: unavailable.
  common::Result<bool> holdsCheck(const std::string& checkId);

 private:
  SQLite::Database& db_;
};

}  // namespace samband::agent
