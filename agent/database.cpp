// Opening outbox.db and its numbered migrations.
#include "agent/database.h"

#include <cassert>

#include <sys/stat.h>

#include <cstring>
#include <vector>

namespace samband::agent {

namespace {

using common::Result;
using common::Status;

// Migration N brings a file from user_version N-1 to N. Never edit a released migration; add one.
const std::vector<std::vector<const char*>>& migrations() {
  static const std::vector<std::vector<const char*>> kMigrations = {
      // 1: the outbox, the chain head, dead letters.
      {
          "CREATE TABLE chain ("
          "  id INTEGER PRIMARY KEY CHECK (id = 1),"
          "  key_id BLOB NOT NULL,"        // the signing key the chain belongs to (empty: unset)
          "  head_seq INTEGER NOT NULL,"   // highest seq signed
          "  head_hash BLOB NOT NULL,"     // BLAKE2b-256 of that body (empty for 0)
          "  acked_seq INTEGER NOT NULL,"  // highest seq the broker acknowledged
          "  acked_hash BLOB NOT NULL)",
          "INSERT INTO chain VALUES (1, x'', 0, x'', 0, x'')",
          "CREATE TABLE outbox ("
          "  id INTEGER PRIMARY KEY AUTOINCREMENT,"  // stable across re-signing
          "  seq INTEGER NOT NULL UNIQUE,"
          "  kind TEXT NOT NULL,"
          "  unit TEXT,"
          "  mode TEXT NOT NULL,"
          "  sent_at INTEGER NOT NULL,"  // the body's sentAt (ms), kept when re-signed
          "  prev_hash BLOB NOT NULL,"
          "  body BLOB NOT NULL,"
          "  body_hash BLOB NOT NULL,"
          "  envelope BLOB NOT NULL,"
          "  queued_at INTEGER NOT NULL,"
          "  resigned INTEGER NOT NULL DEFAULT 0)",  // times this row was re-signed by a realign
          "CREATE TABLE dead_letter ("
          "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
          "  seq INTEGER NOT NULL,"  // the seq it had when refused
          "  kind TEXT NOT NULL,"
          "  unit TEXT,"
          "  mode TEXT NOT NULL,"
          "  sent_at INTEGER NOT NULL,"
          "  body BLOB NOT NULL,"
          "  envelope BLOB NOT NULL,"
          "  reason TEXT NOT NULL,"
          "  detail TEXT NOT NULL,"
          "  dead_at INTEGER NOT NULL)",
      },
      // 2: what `run` tells `status`, and verified city messages.
      {
          "CREATE TABLE link_state ("
          "  id INTEGER PRIMARY KEY CHECK (id = 1),"
          "  running INTEGER NOT NULL,"
          "  pid INTEGER NOT NULL,"
          "  connected INTEGER NOT NULL,"
          "  level TEXT NOT NULL,"
          "  last_error TEXT,"
          "  last_error_at INTEGER,"
          "  last_connected_at INTEGER,"
          "  last_ack_at INTEGER,"
          "  stale_after_ms INTEGER NOT NULL,"  // `status` treats older updates as not running
          "  updated_at INTEGER NOT NULL)",
          "INSERT INTO link_state VALUES (1, 0, 0, 0, 'normal', NULL, NULL, NULL, NULL, 0, 0)",
          "CREATE TABLE inbox ("
          "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
          "  kind TEXT NOT NULL,"  // readiness_check | directive
          "  ref TEXT NOT NULL,"   // checkId or directiveId
          "  body BLOB NOT NULL,"  // the city's envelope, exactly as received
          "  body_hash BLOB NOT NULL UNIQUE,"
          "  received_at INTEGER NOT NULL,"
          "  handled_at INTEGER)",
      },
      // 3: what became of each city message, the readiness level and the last directive
      // applied, and when each unit last had a status report queued (for the self-tests).
      {
          // applied | refused | answered | confirmed | acknowledged; NULL = not yet handled
          "ALTER TABLE inbox ADD COLUMN state TEXT",
          "ALTER TABLE inbox ADD COLUMN reason TEXT",   // why it was refused ("expired: ...")
          "ALTER TABLE inbox ADD COLUMN results TEXT",  // JSON self-test results sent for a check
          "ALTER TABLE inbox ADD COLUMN acted_at INTEGER",  // when a person confirmed or acked
          // 0: failed verification (forged or malformed); kind and ref are only what it claimed
          "ALTER TABLE inbox ADD COLUMN verified INTEGER NOT NULL DEFAULT 1",
          "CREATE TABLE city_state ("
          "  id INTEGER PRIMARY KEY CHECK (id = 1),"
          "  level TEXT NOT NULL,"                 // the readiness level the agent applies
          "  level_directive TEXT,"                // the directive that set it
          "  directive_number INTEGER NOT NULL)",  // highest directive number applied
          "INSERT INTO city_state VALUES (1, 'normal', NULL, 0)",
          "CREATE TABLE unit_reports ("
          "  unit TEXT PRIMARY KEY,"
          "  last_status_at INTEGER NOT NULL)",  // queued_at of the newest actual unit_status
          "INSERT INTO unit_reports SELECT unit, MAX(queued_at) FROM outbox WHERE kind = "
          "'unit_status' AND mode = 'actual' GROUP BY unit",
      },
      // 4: the agent's key rotation (agent/key_rotation.h has the state table). No row: never
      // rotated.
      {
          "CREATE TABLE key_rotation ("
          "  id INTEGER PRIMARY KEY CHECK (id = 1),"
          // announced | acknowledged | switched | done | refused
          "  state TEXT NOT NULL,"
          "  old_key_id BLOB NOT NULL,"
          "  new_key_id BLOB NOT NULL,"
          "  row_id INTEGER NOT NULL,"  // outbox row of the keyRotation body (kept when re-signed)
          "  started_at INTEGER NOT NULL,"
          "  changed_at INTEGER NOT NULL,"
          "  detail TEXT)",  // why the broker refused it
      },
      // 5: the heartbeat counter's boot epoch (agent/heartbeat_counter.h): each run of the
      // session takes the next one, so counters rise across restarts whatever the clock says;
      // and our clock's offset from the broker's as `run` last measured it (NULL: never).
      {
          "ALTER TABLE link_state ADD COLUMN clock_offset_ms INTEGER",
          "CREATE TABLE heartbeat_epoch ("
          "  id INTEGER PRIMARY KEY CHECK (id = 1),"
          "  epoch INTEGER NOT NULL)",
          "INSERT INTO heartbeat_epoch VALUES (1, 0)",
      },
      // 6: the newest city-signed word and what the city's time beacon named (agent/city_signal.h).
      {
          "CREATE TABLE city_signal ("
          "  id INTEGER PRIMARY KEY CHECK (id = 1),"
          "  last_signed_at INTEGER NOT NULL,"      // newest city-signed time (city clock, ms)
          "  heard_at INTEGER NOT NULL,"            // our clock when it last moved forward
          "  beacon_at INTEGER NOT NULL,"           // sentAt of the newest time beacon
          "  first_beacon_at INTEGER NOT NULL,"     // sentAt of the first time beacon
          "  baseline_directive INTEGER NOT NULL,"  // directive number the first beacon named
          "  level TEXT NOT NULL,"                  // what the newest beacon named
          "  directive_number INTEGER NOT NULL,"
          "  check_id TEXT NOT NULL,"
          "  check_issued_at INTEGER NOT NULL)",
          "INSERT INTO city_signal VALUES (1, 0, 0, 0, 0, 0, 'normal', 0, '', 0)",
      },
      // 7: the newest city-signed receipt an ack carried (agent/receipt_store.h).
      {
          "CREATE TABLE receipt ("
          "  id INTEGER PRIMARY KEY CHECK (id = 1),"
          "  bytes BLOB NOT NULL,"
          "  received_at INTEGER NOT NULL)",
      },
      // 8: the newest unit status and capacity signed per unit and mode (agent/last_report.h),
      // seeded from the pending outbox rows; `report` carries their fields forward.
      {
          "CREATE TABLE last_report ("
          "  unit TEXT NOT NULL,"
          "  kind TEXT NOT NULL,"  // unit_status | capacity
          "  mode TEXT NOT NULL,"
          "  sent_at INTEGER NOT NULL,"    // the body's sentAt (ms)
          "  queued_at INTEGER NOT NULL,"  // when it was signed into the outbox
          "  body BLOB NOT NULL,"          // the signed body as first queued
          "  PRIMARY KEY (unit, kind, mode))",
          "INSERT INTO last_report SELECT unit, kind, mode, sent_at, queued_at, body FROM outbox o "
          "WHERE kind IN ('unit_status', 'capacity') AND seq = (SELECT MAX(seq) FROM outbox i "
          "WHERE i.unit = o.unit AND i.kind = o.kind AND i.mode = o.mode)",
      },
      // 9: files of the spool directory queued, by name and content hash (agent/spool.h), so
      // a file found again after a crash is moved to done/ without being reported twice.
      {
          "CREATE TABLE spool_files ("
          "  name TEXT NOT NULL,"
          "  digest TEXT NOT NULL,"   // BLAKE2b-256 of the content, hex
          "  outcome TEXT NOT NULL,"  // what done/NAME.reason says
          "  handled_at INTEGER NOT NULL,"
          "  PRIMARY KEY (name, digest))",
      },
      // 10: the reporting page and its API (agent/form_accounts.h, agent/api_tokens.h): accounts
      // of staff on duty and the units each may report for, their sessions (hashed cookie
      // tokens), the login throttle's counts, the API tokens of the provider's systems (hashed);
      // and a log of the reports queued, so the page can show each one's fate (agent/report_log.h).
      {
          "CREATE TABLE form_users ("
          "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
          "  name TEXT NOT NULL UNIQUE,"
          "  password_hash TEXT NOT NULL,"  // argon2id, PHC string form
          "  created_at INTEGER NOT NULL,"
          "  last_login_at INTEGER)",
          "CREATE TABLE form_user_units ("
          "  user_id INTEGER NOT NULL REFERENCES form_users (id) ON DELETE CASCADE,"
          "  unit TEXT NOT NULL,"
          "  PRIMARY KEY (user_id, unit))",
          "CREATE TABLE form_sessions ("
          "  token_hash BLOB PRIMARY KEY,"  // BLAKE2b of the cookie token; the token is not kept
          "  user_id INTEGER NOT NULL REFERENCES form_users (id) ON DELETE CASCADE,"
          "  csrf_token TEXT NOT NULL,"
          "  created_at INTEGER NOT NULL,"
          "  expires_at INTEGER NOT NULL,"
          "  client_addr TEXT NOT NULL)",
          "CREATE TABLE form_login_failures ("
          "  subject TEXT PRIMARY KEY,"  // web/login_throttle_rules.h throttleSubjects()
          "  failures INTEGER NOT NULL,"
          "  last_failure_at INTEGER NOT NULL,"
          "  locked_until INTEGER NOT NULL)",
          "CREATE TABLE api_tokens ("
          "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
          "  name TEXT NOT NULL UNIQUE,"
          "  token_hash BLOB NOT NULL UNIQUE,"  // BLAKE2b of the token; the token is not kept
          "  created_at INTEGER NOT NULL,"
          "  last_used_at INTEGER)",
          "CREATE TABLE api_token_units ("
          "  token_id INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,"
          "  unit TEXT NOT NULL,"
          "  PRIMARY KEY (token_id, unit))",
          "CREATE TABLE report_log ("
          "  row_id INTEGER PRIMARY KEY,"  // the outbox row (its id survives re-signing)
          "  seq INTEGER NOT NULL,"        // as queued; the acknowledged seq once acked
          "  kind TEXT NOT NULL,"
          "  unit TEXT NOT NULL,"  // "" for provider-level reports (continuity)
          "  mode TEXT NOT NULL,"
          "  sent_at INTEGER NOT NULL,"
          "  queued_at INTEGER NOT NULL,"
          "  source TEXT,"  // "form:NAME" | "api:TOKEN" | NULL (the command line, the spool)
          "  acked_at INTEGER)",
          "CREATE INDEX report_log_unit ON report_log (unit, row_id)",
          // The outbox row a dead letter came from, to tell a logged report's fate.
          "ALTER TABLE dead_letter ADD COLUMN row_id INTEGER",
      },
      // 11: several brokers (agent/broker_failover.h): the one `run` sends to now, each one's
      // reach (JSON, agent/link_state.h) and how often the agent failed over and back.
      {
          "ALTER TABLE link_state ADD COLUMN broker TEXT",
          "ALTER TABLE link_state ADD COLUMN brokers TEXT",
          "ALTER TABLE link_state ADD COLUMN failovers INTEGER NOT NULL DEFAULT 0",
          "ALTER TABLE link_state ADD COLUMN failbacks INTEGER NOT NULL DEFAULT 0",
      },
      // 12: the highest directive number applied per issuing city key (agent/city_state.h):
      // each broker of the city numbers its own directives. city_state.directive_number stays
      // the highest over all keys.
      {
          "CREATE TABLE directive_marks ("
          "  key_id TEXT PRIMARY KEY,"  // the issuing broker's city key id, hex
          "  number INTEGER NOT NULL)",
      },
      // 13: the newest time beacon's directiveMarks (agent/city_signal.h), so `samband-agent
      // status`, a process of its own, judges them per issuing key like the running session.
      {
          "ALTER TABLE city_signal ADD COLUMN directive_marks TEXT NOT NULL DEFAULT ''",
      },
  };
  return kMigrations;
}

}  // namespace

int schemaVersionOf(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

Status migrateAgentDatabase(SQLite::Database& db, int targetVersion) {
  // A migration added without raising kSchemaVersion (or the reverse) is a bug of this build.
  assert(migrations().size() == static_cast<size_t>(kSchemaVersion) &&
         "every agent migration raises kSchemaVersion by one");
  try {
    // IMMEDIATE: two processes opening a fresh file at once must not both migrate it.
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    int version = schemaVersionOf(db);
    if (version > kSchemaVersion) {
      return common::invalidInput(db.getFilename() +
                                  " was written by a newer samband-agent (schema " +
                                  std::to_string(version) + "); install that version again");
    }
    for (int v = version; v < targetVersion; ++v) {
      for (const char* sql : migrations()[static_cast<size_t>(v)]) db.exec(sql);
    }
    if (targetVersion > version) db.exec("PRAGMA user_version = " + std::to_string(targetVersion));
    tx.commit();
    return {};
  } catch (const SQLite::Exception& e) {
    return common::unavailable("cannot migrate " + db.getFilename() + ": " + e.what());
  }
}

Result<std::unique_ptr<SQLite::Database>> openAgentDatabase(const std::string& path,
                                                            OpenMode mode) {
  struct stat st {};
  if (mode == OpenMode::mustExist && ::stat(path.c_str(), &st) != 0) {
    return common::invalidInput("the outbox " + path +
                                " does not exist; run 'samband-agent init' first or check "
                                "[agent] outbox in agent.toml");
  }
  try {
    auto db = std::make_unique<SQLite::Database>(
        path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX,
        kBusyTimeoutMs);
    db->exec("PRAGMA journal_mode = WAL");
    db->exec("PRAGMA synchronous = FULL");
    db->exec("PRAGMA foreign_keys = ON");
    if (Status s = migrateAgentDatabase(*db, kSchemaVersion); !s) return s.error();
    ::chmod(path.c_str(), 0600);
    return db;
  } catch (const SQLite::Exception& e) {
    return common::unavailable("cannot open the outbox " + path + ": " + e.what() +
                               " (check that the directory exists and is writable by this user)");
  }
}

void bindBlob(SQLite::Statement& statement, int index, const common::Bytes& bytes) {
  static const uint8_t kEmpty = 0;
  statement.bind(index, bytes.empty() ? static_cast<const void*>(&kEmpty) : bytes.data(),
                 static_cast<int>(bytes.size()));
}

common::Bytes columnBytes(const SQLite::Column& column) {
  const auto* p = static_cast<const uint8_t*>(column.getBlob());
  int n = column.getBytes();
  if (p == nullptr || n <= 0) return {};
  return common::Bytes(p, p + n);
}

}  // namespace samband::agent
