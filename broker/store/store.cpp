// Broker database schema, migrations and roster operations.
#include "broker/store/store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sys/stat.h>

#include <cstring>

#include "common/bytes.h"

namespace samband::broker {

using common::Error;
using common::invalidInput;
using common::Result;
using common::Status;

namespace {

// Migration N brings the schema from user_version N-1 to N. Only ever append.
const char* const kMigrations[] = {
    // 1: roster, archive, current picture, counters, outbound queue.
    R"sql(
CREATE TABLE providers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  enrolled_at INTEGER NOT NULL,
  last_seen INTEGER
);
CREATE TABLE keys (
  key_id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  sign_public BLOB NOT NULL,
  curve_public BLOB NOT NULL UNIQUE,
  enrolled_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_heartbeat_sent_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE units (
  code TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  name TEXT,
  district TEXT,
  lat REAL,
  lon REAL,
  school_forms TEXT
);
CREATE INDEX units_provider ON units(provider_id);
-- The archive: every accepted signed frame, as sent. Never updated or deleted.
CREATE TABLE frames (
  id INTEGER PRIMARY KEY,
  sender TEXT NOT NULL,
  key_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  mode TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  body_hash BLOB NOT NULL,
  envelope BLOB NOT NULL,
  UNIQUE (sender, key_id, seq)
);
-- The current picture, per mode so exercise traffic never touches the real one.
CREATE TABLE unit_status (
  mode TEXT NOT NULL,
  code TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  frame_id INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  operational TEXT NOT NULL,
  reason TEXT NOT NULL,
  expected_reopen INTEGER NOT NULL,
  pupils_enrolled INTEGER NOT NULL,
  pupils_present INTEGER NOT NULL,
  staff_total INTEGER NOT NULL,
  staff_available INTEGER NOT NULL,
  critical_care TEXT NOT NULL,
  special_support TEXT NOT NULL,
  electricity TEXT NOT NULL,
  backup_hours INTEGER NOT NULL,
  heating TEXT NOT NULL,
  water TEXT NOT NULL,
  food TEXT NOT NULL,
  it TEXT NOT NULL,
  telephony TEXT NOT NULL,
  food_days INTEGER NOT NULL,
  note TEXT NOT NULL,
  valid_until INTEGER NOT NULL,
  PRIMARY KEY (mode, code)
);
CREATE TABLE capacity (
  mode TEXT NOT NULL,
  code TEXT NOT NULL,
  form TEXT NOT NULL,
  year INTEGER NOT NULL,
  enrolled INTEGER NOT NULL,
  seats_now INTEGER NOT NULL,
  seats_72h INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  frame_id INTEGER NOT NULL,
  PRIMARY KEY (mode, code, form, year)
);
CREATE TABLE capacity_reports (
  mode TEXT NOT NULL,
  code TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  PRIMARY KEY (mode, code)
);
CREATE TABLE continuity (
  mode TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  state TEXT NOT NULL,
  from_date INTEGER NOT NULL,
  note TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  frame_id INTEGER NOT NULL,
  PRIMARY KEY (mode, provider_id)
);
CREATE TABLE rejections (
  reason TEXT PRIMARY KEY,
  count INTEGER NOT NULL
);
-- City -> provider messages waiting for delivery.
CREATE TABLE outbound (
  id INTEGER PRIMARY KEY,
  provider_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  ref TEXT NOT NULL,
  envelope BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  last_sent_at INTEGER,
  delivered_at INTEGER
);
CREATE INDEX outbound_pending ON outbound(provider_id, delivered_at);
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql",
    // 2: board accounts (argon2id hashes), sessions (only the token's hash), login throttling,
    // what-if marks for takeover planning (never change a report). See docs/board.md.
    R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator')),
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_login_at INTEGER
);
CREATE TABLE sessions (
  token_hash BLOB PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  client_addr TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);
CREATE TABLE login_failures (
  subject TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  last_failure_at INTEGER NOT NULL,
  locked_until INTEGER NOT NULL
);
CREATE TABLE whatif_failing (
  code TEXT PRIMARY KEY,
  marked_by TEXT NOT NULL,
  marked_at INTEGER NOT NULL
);
-- A provider's history on the board, newest first, without sorting its whole archive.
CREATE INDEX frames_sender_id ON frames(sender, id);
)sql",
    // 3: readiness checks and their answers; city directives and their acknowledgements.
    R"sql(
CREATE TABLE readiness_checks (
  id TEXT PRIMARY KEY,
  issued_at INTEGER NOT NULL,
  deadline INTEGER NOT NULL,
  mode TEXT NOT NULL,
  require_confirmation INTEGER NOT NULL,
  scheduled_for TEXT UNIQUE,      -- local date of a scheduled check (NULL when run by hand)
  frame_id INTEGER,               -- the city-signed check in the archive
  closed_at INTEGER,              -- when the report was written at the deadline
  summary TEXT                    -- JSON summary written at the deadline
);
CREATE TABLE readiness_recipients (
  check_id TEXT NOT NULL REFERENCES readiness_checks(id),
  provider_id TEXT NOT NULL,
  PRIMARY KEY (check_id, provider_id)
);
CREATE TABLE readiness_answers (
  check_id TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  answered_at INTEGER NOT NULL,   -- sentAt of the first answer (agent clock)
  results TEXT NOT NULL,          -- JSON list of self-test results
  failed INTEGER NOT NULL,        -- how many self-tests failed
  confirmed_at INTEGER,           -- when a person confirmed (receipt time)
  frame_id INTEGER NOT NULL,
  PRIMARY KEY (check_id, provider_id)
);
CREATE TABLE directives (
  id TEXT PRIMARY KEY,
  number INTEGER NOT NULL UNIQUE,
  text TEXT NOT NULL,
  level TEXT NOT NULL,
  require_ack INTEGER NOT NULL,
  mode TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  frame_id INTEGER
);
CREATE TABLE directive_recipients (
  directive_id TEXT NOT NULL REFERENCES directives(id),
  provider_id TEXT NOT NULL,
  delivered_at INTEGER,
  acknowledged_at INTEGER,
  PRIMARY KEY (directive_id, provider_id)
);
CREATE INDEX outbound_ref ON outbound(ref, provider_id);
)sql",
    // 4: indexes for the readiness history (the board lists recent checks, and each
    // provider's answer rate looks at its last 30 checks).
    R"sql(
