// The inbox table.
#include "agent/inbox.h"

#include "agent/database.h"

namespace samband::agent {

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
