// The outbox's SQL. Every write is one BEGIN IMMEDIATE transaction so that `report` and `run`
// (separate processes) never interleave a half-built chain.
// Over 500 lines on purpose: it is all one table group's SQL (outbox, chain, dead_letter) and the
// realign/rekey rule that must see all of it inside one transaction; splitting would spread it.
#include "agent/outbox.h"

#include <optional>

#include "agent/database.h"
#include "agent/last_report.h"
#include "agent/report_log.h"
#include "common/vocabulary.h"

namespace samband::agent {

namespace {

using common::Bytes;
using common::Result;
using common::Status;

std::string unitOf(const common::Payload& p) {
  if (auto* s = std::get_if<common::UnitStatusMsg>(&p)) return s->unitCode;
  if (auto* c = std::get_if<common::CapacityMsg>(&p)) return c->unitCode;
  return "";
}

Result<ChainHead> readHead(SQLite::Database& db) {
  SQLite::Statement q(db, "SELECT head_seq, head_hash FROM chain WHERE id = 1");
  if (!q.executeStep()) return common::internalError("outbox chain row missing");
  return ChainHead{static_cast<uint64_t>(q.getColumn(0).getInt64()), columnBytes(q.getColumn(1))};
}

void writeHead(SQLite::Database& db, const ChainHead& head) {
  SQLite::Statement u(db, "UPDATE chain SET head_seq = ?, head_hash = ? WHERE id = 1");
  u.bind(1, static_cast<int64_t>(head.seq));
  bindBlob(u, 2, head.hash);
  u.exec();
}

constexpr const char* kRowColumns =
    "id, seq, kind, unit, sent_at, prev_hash, body_hash, envelope, queued_at, resigned";

OutboxRow readRow(SQLite::Statement& q) {
  OutboxRow r;
  r.id = q.getColumn(0).getInt64();
  r.seq = static_cast<uint64_t>(q.getColumn(1).getInt64());
  r.kind = q.getColumn(2).getString();
  r.unit = q.getColumn(3).getString();
  r.sentAt = q.getColumn(4).getInt64();
  r.prevHash = columnBytes(q.getColumn(5));
  r.bodyHash = columnBytes(q.getColumn(6));
  r.envelope = columnBytes(q.getColumn(7));
  r.queuedAt = q.getColumn(8).getInt64();
  r.resigned = q.getColumn(9).getInt();
  return r;
}

common::Error storageError(const SQLite::Database& db, const char* what, const std::exception& e) {
  return common::unavailable(std::string("outbox ") + db.getFilename() + ": cannot " + what + ": " +
                             e.what() + " (check free disk space and file permissions)");
}

}  // namespace

Outbox::Outbox(SQLite::Database& db, const common::Identity& identity)
    : db_(db), identity_(identity), keyId_(identity.keyId()) {}

Status Outbox::checkKey() {
  SQLite::Statement q(db_, "SELECT key_id FROM chain WHERE id = 1");
  if (!q.executeStep()) return common::internalError("outbox chain row missing");
  Bytes stored = columnBytes(q.getColumn(0));
  if (stored.empty()) {
    SQLite::Statement u(db_, "UPDATE chain SET key_id = ? WHERE id = 1");
    bindBlob(u, 1, keyId_);
    u.exec();
    return {};
  }
  if (stored != keyId_) {
    SQLite::Statement r(db_,
                        "SELECT 1 FROM key_rotation WHERE old_key_id = ? AND new_key_id = ? AND "
                        "state IN ('switched', 'done')");
    bindBlob(r, 1, keyId_);
    bindBlob(r, 2, stored);
    if (r.executeStep()) {
      return Status(common::Error{
          common::ErrorKind::conflict,
          "the agent switched from key " + common::toHex(keyId_) + " to its new key " +
              common::toHex(stored) +
              " (key rotation) while this command ran; nothing was queued: run it again"});
    }
    return common::invalidInput(
        "the outbox " + db_.getFilename() + " belongs to signing key " + common::toHex(stored) +
        " but agent.identity has key " + common::toHex(keyId_) +
        "; restore the identity that wrote it, or move the outbox away to start a new one");
  }
  return {};
}

Status Outbox::verifyKey() {
  try {
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    if (Status s = checkKey(); !s) return s;
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return storageError(db_, "check the outbox's key", e);
  }
}

Result<std::vector<QueuedMessage>> Outbox::append(const std::vector<OutboxDraft>& drafts,
                                                  int64_t nowMs,
                                                  const InTransaction& inTransaction) {
  return append([&drafts]() -> Result<std::vector<OutboxDraft>> { return drafts; }, nowMs,
                inTransaction);
}

Result<std::vector<QueuedMessage>> Outbox::append(const DraftBuilder& build, int64_t nowMs,
                                                  const InTransaction& inTransaction) {
  std::vector<QueuedMessage> queued;
  try {
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    if (Status s = checkKey(); !s) return s.error();
    auto built = build();
    if (!built) return built.error();
    const std::vector<OutboxDraft>& drafts = *built;
    auto head = readHead(db_);
    if (!head) return head.error();
    ChainHead h = *head;
    SQLite::Statement ins(db_,
                          "INSERT INTO outbox (seq, kind, unit, mode, sent_at, prev_hash, body, "
                          "body_hash, envelope, queued_at) VALUES (?,?,?,?,?,?,?,?,?,?)");
    // The status_age self-test asks when each unit last had a real status report queued.
    SQLite::Statement reported(db_,
                               "INSERT INTO unit_reports (unit, last_status_at) VALUES (?, ?) "
                               "ON CONFLICT (unit) DO UPDATE SET last_status_at = "
                               "MAX(last_status_at, excluded.last_status_at)");
    for (const auto& d : drafts) {
      if (std::holds_alternative<common::HeartbeatMsg>(d.payload)) {
        return common::invalidInput("heartbeats are never queued in the outbox");
      }
      common::Message m;
      m.senderId = identity_.id();
      m.keyId = keyId_;
      m.seq = h.seq + 1;
      m.prevHash = m.seq == 1 ? Bytes() : h.hash;
      m.sentAt = d.sentAt;
      m.mode = d.mode;
      m.payload = d.payload;
      if (Status s = common::validate(m); !s) {
        return common::invalidInput("cannot queue the " +
                                    std::string(common::payloadKindName(d.payload)) + ": " +
                                    s.error().message);
      }
      common::SealedFrame f = common::seal(identity_, m);
      QueuedMessage q{0, m.seq, common::payloadKindName(m.payload), unitOf(m.payload)};
      ins.reset();
      ins.bind(1, static_cast<int64_t>(m.seq));
      ins.bind(2, q.kind);
      ins.bind(3, q.unit);
      ins.bind(4, common::modeName(m.mode));
      ins.bind(5, m.sentAt);
      bindBlob(ins, 6, m.prevHash);
      bindBlob(ins, 7, f.body);
      bindBlob(ins, 8, f.bodyHash);
      bindBlob(ins, 9, f.envelope);
      ins.bind(10, nowMs);
      ins.exec();
      q.rowId = db_.getLastInsertRowid();
      if (q.kind == "unit_status" && m.mode == common::Mode::ACTUAL) {
        reported.reset();
        reported.bind(1, q.unit);
        reported.bind(2, nowMs);
        reported.exec();
      }
      // `report` carries the newest status and capacity forward, also once this row is acked.
      recordLastReport(db_, q.unit, q.kind, common::modeName(m.mode), m.sentAt, nowMs, f.body);
      // The reporting page shows what became of each report (agent/report_log.h).
      logQueuedReport(db_, q.rowId, q.seq, q.kind, q.unit, common::modeName(m.mode), m.sentAt,
                      nowMs);
      h = ChainHead{m.seq, f.bodyHash};
      queued.push_back(std::move(q));
    }
    writeHead(db_, h);
    if (inTransaction) {
      if (Status s = inTransaction(queued); !s) return s.error();
    }
    tx.commit();
  } catch (const std::exception& e) {
    return storageError(db_, "queue the message", e);
  }
  return queued;
}

Result<std::vector<OutboxRow>> Outbox::pendingFrom(uint64_t fromSeq, size_t limit) {
  std::vector<OutboxRow> rows;
  try {
    SQLite::Statement q(db_, std::string("SELECT ") + kRowColumns +
                                 " FROM outbox WHERE seq >= ? ORDER BY seq LIMIT ?");
    q.bind(1, static_cast<int64_t>(fromSeq));
    q.bind(2, static_cast<int64_t>(limit));
    while (q.executeStep()) rows.push_back(readRow(q));
  } catch (const std::exception& e) {
    return storageError(db_, "read pending messages", e);
  }
  return rows;
}

Result<std::vector<OutboxRow>> Outbox::pendingById(int64_t id) {
  std::vector<OutboxRow> rows;
  try {
    SQLite::Statement q(db_, std::string("SELECT ") + kRowColumns + " FROM outbox WHERE id = ?");
    q.bind(1, id);
    while (q.executeStep()) rows.push_back(readRow(q));
  } catch (const std::exception& e) {
    return storageError(db_, "read a pending message", e);
  }
  return rows;
}

Result<size_t> Outbox::ack(uint64_t seq) {
  try {
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    auto head = readHead(db_);
    if (!head) return head.error();
    if (seq == 0 || seq > head->seq) return size_t{0};
    // The acknowledged pair (seq, hash) is recorded only while the row is here to give the hash;
    // a duplicate ack for a row already deleted changes nothing.
    std::optional<Bytes> ackedHash;
    {
      SQLite::Statement row(db_, "SELECT body_hash FROM outbox WHERE seq = ?");
      row.bind(1, static_cast<int64_t>(seq));
      if (row.executeStep()) ackedHash = columnBytes(row.getColumn(0));
    }
    if (ackedHash) {
      SQLite::Statement u(db_, "UPDATE chain SET acked_seq = ?, acked_hash = ? WHERE id = 1");
      u.bind(1, static_cast<int64_t>(seq));
      bindBlob(u, 2, *ackedHash);
      u.exec();
    }
    {
      // The broker now holds the announced key rotation: it has enrolled the new key.
      SQLite::Statement r(db_,
                          "UPDATE key_rotation SET state = 'acknowledged', changed_at = "
                          "CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE state = "
                          "'announced' AND row_id IN (SELECT id FROM outbox WHERE seq <= ?)");
      r.bind(1, static_cast<int64_t>(seq));
      r.exec();
    }
    logDeliveredReports(db_, seq);
    SQLite::Statement del(db_, "DELETE FROM outbox WHERE seq <= ?");
    del.bind(1, static_cast<int64_t>(seq));
    size_t deleted = static_cast<size_t>(del.exec());
    tx.commit();
    return deleted;
  } catch (const std::exception& e) {
    return storageError(db_, "record an acknowledgement", e);
  }
}

Result<RealignOutcome> Outbox::realign(uint64_t headSeq, const Bytes& headHash) {
  if (headSeq > 0 && headHash.size() != 32) {
    return common::invalidInput("the broker's head hash is not 32 bytes; ignoring that head");
  }
  try {
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    if (Status s = checkKey(); !s) return s.error();
    auto out = realignLocked(headSeq, headHash);
    if (!out) return out;
    tx.commit();
    return out;
  } catch (const std::exception& e) {
    return storageError(db_, "realign pending messages", e);
  }
}

Result<RealignOutcome> Outbox::deadLetter(int64_t rowId, const std::string& reason,
                                          const std::string& detail, int64_t nowMs,
                                          uint64_t headSeq, const Bytes& headHash) {
  if (headSeq > 0 && headHash.size() != 32) {
    return common::invalidInput("the broker's head hash is not 32 bytes; ignoring that head");
  }
  try {
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    if (Status s = checkKey(); !s) return s.error();
    SQLite::Statement move(db_,
                           "INSERT INTO dead_letter (seq, kind, unit, mode, sent_at, body, "
                           "envelope, reason, detail, dead_at, row_id) SELECT seq, kind, unit, "
                           "mode, sent_at, body, envelope, ?, ?, ?, id FROM outbox WHERE id = ?");
    move.bind(1, reason);
    move.bind(2, detail);
    move.bind(3, nowMs);
    move.bind(4, rowId);
    if (move.exec() == 0) return RealignOutcome{};  // no longer pending: a stale refusal
    {
      SQLite::Statement r(db_,
                          "UPDATE key_rotation SET state = 'refused', changed_at = ?, detail = ? "
                          "WHERE state = 'announced' AND row_id = ?");
      r.bind(1, nowMs);
      r.bind(2, reason + (detail.empty() ? "" : ": " + detail));
      r.bind(3, rowId);
      r.exec();
    }
    SQLite::Statement del(db_, "DELETE FROM outbox WHERE id = ?");
    del.bind(1, rowId);
    del.exec();
    auto out = realignLocked(headSeq, headHash);
    if (!out) return out;
    out->changed = true;
    tx.commit();
    return out;
  } catch (const std::exception& e) {
    return storageError(db_, "move a refused message to the dead letters", e);
  }
}

// Must run inside a write transaction. The rule: find where the broker's head sits in our
// pending rows (a row with seq == headSeq and the same hash means everything up to it is
// already the broker's); from there on, every row must be seq+1 of its predecessor with
// prevHash = its hash. The first row that is not gets re-signed, and so do all after it.
// Re-signing a row whose seq and prevHash do not change would give identical bytes, so the
// rebuild is idempotent: stale heads and duplicated refusals change nothing.
Result<ChainHead> Outbox::resignRows(const std::vector<OutboxRow>& rows, size_t first,
                                     const common::Identity& signer, const Bytes& signerKeyId,
                                     ChainHead head) {
  // Park the rows to be re-signed on negative seqs first, so the UNIQUE(seq) constraint holds
  // while they are renumbered.
  SQLite::Statement park(db_, "UPDATE outbox SET seq = -id WHERE id = ?");
  for (size_t i = first; i < rows.size(); ++i) {
    park.reset();
    park.bind(1, rows[i].id);
    park.exec();
  }
  SQLite::Statement body(db_, "SELECT body FROM outbox WHERE id = ?");
  SQLite::Statement upd(db_,
                        "UPDATE outbox SET seq = ?, prev_hash = ?, body = ?, body_hash = ?, "
                        "envelope = ?, resigned = resigned + 1 WHERE id = ?");
  for (size_t i = first; i < rows.size(); ++i) {
    body.reset();
    body.bind(1, rows[i].id);
    if (!body.executeStep()) return common::internalError("outbox row vanished while re-signing");
    auto decoded = common::decodeBody(columnBytes(body.getColumn(0)));
    if (!decoded) {
      return common::internalError("outbox row " + std::to_string(rows[i].id) +
                                   " does not decode: " + decoded.error().message);
    }
    common::Message m = std::move(decoded).value();
    m.senderId = signer.id();
    m.keyId = signerKeyId;
    m.seq = head.seq + 1;
    m.prevHash = m.seq == 1 ? Bytes() : head.hash;
    common::SealedFrame f = common::seal(signer, m);
    upd.reset();
    upd.bind(1, static_cast<int64_t>(m.seq));
    bindBlob(upd, 2, m.prevHash);
    bindBlob(upd, 3, f.body);
    bindBlob(upd, 4, f.bodyHash);
    bindBlob(upd, 5, f.envelope);
    upd.bind(6, rows[i].id);
    upd.exec();
    head = ChainHead{m.seq, f.bodyHash};
  }
  return head;
}

Result<RealignOutcome> Outbox::realignLocked(uint64_t headSeq, const Bytes& headHash) {
  std::vector<OutboxRow> rows;
  {
    SQLite::Statement q(db_, std::string("SELECT ") + kRowColumns + " FROM outbox ORDER BY seq");
    while (q.executeStep()) rows.push_back(readRow(q));
  }
  auto current = readHead(db_);
  if (!current) return current.error();
  RealignOutcome out;
  out.head = *current;

  size_t start = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].seq == headSeq && rows[i].bodyHash == headHash) {
      start = i + 1;
      break;
    }
  }
  ChainHead expected{headSeq, headSeq == 0 ? Bytes() : headHash};
  if (start > 0) expected = ChainHead{rows[start - 1].seq, rows[start - 1].bodyHash};

  size_t firstBroken = rows.size();
  for (size_t i = start; i < rows.size(); ++i) {
    if (rows[i].seq != expected.seq + 1 || rows[i].prevHash != expected.hash) {
      firstBroken = i;
      break;
    }
    expected = ChainHead{rows[i].seq, rows[i].bodyHash};
  }

  if (firstBroken < rows.size()) {
    auto resigned = resignRows(rows, firstBroken, identity_, keyId_, expected);
    if (!resigned) return resigned.error();
    expected = *resigned;
    out.resigned += rows.size() - firstBroken;
    out.changed = true;
  }

  ChainHead newHead =
      rows.empty() ? ChainHead{headSeq, headSeq == 0 ? Bytes() : headHash} : expected;
  if (!(newHead == *current)) {
    writeHead(db_, newHead);
    out.changed = true;
    if (rows.empty()) out.headMoved = true;
  }
  out.head = newHead;
  return out;
}

