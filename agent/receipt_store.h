// ReceiptStore: the newest city-signed receipt an ack carried (common/checkpoint.h), kept in
// outbox.db so the provider can later prove what the city acknowledged
// (`samband-agent receipt`, checked by `samband-broker audit --receipt`).
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/city_keyring.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::agent {

struct KeptReceipt {
  common::Bytes bytes;
  int64_t receivedAt = 0;
};

// Keeps `receipt` when it verifies under a city key `cityKeys` accepts at `nowMs` and names
// `provider`'s chain; a receipt that does not verify is not kept (invalidInput or unauthorised,
// the caller logs it). Errors: unavailable.
common::Status keepReceipt(SQLite::Database& db, const common::Bytes& receipt,
                           const common::CityKeyring& cityKeys, const std::string& provider,
                           int64_t nowMs);
// The newest kept receipt; nothing when no ack carried one yet. Errors: unavailable.
common::Result<std::optional<KeptReceipt>> latestReceipt(SQLite::Database& db);
// The JSON `samband-agent receipt --json` prints (and `audit --receipt` reads): "receipt" (hex)
// and its decoded fields for people.
std::string receiptJson(const KeptReceipt& kept);
std::string receiptText(const KeptReceipt& kept);

}  // namespace samband::agent
