// Key records: which signing keys the archive itself proves, from the city's public key alone:
// a key is proven by a city-signed enrolment record in the city's chain, or by a key rotation
// signed by a key already proven for the same provider; a city revocation record ends it. Used by
// `audit` (to verify every frame without believing the `keys` table) and by `certify-keys`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::broker {

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

// Reads every frame once (twice for rotations). Errors: unavailable.
common::Result<ArchiveKeys> keysFromArchive(Store& store, const common::PublicKey& cityKey);

}  // namespace samband::broker
