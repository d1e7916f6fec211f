// The inbox table.
#include "agent/inbox.h"

#include "agent/database.h"
#include "common/codec.h"

namespace samband::agent {

namespace {

constexpr const char* kEntryColumns =
    "id, kind, ref, body, received_at, handled_at, state, reason, results, acted_at, verified";

InboxEntry readEntry(SQLite::Statement& q) {
  InboxEntry e;
  e.id = q.getColumn(0).getInt64();
  e.kind = q.getColumn(1).getString();
  e.ref = q.getColumn(2).getString();
  e.envelope = columnBytes(q.getColumn(3));
  e.receivedAt = q.getColumn(4).getInt64();
  e.handled = !q.getColumn(5).isNull();
  e.state = q.getColumn(6).getString();  // "" for NULL
  e.reason = q.getColumn(7).getString();
  e.results = q.getColumn(8).getString();
  e.actedAt = q.getColumn(9).getInt64();  // 0 for NULL
  e.verified = q.getColumn(10).getInt() != 0;
  return e;
}

common::Error inboxError(SQLite::Database& db, const char* what, const std::exception& e) {
  return common::unavailable(std::string("cannot ") + what + " the inbox in " + db.getFilename() +
                             ": " + e.what());
}

}  // namespace

common::Result<int64_t> Inbox::store(const VerifiedCityMessage& m, int64_t receivedAtMs) {
  try {
    SQLite::Statement ins(db_,
                          "INSERT OR IGNORE INTO inbox (kind, ref, body, body_hash, received_at) "
                          "VALUES (?,?,?,?,?)");
    ins.bind(1, cityMessageKind(m.message));
    ins.bind(2, cityMessageRef(m.message));
    bindBlob(ins, 3, m.envelope);
    bindBlob(ins, 4, m.bodyHash);
    ins.bind(5, receivedAtMs);
    if (ins.exec() == 0) return int64_t{0};
    return db_.getLastInsertRowid();
  } catch (const std::exception& e) {
    return common::unavailable("cannot store a city message in " + db_.getFilename() + ": " +
                               e.what());
  }
}

common::Result<std::vector<InboxEntry>> Inbox::unhandled() {
  std::vector<InboxEntry> out;
  try {
    SQLite::Statement q(db_,
                        "SELECT id, kind, ref, body, received_at FROM inbox WHERE handled_at IS "
                        "NULL ORDER BY id");
    while (q.executeStep()) {
      InboxEntry e;
      e.id = q.getColumn(0).getInt64();
      e.kind = q.getColumn(1).getString();
      e.ref = q.getColumn(2).getString();
      e.envelope = columnBytes(q.getColumn(3));
      e.receivedAt = q.getColumn(4).getInt64();
      out.push_back(std::move(e));
    }
  } catch (const std::exception& e) {
    return common::unavailable("cannot read the inbox in " + db_.getFilename() + ": " + e.what());
  }
  return out;
}

common::Status Inbox::markHandled(int64_t id, int64_t atMs) {
  try {
    SQLite::Statement u(db_, "UPDATE inbox SET handled_at = ? WHERE id = ?");
    u.bind(1, atMs);
    u.bind(2, id);
    u.exec();
    return {};
  } catch (const std::exception& e) {
    return common::unavailable("cannot update the inbox in " + db_.getFilename() + ": " + e.what());
  }
}

common::Result<int64_t> Inbox::storeRefused(const common::Bytes& envelope,
                                            const std::string& reason, int64_t atMs) {
  // What it claims to be, for the person reading `inbox`; nothing of it is believed.
  std::string kind = "unknown";
  std::string ref;
  if (auto parts = common::decodeEnvelope(envelope)) {
    if (auto body = common::decodeBody(parts->body)) {
      kind = body->isFromCityOnly() ? cityMessageKind(*body) : "unknown";
      ref = cityMessageRef(*body);
    }
  }
  try {
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement ins(
        db_,
        "INSERT OR IGNORE INTO inbox (kind, ref, body, body_hash, received_at, "
        "handled_at, state, reason, verified) VALUES (?,?,?,?,?,?,'refused',?,0)");
    ins.bind(1, kind);
    ins.bind(2, ref);
    bindBlob(ins, 3, envelope);
    bindBlob(ins, 4, common::hash256(envelope));
    ins.bind(5, atMs);
    ins.bind(6, atMs);
    ins.bind(7, reason);
    if (ins.exec() == 0) return int64_t{0};
    int64_t id = db_.getLastInsertRowid();
    SQLite::Statement trim(db_,
                           "DELETE FROM inbox WHERE state = 'refused' AND id NOT IN (SELECT id "
                           "FROM inbox WHERE state = 'refused' ORDER BY id DESC LIMIT ?)");
    trim.bind(1, static_cast<int64_t>(kMaxRefused));
    trim.exec();
    tx.commit();
    return id;
  } catch (const std::exception& e) {
    return inboxError(db_, "record a refused message in", e);
  }
}

common::Status Inbox::finish(int64_t id, const std::string& state, const std::string& reason,
                             const std::string& results, int64_t atMs) {
  try {
    SQLite::Statement u(db_,
                        "UPDATE inbox SET state = ?, reason = ?, results = ?, handled_at = ? "
                        "WHERE id = ?");
    u.bind(1, state);
    if (reason.empty()) {
      u.bind(2);
    } else {
      u.bind(2, reason);
    }
    if (results.empty()) {
      u.bind(3);
    } else {
      u.bind(3, results);
    }
    u.bind(4, atMs);
    u.bind(5, id);
    u.exec();
    return {};
  } catch (const std::exception& e) {
    return inboxError(db_, "update", e);
  }
}

common::Status Inbox::recordPersonAction(int64_t id, const std::string& state, int64_t atMs) {
  try {
    SQLite::Statement u(db_, "UPDATE inbox SET state = ?, acted_at = ? WHERE id = ?");
    u.bind(1, state);
    u.bind(2, atMs);
    u.bind(3, id);
    u.exec();
    return {};
  } catch (const std::exception& e) {
    return inboxError(db_, "update", e);
  }
}

common::Result<std::vector<InboxEntry>> Inbox::list(size_t limit) {
  std::vector<InboxEntry> out;
  try {
    SQLite::Statement q(
        db_, std::string("SELECT ") + kEntryColumns + " FROM inbox ORDER BY id DESC LIMIT ?");
    q.bind(1, static_cast<int64_t>(limit));
    while (q.executeStep()) out.push_back(readEntry(q));
  } catch (const std::exception& e) {
    return inboxError(db_, "read", e);
  }
  return out;
}

common::Result<std::optional<InboxEntry>> Inbox::find(const std::string& kind,
                                                      const std::string& ref) {
  try {
    SQLite::Statement q(db_, std::string("SELECT ") + kEntryColumns +
                                 " FROM inbox WHERE kind = ? AND ref = ? ORDER BY verified DESC, "
                                 "id DESC LIMIT 1");
    q.bind(1, kind);
    q.bind(2, ref);
    if (!q.executeStep()) return std::optional<InboxEntry>();
    return std::optional<InboxEntry>(readEntry(q));
  } catch (const std::exception& e) {
    return inboxError(db_, "read", e);
  }
}

common::Result<std::optional<InboxEntry>> Inbox::findInState(const std::string& kind,
                                                             const std::string& ref,
                                                             const std::string& state) {
  try {
    SQLite::Statement q(db_, std::string("SELECT ") + kEntryColumns +
                                 " FROM inbox WHERE kind = ? AND ref = ? AND verified = 1 AND "
                                 "state = ? ORDER BY id LIMIT 1");
    q.bind(1, kind);
    q.bind(2, ref);
    q.bind(3, state);
    if (!q.executeStep()) return std::optional<InboxEntry>();
    return std::optional<InboxEntry>(readEntry(q));
  } catch (const std::exception& e) {
    return inboxError(db_, "read", e);
  }
}

common::Result<std::pair<size_t, size_t>> Inbox::counts(SQLite::Database& db) {
  try {
    SQLite::Statement q(db, "SELECT COUNT(*), COUNT(*) - COUNT(handled_at) FROM inbox");
    q.executeStep();
    return std::pair<size_t, size_t>{static_cast<size_t>(q.getColumn(0).getInt64()),
                                     static_cast<size_t>(q.getColumn(1).getInt64())};
  } catch (const std::exception& e) {
    return common::unavailable("cannot read the inbox in " + db.getFilename() + ": " + e.what());
  }
}

}  // namespace samband::agent
