// Store: one connection to the broker's SQLite database (WAL, synchronous=FULL), opened and
// migrated (schema.h), plus the small named values in `meta` and the refusal counters. The
// table groups have their own typed stores over a Store: roster_store.h, picture_store.h,
// accounts_store.h. One Store per thread; SQLite does the locking between connections.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/store/schema.h"
#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

class Store {
 public:
  enum class Access { readWrite, readOnly };

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Opens (and for readWrite creates and migrates) the database at `path`. readOnly refuses a
  // file that does not exist, naming the init command.
  static common::Result<std::unique_ptr<Store>> open(const std::string& path, Access access);

  // A private in-memory database with the current schema (nothing shared, gone when closed).
  // Errors: unavailable.
  static common::Result<std::unique_ptr<Store>> openMemory();
  // An in-memory database made from `image` (what image() returned). The image's schema must be
  // the current one. Errors: invalidInput (not an image of this schema version), unavailable.
  static common::Result<std::unique_ptr<Store>> fromImage(const common::Bytes& image);
  // The whole database as bytes (SQLite's serialization of "main"), compacted first; meant for
  // in-memory stores. Errors: unavailable.
  common::Result<common::Bytes> image();
  // Opens a transaction that is never committed, for a private scratch database (the audit's
  // picture replay): every later write joins it instead of journalling on its own, and it is
  // gone when the store closes. Errors: unavailable.
  common::Status beginScratchTransaction();

  // The connection, for the typed stores in broker/store/ only (nothing outside this folder
  // holds SQL). Only the thread that opened the store may use it.
  SQLite::Database& db() { return *db_; }
  const std::string& path() const { return path_; }

  // Small named values (the city's public signing key, the readiness level, counters).
  // Nothing when the key was never set. Errors: unavailable.
  common::Result<std::optional<std::string>> meta(const std::string& key);
  // Sets (or replaces) a named value. Errors: unavailable.
  common::Status setMeta(const std::string& key, const std::string& value);

  // Persistent counters of refused frames, by reason name, sorted. Errors: unavailable.
  common::Result<std::vector<std::pair<std::string, int64_t>>> rejectionCounts();

  static constexpr int kSchemaVersion = broker::kSchemaVersion;

 private:
  Store() = default;
  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
};

}  // namespace samband::broker