Result<size_t> Outbox::rekey(const common::Identity& next, const ChainHead& oldHead,
                             const InTransaction& inTransaction) {
  try {
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    if (Status s = checkKey(); !s) return s.error();
    if (oldHead.seq > 0) {
      // Only when the broker's head is one of our rows do we know that it and everything before
      // it are the broker's; otherwise (a fork) nothing is dropped and all is re-signed.
      SQLite::Statement at(db_, "SELECT body_hash FROM outbox WHERE seq = ?");
      at.bind(1, static_cast<int64_t>(oldHead.seq));
      if (at.executeStep() && columnBytes(at.getColumn(0)) == oldHead.hash) {
        at.reset();
        SQLite::Statement del(db_, "DELETE FROM outbox WHERE seq <= ?");
        del.bind(1, static_cast<int64_t>(oldHead.seq));
        del.exec();
      }
    }
    std::vector<OutboxRow> rows;
    {
      SQLite::Statement q(db_, std::string("SELECT ") + kRowColumns + " FROM outbox ORDER BY seq");
      while (q.executeStep()) rows.push_back(readRow(q));
    }
    const Bytes nextKeyId = next.keyId();
    auto resigned = resignRows(rows, 0, next, nextKeyId, ChainHead{});
    if (!resigned) return resigned.error();
    const ChainHead h = *resigned;
    SQLite::Statement chain(db_,
                            "UPDATE chain SET key_id = ?, head_seq = ?, head_hash = ?, "
                            "acked_seq = 0, acked_hash = x'' WHERE id = 1");
    bindBlob(chain, 1, nextKeyId);
    chain.bind(2, static_cast<int64_t>(h.seq));
    bindBlob(chain, 3, h.hash);
    chain.exec();
    if (inTransaction) {
      if (Status s = inTransaction({}); !s) return s.error();
    }
    tx.commit();
    return rows.size();
  } catch (const std::exception& e) {
    return storageError(db_, "move the outbox to the new key", e);
  }
}