CREATE INDEX readiness_checks_issued ON readiness_checks(mode, issued_at);
CREATE INDEX readiness_recipients_provider ON readiness_recipients(provider_id, check_id);
)sql",
};
static_assert(sizeof kMigrations / sizeof kMigrations[0] == Store::kSchemaVersion,
              "every migration raises kSchemaVersion by one");

common::PublicKey blobKey(const SQLite::Column& c) {
  common::PublicKey k{};
  if (c.getBytes() == 32) std::memcpy(k.data(), c.getBlob(), 32);
  return k;
}

}  // namespace

// A Store is used by one thread at a time (docs/architecture.md; StorePool hands a connection
// to one HTTP worker at a time), so SQLite's per-call connection mutex (its default,
// "serialized" mode) buys nothing: NOMUTEX is SQLite's "multi-thread" mode.
const int kReadOnly = SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX;
const int kReadWrite = SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX;

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
      if (Status s = store->migrate(); !s) return s.error();
    }
    int version = store->db_->execAndGet("PRAGMA user_version").getInt();
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

Status Store::migrate() {
  int version = db_->execAndGet("PRAGMA user_version").getInt();
  const int target = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);
  for (int v = version; v < target; ++v) {
    SQLite::Transaction tx(*db_);
    db_->exec(kMigrations[v]);
    db_->exec("PRAGMA user_version=" + std::to_string(v + 1));
    tx.commit();
  }
  return {};
}

