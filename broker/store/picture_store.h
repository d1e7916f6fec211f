// PictureStore: the reads behind the picture (providers, units and their latest status, capacity,
// continuity, what-if marks, a provider's archived frames) and the board's health and metrics
// gauges, as plain rows. broker/picture/ turns them into the JSON and CSV people read.
#pragma once

#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

// A provider with its liveness inputs and actual continuity.
struct ProviderRow {
  std::string id;
  std::string name;
  std::optional<int64_t> lastSeen;
  int64_t lastSeq = 0;                    // 0: no frame archived
  std::optional<std::string> continuity;  // nothing: never reported
  int64_t continuityFrom = 0;             // 0: none
  // Its clock minus the broker's, from its newest heartbeat (positive: ahead); nothing: never
  // measured.
  std::optional<int64_t> clockOffsetMs;
};

// A unit's latest status in one mode (every column of unit_status the picture shows).
struct UnitStatusRow {
  std::string operational, reason, criticalCare, specialSupport, electricity;
  std::string heating, water, food, it, telephony, note;
  int64_t pupilsPresent = -1, pupilsEnrolled = -1, staffAvailable = -1, staffTotal = -1;
  int64_t backupHours = -1, foodDays = -1;  // negative: not reported
  int64_t sentAt = 0, receivedAt = 0, expectedReopen = 0, validUntil = 0;
  std::string closedUntil;  // "YYYY-MM-DD"; empty: not given
  int64_t frameId = 0;      // the archived frame this status came from (unit_status.frame_id)
};

// A roster unit and its latest actual status, if any.
struct UnitPictureRow {
  std::string code;
  std::string providerId;
  std::optional<std::string> name;
  std::optional<std::string> district;
  std::string schoolForms;  // stored text, "grundskola:1;fritidshem:0"; empty: none
  std::optional<UnitStatusRow> status;
};

// What identifies a unit's row of units() without reading it: its roster fields and the frame
// its actual status came from (every change of the status comes with a new frame). The views
// point into the database's row and are valid only during the callback.
struct UnitKeyView {
  std::string_view code;
  std::string_view providerId;
  std::optional<std::string_view> name;
  std::optional<std::string_view> district;
  std::string_view schoolForms;  // empty: none
  int64_t frameId = 0;           // 0: no actual status
};

// A unit's latest status in a mode other than actual (exercise, system, test).
struct OtherModeRow {
  std::string mode;
  std::string code;
  std::string providerId;
  std::optional<std::string> unitName;
  std::string providerName;  // empty: unknown
  std::optional<std::string> district;
  UnitStatusRow status;
};

struct WhatIfRow {
  std::string code;
  std::optional<std::string> unitName;
  std::string providerId;  // empty: the unit left the roster
  std::string markedBy;
  int64_t markedAt = 0;
};

// One cell of the free-seats table: a district's units of one school form and year.
struct CapacityCellRow {
  std::string district;  // empty: none
  std::string form;
  int year = 0;
  int64_t enrolled = 0, seatsNow = 0, seats72h = 0, units = 0;
};

// One archived frame of a sender, with its envelope as stored.
struct FrameRow {
  int64_t id = 0;
  int64_t seq = 0;
  std::string kind, mode, keyId;
  int64_t sentAt = 0, receivedAt = 0;
  common::Bytes envelope;
};

// What the change watch compares between looks at the database.
struct ChangeFingerprint {
  int64_t maxFrameId = 0;
  std::string print;  // frames, roster size, level, what-if marks
  std::vector<std::pair<std::string, int64_t>> lastSeen;  // provider id, last_seen (0: never)
};

// Gauges for /metrics and /healthz.
struct DatabaseCounts {
  std::vector<std::optional<int64_t>> providerLastSeen;  // one per provider
  std::map<std::string, int64_t> unitsByState;           // actual operational state or "unknown"
  int64_t archivedFrames = 0;                            // highest frame id
};

struct HealthRow {
  int schemaVersion = 0;
  int64_t archivedFrames = 0;  // highest frame id
};

// Calls on the connection of `store`; use from the thread that holds it. Every call catches the
// database's exceptions; errors are `unavailable` with the database's message unless stated.
class PictureStore {
 public:
  explicit PictureStore(Store& store) : store_(store) {}

  // Providers by id; units by code with their actual status; other modes by mode and code.
  common::Result<std::vector<ProviderRow>> providers();
  // providers() with only id, name and lastSeen filled (no look into the archive per provider).
  common::Result<std::vector<ProviderRow>> providerNames();
  common::Result<std::vector<UnitPictureRow>> units();
  // units() for `codes` only, in their order (codes not in the roster are left out).
  common::Result<std::vector<UnitPictureRow>> unitsByCode(const std::vector<std::string>& codes);
  // Every roster unit by code as units() lists them, as keys only (no status columns read): for
  // renderers that keep each unit's text and re-read only units whose key changed. Call inside a
  // read transaction (ReadTransaction): the keys come from two statements.
  common::Status forEachUnitKey(const std::function<void(const UnitKeyView&)>& visit);
  common::Result<std::vector<OtherModeRow>> otherModes();
  common::Result<int64_t> frameCount();
  // Distinct (code, form) of `mode`'s capacity reports.
  common::Result<std::vector<std::pair<std::string, std::string>>> capacityForms(
      const std::string& mode);
  // Free seats of `mode` per district, form and year, without closed and remote units; and how
  // many units with capacity reports were left out for that.
  common::Result<std::vector<CapacityCellRow>> capacityCells(const std::string& mode);
  common::Result<int64_t> capacityExcludedUnits(const std::string& mode);

  common::Result<std::vector<WhatIfRow>> whatIfMarks();
  // Errors: no such unit in the roster (notFound).
  common::Status setWhatIf(const std::string& code, bool failing, const std::string& byUser,
                           int64_t nowMs);

  // `sender`'s frames below id `before` (0: from the newest), newest first, at most `limit`.
  common::Result<std::vector<FrameRow>> framesOf(const std::string& sender, int64_t before,
                                                 int limit);
  // `sender`'s frames with id <= `upTo`.
  common::Result<int64_t> frameCountOf(const std::string& sender, int64_t upTo = INT64_MAX);
  common::Result<bool> hasFramesBelow(const std::string& sender, int64_t id);

  // SQLite's data_version: changes when another connection commits.
  common::Result<int64_t> dataVersion();
  common::Result<ChangeFingerprint> fingerprint();
  common::Result<DatabaseCounts> counts();
  common::Result<HealthRow> health();

 private:
  Store& store_;
};

}  // namespace samband::broker