Result<ChainHead> Outbox::head() {
  try {
    return readHead(db_);
  } catch (const std::exception& e) {
    return storageError(db_, "read the chain head", e);
  }
}

Result<ChainHead> Outbox::acked() {
  try {
    SQLite::Statement q(db_, "SELECT acked_seq, acked_hash FROM chain WHERE id = 1");
    if (!q.executeStep()) return common::internalError("outbox chain row missing");
    return ChainHead{static_cast<uint64_t>(q.getColumn(0).getInt64()), columnBytes(q.getColumn(1))};
  } catch (const std::exception& e) {
    return storageError(db_, "read the acknowledged head", e);
  }
}

Result<std::pair<uint64_t, uint64_t>> Outbox::pendingRange() {
  try {
    SQLite::Statement q(db_, "SELECT MIN(seq), MAX(seq) FROM outbox");
    std::pair<uint64_t, uint64_t> range{0, 0};
    if (q.executeStep() && !q.getColumn(0).isNull()) {
      range = {static_cast<uint64_t>(q.getColumn(0).getInt64()),
               static_cast<uint64_t>(q.getColumn(1).getInt64())};
    }
    return range;
  } catch (const std::exception& e) {
    return storageError(db_, "read the pending range", e);
  }
}

Result<std::vector<DeadLetter>> Outbox::deadLetters(SQLite::Database& db, size_t limit) {
  std::vector<DeadLetter> out;
  try {
    SQLite::Statement q(db,
                        "SELECT id, seq, kind, unit, sent_at, reason, detail, dead_at FROM "
                        "dead_letter ORDER BY id DESC LIMIT ?");
    q.bind(1, static_cast<int64_t>(limit));
    while (q.executeStep()) {
      DeadLetter d;
      d.id = q.getColumn(0).getInt64();
      d.seq = static_cast<uint64_t>(q.getColumn(1).getInt64());
      d.kind = q.getColumn(2).getString();
      d.unit = q.getColumn(3).getString();
      d.sentAt = q.getColumn(4).getInt64();
      d.reason = q.getColumn(5).getString();
      d.detail = q.getColumn(6).getString();
      d.deadAt = q.getColumn(7).getInt64();
      out.push_back(std::move(d));
    }
  } catch (const std::exception& e) {
    return storageError(db, "read the dead letters", e);
  }
  return out;
}

