// CityKeyStore: the city chains' key records (frames of kind city_key from sender "city", every
// broker's chain), read by the broker to hand them to agents and to build its CityKeyring.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

struct ArchivedCityKey {
  int64_t frameId = 0;
  std::string keyId;  // hex: the broker key whose chain holds the record
  int64_t receivedAt = 0;
  common::Bytes envelope;
};

// Every city_key frame, in archive order (the city-frames index; no full scan). Errors:
// unavailable.
common::Result<std::vector<ArchivedCityKey>> archivedCityKeys(Store& store);

}  // namespace samband::broker
