// See city_key_store.h.
#include "broker/store/city_key_store.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace samband::broker {

common::Result<std::vector<ArchivedCityKey>> archivedCityKeys(Store& store) {
  std::vector<ArchivedCityKey> out;
  try {
    SQLite::Statement q(store.db(),
                        "SELECT id, key_id, received_at, envelope FROM frames "
                        "WHERE sender = 'city' AND kind = 'city_key' ORDER BY id");
    while (q.executeStep()) {
      ArchivedCityKey k;
      k.frameId = q.getColumn(0).getInt64();
      k.keyId = q.getColumn(1).getString();
      k.receivedAt = q.getColumn(2).getInt64();
      const auto& c = q.getColumn(3);
      const auto* p = static_cast<const uint8_t*>(c.getBlob());
      k.envelope.assign(p, p + c.getBytes());
      out.push_back(std::move(k));
    }
  } catch (const std::exception& e) {
    return common::unavailable(std::string("reading the city key records: ") + e.what());
  }
  return out;
}

}  // namespace samband::broker
