// The agent's SQLite file (outbox.db): opening with the durability settings, numbered migrations
// (PRAGMA user_version), and small helpers for blobs. `report` and `run` open the same file from
// different processes at the same time; WAL and a busy timeout make that safe.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace samband::agent {

// The schema version this build writes. Each migration is numbered; a file is brought from its
// user_version to this one in one transaction.
inline constexpr int kSchemaVersion = 13;
// How long a writer waits for another process's transaction before giving up.
inline constexpr int kBusyTimeoutMs = 10000;

enum class OpenMode {
  createIfMissing,  // init, run and report
  mustExist,        // status: a missing file means the agent was never initialised
};

// Opens (and creates or migrates) the database at `path`: WAL, synchronous=FULL, busy timeout,
// foreign keys. Errors say which file and what to do.
common::Result<std::unique_ptr<SQLite::Database>> openAgentDatabase(const std::string& path,
                                                                    OpenMode mode);

// Applies migrations up to `targetVersion` (tests use this to build an old file).
common::Status migrateAgentDatabase(SQLite::Database& db, int targetVersion);

// PRAGMA user_version of `db`.
int schemaVersionOf(SQLite::Database& db);

// Blob helpers: an empty Bytes is bound as a zero-length blob (never NULL).
void bindBlob(SQLite::Statement& statement, int index, const common::Bytes& bytes);
common::Bytes columnBytes(const SQLite::Column& column);

}  // namespace samband::agent
