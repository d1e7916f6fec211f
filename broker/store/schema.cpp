// See schema.h. The migrations are SQL text kept in one array, in the order they were added.
#include "broker/store/schema.h"

#include <SQLiteCpp/Transaction.h>

#include <string>

namespace samband::broker {

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
    // 5: a sender's clock never orders anything (issue 10). Capacity follows archive order like
    // unit status and continuity; a heartbeat's freshness is its per-key counter; each
    // provider's clock offset as measured from its heartbeats (NULL: not measured yet).
    R"sql(
ALTER TABLE capacity_reports ADD COLUMN frame_id INTEGER NOT NULL DEFAULT 0;
UPDATE capacity_reports SET frame_id = coalesce((SELECT max(c.frame_id) FROM capacity c
  WHERE c.mode = capacity_reports.mode AND c.code = capacity_reports.code), 0);
ALTER TABLE keys ADD COLUMN last_heartbeat_counter INTEGER NOT NULL DEFAULT 0;
ALTER TABLE providers ADD COLUMN clock_offset_ms INTEGER;
ALTER TABLE providers ADD COLUMN clock_offset_at INTEGER;
)sql",
    // 6: the city's signed checkpoints (docs/protocol.md, "Checkpoints and receipts"): one per
    // commit that stored frames, chained; header and signature exactly as signed.
    R"sql(
CREATE TABLE checkpoints (
  number INTEGER PRIMARY KEY,
  header BLOB NOT NULL,
  signature BLOB NOT NULL,
  last_frame_id INTEGER NOT NULL  -- the newest frame it covers (not signed: a local index)
);
)sql",
    // 7: the city's school holidays imported from iCalendar files (issue 11); [calendar]
    // holidays in broker.toml count beside them. Both ends included, "YYYY-MM-DD".
    R"sql(
CREATE TABLE calendar_holidays (
  from_date TEXT NOT NULL,
  to_date TEXT NOT NULL,
  name TEXT NOT NULL,
  source TEXT NOT NULL,        -- the file it came from
  imported_at INTEGER NOT NULL,
  PRIMARY KEY (from_date, to_date, name)
);
)sql",
    // 8: accounts as an office runs them (issue 13): a user limited to districts sees only their
    // units (no rows: every district), and when a password was last changed.
    R"sql(
CREATE TABLE user_districts (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  district TEXT NOT NULL,
  PRIMARY KEY (user_id, district)
);
ALTER TABLE users ADD COLUMN password_changed_at INTEGER;
)sql",
    // 9: snapshots of the picture rebuilt from the archive (issue 13, `status --as-of`): each is
    // the replay database (broker/picture/archive_replay.h) after the frames up to frame_id, as
    // an SQLite image. Derived data: dropping every row loses speed, never history.
    R"sql(
CREATE TABLE picture_snapshots (
  frame_id INTEGER PRIMARY KEY,      -- the newest frame it includes
  frames INTEGER NOT NULL,           -- how many frames it includes
  received_up_to INTEGER NOT NULL,   -- the latest received_at among them
  format INTEGER NOT NULL,           -- the replay's format; snapshots of another are ignored
  made_at INTEGER NOT NULL,
  image BLOB NOT NULL
);
CREATE INDEX picture_snapshots_received ON picture_snapshots(received_up_to, frame_id);
)sql",
    // 10: takeover planning from what the city knows (issue 12). A closed unit's last closed day
    // ("YYYY-MM-DD", '' = not given); capacity figures imported from the city's registers (per
    // unit, form and year, the newest import; the planner takes the newer of it and the unit's
    // own report); each provider's duty contact as the city keeps it (never sent by an agent).
    R"sql(
