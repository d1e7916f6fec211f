// The broker database's schema: numbered migrations (PRAGMA user_version), applied in order by
// Store::open on a writable connection. Migrations are only ever appended.
#pragma once

#include <SQLiteCpp/Database.h>

#include "common/result.h"

namespace samband::broker {

// The schema version this broker writes and understands.
inline constexpr int kSchemaVersion = 18;

// The database's PRAGMA user_version. Throws SQLite::Exception (store-internal helper).
int schemaVersion(SQLite::Database& db);

// Brings the schema up to kSchemaVersion, one migration per transaction. Errors: unavailable.
common::Status migrateSchema(SQLite::Database& db);

}  // namespace samband::broker
