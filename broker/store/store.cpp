// See store.h. Opening, migrating, and the meta and rejection tables; the roster is in
// roster_store.cpp.
#include "broker/store/store.h"

#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstring>

namespace samband::broker {

using common::invalidInput;
using common::Result;
using common::Status;

// A Store is used by one thread at a time (docs/architecture.md; StorePool hands a connection
// to one HTTP worker at a time), so SQLite's per-call connection mutex (its default,
// "serialized" mode) buys nothing: NOMUTEX is SQLite's "multi-thread" mode.
namespace {
const int kReadOnly = SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX;
const int kReadWrite = SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX;
}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path, Access access) {
  std::unique_ptr<Store> store(new Store());
  store->path_ = path;
  try {
    if (access == Access::readOnly) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        return invalidInput("database " + path +
                            " does not exist; create it with 'samband-broker init --dir DIR'");
      }
      store->db_ = std::make_unique<SQLite::Database>(path, kReadOnly, 5000);
    } else {
      store->db_ = std::make_unique<SQLite::Database>(path, kReadWrite, 5000);
      store->db_->exec("PRAGMA journal_mode=WAL");
      store->db_->exec("PRAGMA synchronous=FULL");
      store->db_->exec("PRAGMA foreign_keys=ON");
      if (Status s = migrateSchema(*store->db_); !s) {
        return common::unavailable("cannot open database " + path + ": " + s.error().message);
      }
    }
    int version = schemaVersion(*store->db_);
    if (version > kSchemaVersion) {
      return invalidInput("database " + path + " has schema version " + std::to_string(version) +
                          ", newer than this broker understands (" +
                          std::to_string(kSchemaVersion) + "); upgrade samband-broker");
    }
    if (access == Access::readOnly && version < kSchemaVersion) {
      return invalidInput("database " + path +
                          " has an old schema; start 'samband-broker serve' once to migrate it");
    }
  } catch (const SQLite::Exception& e) {
    return common::unavailable("cannot open database " + path + ": " + e.what());
  }
  return store;
}

Result<std::unique_ptr<Store>> Store::openMemory() {
  std::unique_ptr<Store> store(new Store());
  store->path_ = ":memory:";
  try {
    store->db_ = std::make_unique<SQLite::Database>(":memory:", kReadWrite, 5000);
    // Small pages: most of the schema's tables stay empty in a replay, and its image is stored
    // once per snapshot.
    store->db_->exec("PRAGMA page_size=1024");
    store->db_->exec("PRAGMA foreign_keys=ON");
    if (Status s = migrateSchema(*store->db_); !s) {
      return common::unavailable("cannot make an in-memory database: " + s.error().message);
    }
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("cannot make an in-memory database: ") + e.what());
  }
  return store;
}

Result<std::unique_ptr<Store>> Store::fromImage(const common::Bytes& image) {
  std::unique_ptr<Store> store(new Store());
  store->path_ = ":memory:";
  try {
    store->db_ = std::make_unique<SQLite::Database>(":memory:", kReadWrite, 5000);
    auto* copy = static_cast<unsigned char*>(sqlite3_malloc64(image.size()));
    if (copy == nullptr) return common::unavailable("out of memory loading a database image");
    std::memcpy(copy, image.data(), image.size());
    // SQLite owns `copy` from here on, also when the call fails.
    const int rc = sqlite3_deserialize(
        store->db_->getHandle(), "main", copy, static_cast<sqlite3_int64>(image.size()),
        static_cast<sqlite3_int64>(image.size()),
        SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
    if (rc != SQLITE_OK) {
      return invalidInput(std::string("not a database image: ") + sqlite3_errstr(rc));
    }
    const int version = schemaVersion(*store->db_);
    if (version != kSchemaVersion) {
      return invalidInput("a database image of schema version " + std::to_string(version) +
                          ", not " + std::to_string(kSchemaVersion));
    }
  } catch (const SQLite::Exception& e) {
    return invalidInput(std::string("not a database image: ") + e.what());
  }
  return store;
}

common::Status Store::beginScratchTransaction() {
  try {
    db_->exec("BEGIN");
  } catch (const std::exception& e) {
    return common::unavailable(std::string("cannot start a transaction: ") + e.what());
  }
  return {};
}

Result<common::Bytes> Store::image() {
  try {
    db_->exec("VACUUM");
    sqlite3_int64 size = 0;
    unsigned char* data = sqlite3_serialize(db_->getHandle(), "main", &size, 0);
    if (data == nullptr) return common::unavailable("cannot serialise the database");
    common::Bytes out(data, data + size);
    sqlite3_free(data);
    return out;
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("cannot serialise the database: ") + e.what());
  }
}

Result<std::optional<std::string>> Store::meta(const std::string& key) {
  try {
    SQLite::Statement q(*db_, "SELECT value FROM meta WHERE key=?");
    q.bind(1, key);
    if (!q.executeStep()) return std::optional<std::string>();
    return std::optional<std::string>(q.getColumn(0).getString());
  } catch (const SQLite::Exception& e) {
    return common::unavailable("cannot read " + key + " from the database: " + e.what());
  }
}

Status Store::setMeta(const std::string& key, const std::string& value) {
  try {
    SQLite::Statement q(*db_,
                        "INSERT INTO meta(key, value) VALUES(?,?) "
                        "ON CONFLICT(key) DO UPDATE SET value=excluded.value");
    q.bind(1, key);
    q.bind(2, value);
    q.exec();
  } catch (const SQLite::Exception& e) {
    return common::unavailable("cannot store " + key + " in the database: " + e.what());
  }
  return {};
}

Result<std::vector<std::pair<std::string, int64_t>>> Store::rejectionCounts() {
  std::vector<std::pair<std::string, int64_t>> out;
  try {
    SQLite::Statement q(*db_, "SELECT reason, count FROM rejections ORDER BY reason");
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64());
    }
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("cannot read the refusal counters: ") + e.what());
  }
  return out;
}

}  // namespace samband::broker