ALTER TABLE unit_status ADD COLUMN closed_until TEXT NOT NULL DEFAULT '';
CREATE TABLE capacity_imports (
  code TEXT NOT NULL,
  form TEXT NOT NULL,
  year INTEGER NOT NULL,
  enrolled INTEGER NOT NULL,
  seats_now INTEGER NOT NULL,
  seats_72h INTEGER NOT NULL,
  imported_at INTEGER NOT NULL,  -- broker clock, ms
  source TEXT NOT NULL,          -- the file it came from
  PRIMARY KEY (code, form, year)
);
ALTER TABLE providers ADD COLUMN duty_contact TEXT;
)sql",
    // 11 (replication_peers, issue 15): what this broker knows of each peer broker it replicates
    // with: the peer's chain heads as of its last pull (JSON), how many frames it lacked then,
    // and when it was last heard from. Derived, local state: never part of the archive.
    R"sql(
CREATE TABLE replication_peers (
  peer TEXT PRIMARY KEY,           -- the peer's name in [replication] peers
  behind_frames INTEGER,           -- frames this broker holds that the peer lacks (NULL: unknown)
  last_contact INTEGER,            -- broker clock, ms, of the peer's last pull (NULL: never)
  heads TEXT NOT NULL DEFAULT '[]' -- the peer's heads at its last pull: [[sender,key,seq],...]
);
)sql",
    // 12: batch envelopes (issue 16). A batch frame exactly as sent (one signature over up to 64
    // reports), stored once when any of its reports is stored; each report stored from it is a
    // row of `frames` (its envelope holds the body and a zero signature) linked here to its place
    // in the batch, so the audit and an inquiry verify the batch's signature over the exact bytes.
    R"sql(
CREATE TABLE batches (
  id INTEGER PRIMARY KEY,
  sender TEXT NOT NULL,
  key_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  frame BLOB NOT NULL                -- the uplink frame as sent ("SBATCHv1" + BatchEnvelope)
);
CREATE TABLE batch_frames (
  frame_id INTEGER PRIMARY KEY,      -- frames.id of a report stored from the batch
  batch_id INTEGER NOT NULL,
  idx INTEGER NOT NULL               -- its index in the batch's bodies, from 0
);
CREATE INDEX batch_frames_batch ON batch_frames(batch_id);
)sql",
    // 13 (issue 15, docs/replication.md): a revoked key's chain head when it was revoked (the
    // highest any broker's revocation record names): its frames up to it are history on every
    // broker, later ones are refused; NULL for revocations from before (judged by revoked_at).
    // And city messages replicated from a peer broker: an agent's directive acknowledgement can
    // be pulled before the directive, and is found again when the directive arrives (partial
    // index: only those frames).
    R"sql(
ALTER TABLE keys ADD COLUMN revoked_after_seq INTEGER;
CREATE INDEX frames_directive_acks ON frames(id) WHERE kind = 'directive_ack';
)sql",
    // 14: pictures that roll up (issue 15, docs/rollup.md). Only an upstream broker (county or
    // national tier) writes these. The cities it enrolled (root key, transport key); every
    // relayed frame exactly as its sender signed it, keyed by city (provider ids may collide
    // across cities); the units' newest state per city; refusals per city and reason.
    R"sql(
