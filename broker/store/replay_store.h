// ReplayStore: the writes and reads of the replay database only: a private in-memory database
// with the broker's schema into which broker/picture/archive_replay.h replays the archive. Its
// `frames` table holds each chain's head (not the archive), its `providers.last_seen` the time
// of each provider's newest archived frame (heartbeats are not archived), and its roster the
// units and keys the city's signed records (and the reports) name. Never used on samband.db.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

// A chain's newest frame, as the replay keeps it.
struct ChainHeadRow {
  std::string sender;
  std::string keyId;  // hex
  int64_t seq = 0;
  int64_t frameId = 0;
  std::string kind, mode;
  int64_t sentAt = 0, receivedAt = 0;
  common::Bytes bodyHash;
};

// Calls on the replay database's connection. Errors of every call: unavailable.
class ReplayStore {
 public:
  explicit ReplayStore(Store& store) : store_(store) {}

  // Replaces the `frames` table with these heads.
  common::Status putHeads(const std::vector<ChainHeadRow>& heads);
  common::Result<std::vector<ChainHeadRow>> heads();
  // Sets providers.last_seen (adding providers not there yet).
  common::Status putLastSeen(const std::map<std::string, int64_t>& lastSeen);
  common::Result<std::map<std::string, int64_t>> lastSeen();

  // Adds the provider (named by its id until labels are set) if it is not there.
  common::Status addProvider(const std::string& id, int64_t enrolledAt);
  // Adds a key unless it is there (the provider must be).
  common::Status addKey(const std::string& keyIdHex, const std::string& provider,
                        const common::Bytes& signPublic, const common::Bytes& curvePublic,
                        int64_t enrolledAt);
  // Sets the key's revocation time unless it has one.
  common::Status revokeKey(const std::string& keyIdHex, int64_t atMs);
  // The unit belongs to `provider` (added, or moved).
  common::Status setUnitOwner(const std::string& code, const std::string& provider);
  // Whether the unit is in the roster (and whose it is; empty when not).
  common::Result<std::string> unitOwner(const std::string& code);

  common::Result<bool> hasCheck(const std::string& checkId);
  // Drops the checks whose deadline is before `deadlineMs`, with recipients and answers.
  common::Status dropChecksBefore(int64_t deadlineMs);

  // The frames the replayed state rests on: every unit status, capacity report, continuity and
  // readiness answer it holds (what an inquiry export must carry from before its period).
  common::Result<std::vector<int64_t>> stateFrameIds();
  // The city's frames of checks whose deadline and directives whose expiry is after `atMs`.
  common::Result<std::vector<int64_t>> openCityFrameIds(int64_t atMs);
  // Providers with more than one key.
  common::Result<std::vector<std::string>> providersWithRotations();

  // Labels from the live roster (names, districts, positions, school forms), which the archive
  // does not hold: providers' names by id, and the units' metadata; rows for units or
  // providers the replay does not know are ignored.
  common::Status setLabels(const std::map<std::string, std::string>& providerNames,
                           const std::vector<UnitRosterRow>& units);

 private:
  Store& store_;
};

}  // namespace samband::broker
