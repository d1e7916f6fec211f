// RollupStore: the tables of an upstream (county or national) broker (docs/rollup.md): the
// cities it enrolled, every frame a city relayed exactly as its sender signed it (keyed by
// city: provider ids may collide across cities), each unit's newest relayed state, refusals per
// city and reason, and each city's signed liveness summary. Only SQL here; the checks are the
// RollupVerifier's (broker/replication/rollup_verifier.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

struct RollupCityRow {
  std::string city;
  common::Bytes rootSignPublic;  // 32 bytes
  common::Bytes curvePublic;     // 32 bytes
  int64_t enrolledAt = 0;
  std::optional<int64_t> lastContact;
  std::string livenessJson = "[]";
  std::optional<int64_t> livenessAt;
  int64_t gaps = 0;
};

// One relayed frame as stored (and as read back to rebuild the verifier).
struct RollupFrameRow {
  std::string sender;
  std::string keyId;
  uint64_t seq = 0;
  common::Bytes bodyHash;
  int64_t sentAt = 0;
  int64_t receivedAt = 0;
  common::Bytes envelope;  // an envelope, or the batch frame the report came in
  std::optional<uint32_t> batchIndex;
};

// A unit's newest relayed state (what the upstream's status and board show).
struct RollupUnitRow {
  std::string city;
  std::string unit;
  std::string provider;
  std::optional<std::string> state;
  std::string statusJson;  // empty: no status relayed yet
  std::optional<int64_t> reportedAt;
  std::string capacityJson;  // empty: none
  std::optional<int64_t> capacityAt;
};

class RollupStore {
 public:
  // `store` must outlive this object; one thread (the store's).
  explicit RollupStore(Store& store) : store_(store) {}

  // Enrols a city (or replaces its keys). Errors: invalidInput when the transport key belongs
  // to another city, unavailable.
  common::Status enrolCity(const RollupCityRow& row);
  common::Result<std::vector<RollupCityRow>> cities();
  // The city whose transport key is `curvePublic` (ZAP), nullopt when none.
  common::Result<std::optional<std::string>> cityOfTransportKey(const common::Bytes& curvePublic);

  // Every stored chain of `city` with its newest seq: [[sender, key id, seq], ...].
  struct Head {
    std::string sender;
    std::string keyId;
    uint64_t seq = 0;
  };
  common::Result<std::vector<Head>> heads(const std::string& city);
  // The stored body hash at (city, sender, key, seq), nullopt when not stored.
  common::Result<std::optional<common::Bytes>> bodyHashAt(const std::string& city,
                                                          const std::string& sender,
                                                          const std::string& keyId, uint64_t seq);
  // The stored frames of `city`'s own chains (enrolment and city-key records), by key and seq.
  common::Result<std::vector<common::Bytes>> cityChainFrames(const std::string& city);
  // Every stored frame of `city`, the city's own chains first, then by sender, key and seq.
  common::Result<std::vector<RollupFrameRow>> frames(const std::string& city);

  // Call these inside one write transaction per answer (WriteTransaction). A frame already
  // stored at its (city, sender, key, seq) is left as it is (returns false).
  common::Result<bool> insertFrame(const std::string& city, const RollupFrameRow& row);
  // Sets the unit's state from a status of `seq` under `keyId`, unless a newer one of the same
  // chain is stored. `reportedAt` is min(sentAt, received).
  common::Status putUnitStatus(const std::string& city, const std::string& unit,
                               const std::string& provider, const std::string& keyId, uint64_t seq,
                               const std::string& state, const std::string& statusJson,
                               int64_t reportedAt);
  common::Status putUnitCapacity(const std::string& city, const std::string& unit,
                                 const std::string& provider, const std::string& keyId,
                                 uint64_t seq, const std::string& capacityJson, int64_t at);
  common::Status countRefusal(const std::string& city, const std::string& reason, int64_t n);
  common::Status addGaps(const std::string& city, int64_t n);
  common::Status noteContact(const std::string& city, int64_t atMs);
  common::Status setLiveness(const std::string& city, const std::string& livenessJson,
                             int64_t atMs);

  common::Result<std::vector<RollupUnitRow>> units(const std::string& city);
  // reason -> count for `city`.
  common::Result<std::vector<std::pair<std::string, int64_t>>> refusals(const std::string& city);
  // The newest min(sentAt, received) over the city's provider frames, nullopt when none.
  common::Result<std::optional<int64_t>> newestFrameAt(const std::string& city);
  common::Result<int64_t> frameCount(const std::string& city);

  // City side: every provider of this broker's roster and the time of its last accepted frame
  // (this broker's clock; nullopt: never seen), for the liveness summary sent upward.
  common::Result<std::vector<std::pair<std::string, std::optional<int64_t>>>> providerLastSeen();

 private:
  Store& store_;
};

}  // namespace samband::broker