CREATE TABLE rollup_cities (
  city TEXT PRIMARY KEY,
  root_sign_public BLOB NOT NULL,    -- the city's root key: every relayed record proves from it
  curve_public BLOB NOT NULL UNIQUE, -- the city broker's transport key (ZAP admits it)
  enrolled_at INTEGER NOT NULL,
  last_contact INTEGER,              -- upstream clock, ms, of the city's last answer
  liveness TEXT NOT NULL DEFAULT '[]', -- [[provider, last_seen_ms|null], ...] upstream clock
  liveness_at INTEGER,               -- when the signed liveness summary was received
  gaps INTEGER NOT NULL DEFAULT 0    -- frames accepted after a seq gap (non-actual not relayed)
);
CREATE TABLE rollup_frames (
  id INTEGER PRIMARY KEY,
  city TEXT NOT NULL,
  sender TEXT NOT NULL,
  key_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  body_hash BLOB NOT NULL,
  sent_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  envelope BLOB NOT NULL,            -- as signed: an envelope, or the batch frame it came in
  batch_index INTEGER,               -- its index in that batch, else NULL
  UNIQUE (city, sender, key_id, seq)
);
CREATE TABLE rollup_units (
  city TEXT NOT NULL,
  unit TEXT NOT NULL,
  provider TEXT NOT NULL,
  state TEXT,                        -- operational state of the newest unit status, NULL: none
  status_seq INTEGER,
  status_key TEXT,
  status TEXT,                       -- the newest unit status as JSON
  reported_at INTEGER,               -- min(sentAt, received) of that status
  capacity TEXT,                     -- the newest capacity as JSON
  capacity_seq INTEGER,
  capacity_key TEXT,
  capacity_at INTEGER,
  PRIMARY KEY (city, unit)
);
CREATE TABLE rollup_refusals (
  city TEXT NOT NULL,
  reason TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (city, reason)
);
)sql",
    // 15 (issue 15, docs/replication.md "Unit metadata, duty contacts and names"): when each
    // provider's name and duty contact and each unit's metadata was last set, by the sentAt of
    // the city's signed record (broker clock, ms; 0: before this migration). Two brokers that
    // changed the same item apart both keep the newest.
    // Board accounts replicate too (docs/decisions/0014-replicated-board-accounts.md): when each
    // account was last changed and the BLAKE2b-256 of its password hash as its record names it;
    // removed accounts (so an older record pulled later does not bring one back); and the
    // password hashes the city's account records name, by digest, which this broker serves to
    // its peers beside the frames (never archived).
    R"sql(
ALTER TABLE providers ADD COLUMN name_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE providers ADD COLUMN duty_contact_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE units ADD COLUMN info_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN account_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_digest BLOB;
CREATE TABLE account_removals (
  name TEXT PRIMARY KEY,
  removed_at INTEGER NOT NULL        -- sentAt of the newest removal record
);
CREATE TABLE account_hashes (
  digest BLOB PRIMARY KEY,           -- BLAKE2b-256 of `hash`
  hash TEXT NOT NULL                 -- an argon2id hash string, as users.password_hash
);
)sql",
    // 16 (issue 15, docs/replication.md): a directive is keyed by the city key that signed it and
    // its id, since two brokers apart may both number one D-000043. The key of a directive
    // recorded before is its archived frame's. Outbound copies name the key too, so an
    // acknowledgement that names it marks only that directive's copy delivered. (The recipients'
    // foreign key names directives_keyed: the rename below makes it name directives.)
    R"sql(
CREATE TABLE directives_keyed (
  id TEXT NOT NULL,
  key_id TEXT NOT NULL,           -- hex id of the city key that signed it ('' if not archived)
  number INTEGER NOT NULL,
  text TEXT NOT NULL,
  level TEXT NOT NULL,
  require_ack INTEGER NOT NULL,
  mode TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  frame_id INTEGER,
  PRIMARY KEY (key_id, id),
  UNIQUE (key_id, number)
);
INSERT INTO directives_keyed(id, key_id, number, text, level, require_ack, mode, issued_at,
                             expires_at, frame_id)
  SELECT d.id, coalesce((SELECT f.key_id FROM frames f WHERE f.id = d.frame_id), ''), d.number,
         d.text, d.level, d.require_ack, d.mode, d.issued_at, d.expires_at, d.frame_id
  FROM directives d ORDER BY d.rowid;
CREATE TABLE directive_recipients_keyed (
  key_id TEXT NOT NULL,
  directive_id TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  delivered_at INTEGER,
  acknowledged_at INTEGER,
  PRIMARY KEY (key_id, directive_id, provider_id),
  FOREIGN KEY (key_id, directive_id) REFERENCES directives_keyed(key_id, id)
);
INSERT INTO directive_recipients_keyed(key_id, directive_id, provider_id, delivered_at,
                                       acknowledged_at)
  SELECT d.key_id, r.directive_id, r.provider_id, r.delivered_at, r.acknowledged_at
  FROM directive_recipients r JOIN directives_keyed d ON d.id = r.directive_id;
