// See audit_store.h. Read-only queries; the picture tables are read column by column with their
// names, so a column added later is compared without touching this file.
#include "broker/store/audit_store.h"

#include <SQLiteCpp/Statement.h>

#include "broker/store/stored_envelopes.h"

namespace samband::broker {

namespace {

common::Bytes blob(const SQLite::Column& c) {
  auto* p = static_cast<const uint8_t*>(c.getBlob());
  return common::Bytes(p, p + c.getBytes());
}

// Copies a column into `out`, reusing its buffer (no allocation once it is large enough).
void assignText(const SQLite::Column& c, std::string& out) {
  const char* p = c.getText();
  out.assign(p, static_cast<size_t>(c.getBytes()));
}
void assignBlob(const SQLite::Column& c, common::Bytes& out) {
  auto* p = static_cast<const uint8_t*>(c.getBlob());
  out.assign(p, p + c.getBytes());
}

// One row of the frame columns (in kFrameColumns' order) into `f`, reusing its buffers. The
// envelope as before migration 17: a batched report's is rebuilt from its batch (read once
// per run of its reports); a link to a batch the archive lacks leaves it empty, which the
// audit reports as an envelope that does not decode.
void readFrameRow(SQLite::Statement& q, StoredEnvelopes& envelopes, StoredFrame& f) {
  f.id = q.getColumn(0).getInt64();
  assignText(q.getColumn(1), f.sender);
  assignText(q.getColumn(2), f.keyId);
  f.seq = static_cast<uint64_t>(q.getColumn(3).getInt64());
  assignText(q.getColumn(4), f.kind);
  assignText(q.getColumn(5), f.mode);
  f.sentAt = q.getColumn(6).getInt64();
  f.receivedAt = q.getColumn(7).getInt64();
  assignBlob(q.getColumn(8), f.bodyHash);
  envelopes.tryRead(q, 9, f.envelope);
}

struct TableKey {
  const char* table;
  std::vector<std::string> key;  // primary-key columns
};

const std::vector<TableKey>& pictureTables() {
  static const std::vector<TableKey> tables = {
      {"unit_status", {"mode", "code"}},
      {"capacity", {"mode", "code", "form", "year"}},
      {"capacity_reports", {"mode", "code"}},
      {"continuity", {"mode", "provider_id"}},
  };
  return tables;
}

}  // namespace

const std::vector<std::string>& pictureTableNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& t : pictureTables()) out.emplace_back(t.table);
    return out;
  }();
  return names;
}

namespace {

constexpr const char* kFrameColumns =
    "SELECT id, sender, key_id, seq, kind, mode, sent_at, received_at, body_hash, envelope, "
    "batch_id, batch_idx FROM frames";

}  // namespace

common::Status AuditStore::forEachFrameById(const std::function<void(const StoredFrame&)>& visit) {
  try {
    SQLite::Statement q(store_.db(), std::string(kFrameColumns) + " ORDER BY id");
    StoredEnvelopes envelopes(store_.db());
    StoredFrame f;
    while (q.executeStep()) {
      readFrameRow(q, envelopes, f);
      visit(f);
    }
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
  return {};
}

FrameCursor::FrameCursor(Store& store) : store_(store) {}

FrameCursor::~FrameCursor() = default;

bool FrameCursor::next(StoredFrame& into) {
  if (finished_) return false;
  try {
    if (!query_) {
      query_ = std::make_unique<SQLite::Statement>(store_.db(),
                                                   std::string(kFrameColumns) + " ORDER BY id");
      envelopes_ = std::make_unique<StoredEnvelopes>(store_.db());
    }
    if (query_->executeStep()) {
      readFrameRow(*query_, *envelopes_, into);
      return true;
    }
  } catch (const std::exception& e) {
    error_ = common::unavailable(e.what());
  }
  finished_ = true;
  query_.reset();
  envelopes_.reset();
  return false;
}

common::Status AuditStore::forEachFrameOfKind(
    const std::vector<std::string>& kinds, const std::function<void(const StoredFrame&)>& visit) {
  if (kinds.empty()) return {};
  try {
    std::string sql = std::string(kFrameColumns) + " WHERE kind IN (?";
    for (size_t i = 1; i < kinds.size(); i++) sql += ",?";
    sql += ") ORDER BY id";
    SQLite::Statement q(store_.db(), sql);
    for (size_t i = 0; i < kinds.size(); i++) q.bind(static_cast<int>(i + 1), kinds[i]);
    StoredEnvelopes envelopes(store_.db());
    StoredFrame f;
    while (q.executeStep()) {
      readFrameRow(q, envelopes, f);
      visit(f);
    }
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
  return {};
}

common::Result<int64_t> AuditStore::maxFrameId() {
  try {
    SQLite::Statement q(store_.db(), "SELECT coalesce(max(id), 0) FROM frames");
    q.executeStep();
    return q.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
}

common::Result<std::vector<StoredKey>> AuditStore::keys() {
  std::vector<StoredKey> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT key_id, provider_id, sign_public, curve_public, revoked_at FROM "
                        "keys ORDER BY key_id");
    while (q.executeStep()) {
      StoredKey k;
      k.keyId = q.getColumn(0).getString();
      k.providerId = q.getColumn(1).getString();
      k.signPublic = blob(q.getColumn(2));
      k.curvePublic = blob(q.getColumn(3));
      if (!q.getColumn(4).isNull()) k.revokedAt = q.getColumn(4).getInt64();
      out.push_back(std::move(k));
    }
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
  return out;
}

common::Result<PictureTables> AuditStore::pictureTables() {
  PictureTables out;
  try {
    for (const auto& t : broker::pictureTables()) {
      TableRows& rows = out.tables[t.table];
      // Table names come from the fixed list above, never from input.
      SQLite::Statement q(store_.db(), std::string("SELECT * FROM ") + t.table);
      while (q.executeStep()) {
        std::string key;
        TableRow row;
        for (int c = 0; c < q.getColumnCount(); ++c) {
          std::string name = q.getColumnName(c);
          auto col = q.getColumn(c);
          std::string value = col.isNull()   ? "NULL"
                              : col.isBlob() ? common::toHex(blob(col))
                                             : col.getString();
          row.emplace_back(name, value);
          for (const auto& k : t.key) {
            if (k == name) key += (key.empty() ? "" : "/") + value;
          }
        }
        rows[key] = row;
      }
    }
  } catch (const std::exception& e) {
    return common::unavailable(e.what());
  }
  return out;
}

}  // namespace samband::broker
