// See receipt_store.h. One row, replaced by each newer receipt.
#include "agent/receipt_store.h"

#include <nlohmann/json.hpp>

#include "agent/database.h"
#include "common/checkpoint.h"

namespace samband::agent {

common::Status keepReceipt(SQLite::Database& db, const common::Bytes& receipt,
                           const common::CityKeyring& cityKeys, const std::string& provider,
                           int64_t nowMs) {
  auto r = common::decodeReceipt(receipt);
  if (!r) return r.error();
  auto cityKey = cityKeys.keyFor(r->checkpoint.cityKeyId, nowMs);
  if (!cityKey) return cityKey.error();
  if (auto s = common::verifyReceipt(*r, *cityKey); !s) return s;
  if (r->head.sender != provider) return common::invalidInput("receipt for another sender");
  try {
    SQLite::Statement q(db,
                        "INSERT INTO receipt(id, bytes, received_at) VALUES(1,?,?) "
                        "ON CONFLICT(id) DO UPDATE SET bytes=excluded.bytes, "
                        "received_at=excluded.received_at");
    bindBlob(q, 1, receipt);
    q.bind(2, nowMs);
    q.exec();
  } catch (const std::exception& e) {
    return common::unavailable(std::string("cannot keep the receipt: ") + e.what());
  }
  return {};
}

common::Result<std::optional<KeptReceipt>> latestReceipt(SQLite::Database& db) {
  try {
    SQLite::Statement q(db, "SELECT bytes, received_at FROM receipt WHERE id=1");
    if (!q.executeStep()) return std::optional<KeptReceipt>();
    return std::optional<KeptReceipt>(
        KeptReceipt{columnBytes(q.getColumn(0)), q.getColumn(1).getInt64()});
  } catch (const std::exception& e) {
    return common::unavailable(std::string("cannot read the receipt: ") + e.what());
  }
}

std::string receiptJson(const KeptReceipt& kept) {
  nlohmann::json j{{"receipt", common::toHex(kept.bytes)}, {"received_at_ms", kept.receivedAt}};
  if (auto r = common::decodeReceipt(kept.bytes)) {
    j["checkpoint"] = r->checkpoint.number;
    j["signed_at_ms"] = r->checkpoint.signedAt;
    j["sender"] = r->head.sender;
    j["key_id"] = common::toHex(r->head.keyId);
    j["seq"] = r->head.seq;
    j["body_hash"] = common::toHex(r->head.bodyHash);
  }
  return j.dump(2) + "\n";
}

std::string receiptText(const KeptReceipt& kept) {
  auto r = common::decodeReceipt(kept.bytes);
  if (!r) return "The kept receipt does not decode: " + r.error().message + "\n";
  return "The city acknowledged " + r->head.sender + " key " + common::toHex(r->head.keyId) +
         " up to seq " + std::to_string(r->head.seq) + " in its signed checkpoint " +
         std::to_string(r->checkpoint.number) +
         ".\nKeep the JSON (samband-agent receipt --json > receipt.json); the city checks it with "
         "samband-broker audit --receipt receipt.json.\n";
}

}  // namespace samband::agent