DROP TABLE directive_recipients;
DROP TABLE directives;
ALTER TABLE directives_keyed RENAME TO directives;
ALTER TABLE directive_recipients_keyed RENAME TO directive_recipients;
CREATE INDEX directives_number ON directives(number);
ALTER TABLE outbound ADD COLUMN key_id TEXT;  -- hex id of the city key that signed it
)sql",
    // 17 (issue 16, docs/protocol.md "Batches"): a report stored from a batch keeps its body only
    // in the batch frame. Its row's envelope is empty (x'') and these two columns point into the
    // batch, instead of a batch_frames row and its index entry. The links stored before move
    // here; those rows keep their envelope (body + zero signature), so readers accept both
    // (broker/store/stored_envelopes.h). Cost on a large archive: the ALTERs only change the
    // schema; the UPDATE rewrites the pages of frames that hold batched reports (once, in this
    // transaction, so the WAL grows by about that many pages); the old rows keep their bodies.
    R"sql(
ALTER TABLE frames ADD COLUMN batch_id INTEGER;   -- batches.id it came in; NULL: sent alone
ALTER TABLE frames ADD COLUMN batch_idx INTEGER;  -- its index in that batch's bodies, from 0
UPDATE frames SET batch_id = l.batch_id, batch_idx = l.idx FROM batch_frames l
  WHERE l.frame_id = frames.id;
DROP INDEX batch_frames_batch;
DROP TABLE batch_frames;
)sql",
    // 18 (issue 16): a counter of roster changes, raised by triggers on every change to what the
    // ingest's roster snapshot holds (keys and who owns which unit). The running broker compares
    // it every few seconds instead of re-reading the whole roster; the CLI's enrolments,
    // revocations and imports (other processes) raise it like the broker's own writes.
    // `keys.last_heartbeat_sent_at` is not in the snapshot and does not raise it.
    R"sql(
CREATE TABLE roster_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  n INTEGER NOT NULL
);
INSERT INTO roster_version (id, n) VALUES (1, 0);
CREATE TRIGGER roster_version_keys_insert AFTER INSERT ON keys
  BEGIN UPDATE roster_version SET n = n + 1; END;
CREATE TRIGGER roster_version_keys_delete AFTER DELETE ON keys
  BEGIN UPDATE roster_version SET n = n + 1; END;
CREATE TRIGGER roster_version_keys_update
  AFTER UPDATE OF key_id, provider_id, sign_public, curve_public, enrolled_at, revoked_at,
                  revoked_after_seq ON keys
  BEGIN UPDATE roster_version SET n = n + 1; END;
CREATE TRIGGER roster_version_units_insert AFTER INSERT ON units
  BEGIN UPDATE roster_version SET n = n + 1; END;
CREATE TRIGGER roster_version_units_delete AFTER DELETE ON units
  BEGIN UPDATE roster_version SET n = n + 1; END;
CREATE TRIGGER roster_version_units_update AFTER UPDATE OF code, provider_id ON units
  BEGIN UPDATE roster_version SET n = n + 1; END;
)sql",
};
static_assert(sizeof kMigrations / sizeof kMigrations[0] == kSchemaVersion,
              "every migration raises kSchemaVersion by one");

}  // namespace

int schemaVersion(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

common::Status migrateSchema(SQLite::Database& db) {
  try {
    for (int v = schemaVersion(db); v < kSchemaVersion; ++v) {
      SQLite::Transaction tx(db);
      db.exec(kMigrations[v]);
      db.exec("PRAGMA user_version=" + std::to_string(v + 1));
      tx.commit();
    }
  } catch (const SQLite::Exception& e) {
    // Store::open names the file around this message.
    return common::unavailable(e.what());
  }
  return {};
}

}  // namespace samband::broker
