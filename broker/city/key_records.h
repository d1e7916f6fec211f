// Key records: which signing keys the archive itself proves, from the city's root public key
// alone: a broker (city) key is proven by a root-signed certificate archived in a city chain
// (common/city_keyring.h); a provider key by an enrolment record signed by a proven city key, or
// by a key rotation signed by a key already proven for the same provider; a revocation record
// ends it. Used by `audit` (to verify every frame without believing the `keys` table), `inquiry
// verify`, `city-key list` and `certify-keys`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/city_keyring.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::broker {

// Meta key of the city root's public signing key (hex), recorded by the first `city-key certify
// --config` or `city-key add`; without it the broker's own key is its root (single-key setup).
inline constexpr const char* kMetaCityRootSignPublic = "city_root_sign_public";

struct ProvenKey {
  std::string provider;
  common::Bytes signPublic;   // 32 bytes
  common::Bytes curvePublic;  // 32 bytes
  std::optional<int64_t> revokedAt;
  std::string provenBy;  // "record" or "rotation"
};

struct ArchiveKeys {
  std::map<std::string, ProvenKey> keys;  // by key id hex
  int64_t records = 0;                    // city roster records that verified
  std::vector<std::string> problems;      // records that do not verify or contradict others
};

// Reads the frames stored as key records (kind `enrolment` or `key_rotation`), once. Enrolment
// records count when `cityKeys` accepts their signer at the time they were archived. A record
// stored under another kind is not seen here: the audit finds it as a kind column that differs
// from its signed body. Errors: unavailable.
common::Result<ArchiveKeys> keysFromArchive(Store& store, const common::CityKeyring& cityKeys);
// The same with the keyring cityKeyringFromArchive() builds from `root`.
common::Result<ArchiveKeys> keysFromArchive(Store& store, const common::PublicKey& root);

// The keyring of `root` plus every root-signed certificate and revocation archived in any city
// chain. A record that does not verify under `root` (another root, altered) is skipped and named
// in `problems` when given. Errors: unavailable.
common::Result<common::CityKeyring> cityKeyringFromArchive(
    Store& store, const common::PublicKey& root, std::vector<std::string>* problems = nullptr);

// The root this broker's database records (kMetaCityRootSignPublic), else the broker's own
// published key (a single-key installation: a root that certified itself). notFound when
// neither was recorded (serve, certify and add never ran). Errors: unavailable.
common::Result<common::PublicKey> recordedCityRoot(Store& store);

// What a broker checks city signatures with (its own chain, a peer's city chain in
// replication): cityKeyringFromArchive() of recordedCityRoot(). To admit a peer's city-chain
// frame, add a `cityKey` statement it carries first (CityKeyring::add: the statement proves
// itself), then verify the frame with CityKeyring::verifyBody(keyId, ..., receivedAt).
common::Result<common::CityKeyring> brokerCityKeyring(Store& store);

// The same from frames already in memory (inquiry verify): (frame id, envelope) pairs.
common::CityKeyring cityKeyringFromEnvelopes(
    const common::PublicKey& root, const std::vector<std::pair<int64_t, common::Bytes>>& frames,
    std::vector<std::string>* problems = nullptr);

}  // namespace samband::broker