Result<int64_t> Outbox::dataVersion() {
  try {
    return db_.execAndGet("PRAGMA data_version").getInt64();
  } catch (const std::exception& e) {
    return storageError(db_, "read data_version", e);
  }
}

Result<OutboxSummary> Outbox::summarize(SQLite::Database& db) {
  OutboxSummary s;
  try {
    SQLite::Transaction tx(db);  // one consistent snapshot
    SQLite::Statement q(db, "SELECT COUNT(*), MIN(seq), MAX(seq), MIN(queued_at) FROM outbox");
    if (q.executeStep()) {
      s.pending = static_cast<size_t>(q.getColumn(0).getInt64());
      s.firstPendingSeq = static_cast<uint64_t>(q.getColumn(1).getInt64());
      s.lastPendingSeq = static_cast<uint64_t>(q.getColumn(2).getInt64());
      s.oldestQueuedAt = q.getColumn(3).getInt64();
    }
    SQLite::Statement c(db,
                        "SELECT head_seq, head_hash, acked_seq, key_id FROM chain WHERE id = 1");
    if (c.executeStep()) {
      s.head =
          ChainHead{static_cast<uint64_t>(c.getColumn(0).getInt64()), columnBytes(c.getColumn(1))};
      s.ackedSeq = static_cast<uint64_t>(c.getColumn(2).getInt64());
      s.keyId = columnBytes(c.getColumn(3));
    }
    s.deadLetters =
        static_cast<size_t>(db.execAndGet("SELECT COUNT(*) FROM dead_letter").getInt64());
    tx.commit();
  } catch (const std::exception& e) {
    return storageError(db, "summarise", e);
  }
  return s;
}

}  // namespace samband::agent
