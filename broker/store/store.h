// Store: the broker's SQLite database (WAL, synchronous=FULL): schema and numbered migrations,
// and the roster (providers, keys, units). One Store per thread; SQLite does the locking.
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/enrollment.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::broker {

struct KeyRecord {
  std::string keyId;  // hex
  std::string providerId;
  common::PublicKey signPublic{};
  common::PublicKey curvePublic{};
  int64_t enrolledAt = 0;
  std::optional<int64_t> revokedAt;
};

struct EnrollOutcome {
  bool newProvider = false;
  bool keyAlreadyEnrolled = false;
  std::vector<std::string> unitsAdded;
  std::vector<std::string> unitsTransferred;
};

class Store {
 public:
  enum class Access { readWrite, readOnly };

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Opens (and for readWrite creates and migrates) the database at `path`. readOnly refuses a
  // file that does not exist, naming the init command.
  static common::Result<std::unique_ptr<Store>> open(const std::string& path, Access access);

  // The connection, for the modules that own their queries (ingest, view, audit).
  // Only the thread that opened the store may use it.
  SQLite::Database& db() { return *db_; }
  const std::string& path() const { return path_; }

  // Adds a verified enrollment request to the roster in one transaction. A unit owned by another
  // provider is refused unless `allowTransfer`. A transport key already used by another key is
  // refused.
  common::Result<EnrollOutcome> enroll(const common::EnrollRequest& request, bool allowTransfer,
                                       int64_t nowMs);
  // Revokes a key from `atMs` on.
  common::Status revokeKey(const std::string& keyIdHex, int64_t atMs);

  std::vector<KeyRecord> loadKeys();
  // unit code -> provider id
  std::unordered_map<std::string, std::string> loadUnitOwners();

  // Small named values (the city's public signing key, the readiness level, counters).
  std::optional<std::string> meta(const std::string& key);
  void setMeta(const std::string& key, const std::string& value);

  // Persistent counters of refused frames, by reason name.
  std::vector<std::pair<std::string, int64_t>> rejectionCounts();

  static constexpr int kSchemaVersion = 4;

 private:
  Store() = default;
  common::Status migrate();
  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
};

}  // namespace samband::broker
