// See offline_export.h.
#include "agent/offline_export.h"

#include "agent/database.h"
#include "common/config.h"
#include "common/offline_file.h"

namespace samband::agent {

common::Result<ExportSummary> exportOutbox(const AgentConfig& config, const std::string& outPath,
                                           int64_t wallNowMs) {
  auto db = openAgentDatabase(config.outboxPath, OpenMode::mustExist);
  if (!db) return db.error();
  common::OfflineFile file;
  file.header.provider = config.provider;
  file.header.exportedAtMs = wallNowMs;
  try {
    SQLite::Transaction tx(**db);  // one snapshot: rows and the key they were signed with
    SQLite::Statement c(**db, "SELECT key_id FROM chain WHERE id = 1");
    if (c.executeStep()) file.header.keyIdHex = common::toHex(columnBytes(c.getColumn(0)));
    SQLite::Statement q(**db, "SELECT seq, envelope FROM outbox ORDER BY seq");
    while (q.executeStep()) {
      auto seq = static_cast<uint64_t>(q.getColumn(0).getInt64());
      if (file.envelopes.empty()) file.header.firstSeq = seq;
      file.header.lastSeq = seq;
      file.envelopes.push_back(columnBytes(q.getColumn(1)));
    }
    tx.commit();
  } catch (const std::exception& e) {
    return common::unavailable("cannot read the outbox " + config.outboxPath + ": " + e.what() +
                               " (check that this user may read it)");
  }
  if (file.header.keyIdHex.empty()) {
    if (!file.envelopes.empty()) {
      return common::internalError("the outbox " + config.outboxPath +
                                   " has pending rows but no signing key; please report this");
    }
    file.header.keyIdHex = std::string(16, '0');  // never used to sign: nothing to carry
  }
  auto bytes = common::encodeOfflineFile(file);
  if (!bytes) return bytes.error();
  if (common::Status s = common::writeFileAtomic(outPath, *bytes, 0600); !s) {
    return common::unavailable(s.error().message +
                               "; check that the target (a mounted USB stick?) is writable "
                               "and has room");
  }
  ExportSummary out;
  out.path = outPath;
  out.envelopes = file.envelopes.size();
  out.firstSeq = file.header.firstSeq;
  out.lastSeq = file.header.lastSeq;
  out.bytes = bytes->size();
  out.keyId = file.header.keyIdHex;
  return out;
}

}  // namespace samband::agent