Result<EnrollOutcome> Store::enroll(const common::EnrollRequest& r, bool allowTransfer,
                                    int64_t nowMs) {
  EnrollOutcome out;
  const std::string keyId = common::toHex(r.keyId());
  try {
    SQLite::Transaction tx(*db_);
    {
      SQLite::Statement q(*db_, "SELECT name FROM providers WHERE id=?");
      q.bind(1, r.provider);
      out.newProvider = !q.executeStep();
    }
    {
      SQLite::Statement q(*db_,
                          "INSERT INTO providers(id, name, enrolled_at) VALUES(?,?,?) "
                          "ON CONFLICT(id) DO UPDATE SET name=excluded.name, "
                          "enrolled_at=CASE WHEN enrolled_at=0 THEN excluded.enrolled_at "
                          "ELSE enrolled_at END");
      q.bind(1, r.provider);
      q.bind(2, r.name);
      q.bind(3, nowMs);
      q.exec();
    }
    {
      SQLite::Statement q(*db_, "SELECT provider_id, revoked_at FROM keys WHERE key_id=?");
      q.bind(1, keyId);
      if (q.executeStep()) {
        if (q.getColumn(0).getString() != r.provider) {
          return Error{common::ErrorKind::conflict,
                       "key " + keyId + " is already enrolled for provider " +
                           q.getColumn(0).getString() + "; every provider needs its own key"};
        }
        if (!q.getColumn(1).isNull()) {
          return Error{common::ErrorKind::conflict,
                       "key " + keyId +
                           " was revoked and cannot be enrolled again; the "
                           "provider must create a new identity"};
        }
        out.keyAlreadyEnrolled = true;
      }
    }
    if (!out.keyAlreadyEnrolled) {
      SQLite::Statement c(*db_, "SELECT key_id FROM keys WHERE curve_public=?");
      c.bind(1, r.curvePublic.data(), 32);
      if (c.executeStep()) {
        return Error{common::ErrorKind::conflict,
                     "the transport key in this request is already enrolled under key " +
                         c.getColumn(0).getString() + "; refusing a copied key"};
      }
      SQLite::Statement q(*db_,
                          "INSERT INTO keys(key_id, provider_id, sign_public, curve_public, "
                          "enrolled_at) VALUES(?,?,?,?,?)");
      q.bind(1, keyId);
      q.bind(2, r.provider);
      q.bind(3, r.signPublic.data(), 32);
      q.bind(4, r.curvePublic.data(), 32);
      q.bind(5, nowMs);
      q.exec();
    }
    for (const auto& unit : r.units) {
      SQLite::Statement q(*db_, "SELECT provider_id FROM units WHERE code=?");
      q.bind(1, unit);
      if (q.executeStep()) {
        std::string owner = q.getColumn(0).getString();
        if (owner == r.provider) continue;
        if (!allowTransfer) {
          return Error{common::ErrorKind::conflict,
                       "unit " + unit + " belongs to provider " + owner + "; to move it to " +
                           r.provider + " run enroll again with --transfer (nothing was changed)"};
        }
        SQLite::Statement u(*db_, "UPDATE units SET provider_id=? WHERE code=?");
        u.bind(1, r.provider);
        u.bind(2, unit);
        u.exec();
        out.unitsTransferred.push_back(unit);
      } else {
        SQLite::Statement u(*db_, "INSERT INTO units(code, provider_id) VALUES(?,?)");
        u.bind(1, unit);
        u.bind(2, r.provider);
        u.exec();
        out.unitsAdded.push_back(unit);
      }
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("enrollment not stored: ") + e.what());
  }
  return out;
}

Status Store::revokeKey(const std::string& keyIdHex, int64_t atMs) {
  try {
    SQLite::Statement q(*db_, "UPDATE keys SET revoked_at=? WHERE key_id=? AND revoked_at IS NULL");
    q.bind(1, atMs);
    q.bind(2, keyIdHex);
    if (q.exec() == 0) {
      return Error{common::ErrorKind::notFound,
                   "no active key " + keyIdHex + "; list keys with 'samband-broker status'"};
    }
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("revocation not stored: ") + e.what());
  }
  return {};
}

std::vector<KeyRecord> Store::loadKeys() {
  std::vector<KeyRecord> out;
  SQLite::Statement q(*db_,
                      "SELECT key_id, provider_id, sign_public, curve_public, enrolled_at, "
                      "revoked_at FROM keys");
  while (q.executeStep()) {
    KeyRecord k;
    k.keyId = q.getColumn(0).getString();
    k.providerId = q.getColumn(1).getString();
    k.signPublic = blobKey(q.getColumn(2));
    k.curvePublic = blobKey(q.getColumn(3));
    k.enrolledAt = q.getColumn(4).getInt64();
    if (!q.getColumn(5).isNull()) k.revokedAt = q.getColumn(5).getInt64();
    out.push_back(std::move(k));
  }
  return out;
}

std::unordered_map<std::string, std::string> Store::loadUnitOwners() {
  std::unordered_map<std::string, std::string> out;
  SQLite::Statement q(*db_, "SELECT code, provider_id FROM units");
  while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
  return out;
}

std::optional<std::string> Store::meta(const std::string& key) {
  SQLite::Statement q(*db_, "SELECT value FROM meta WHERE key=?");
  q.bind(1, key);
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn(0).getString();
}

void Store::setMeta(const std::string& key, const std::string& value) {
  SQLite::Statement q(*db_,
                      "INSERT INTO meta(key, value) VALUES(?,?) "
                      "ON CONFLICT(key) DO UPDATE SET value=excluded.value");
  q.bind(1, key);
  q.bind(2, value);
  q.exec();
}

std::vector<std::pair<std::string, int64_t>> Store::rejectionCounts() {
  std::vector<std::pair<std::string, int64_t>> out;
  SQLite::Statement q(*db_, "SELECT reason, count FROM rejections ORDER BY reason");
  while (q.executeStep()) out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64());
  return out;
}

}  // namespace samband::broker
