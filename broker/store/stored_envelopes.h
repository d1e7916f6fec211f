// StoredEnvelopes: the envelope of an archived frame as every reader has always seen it. Since
// migration 17 a report stored from a batch (issue 16) keeps no body of its own: its `frames`
// row holds an empty envelope and points into its batch (batch_id, batch_idx), and its envelope
// is rebuilt here from the batch frame stored as sent, byte for byte as the committer built it
// before (common::batchMemberEnvelope). Rows stored before migration 17 still hold that envelope
// and are returned as stored. Only broker/store/*.cpp use this; it is part of the SQL layer.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "common/bytes.h"

namespace samband::broker {

// The columns a reader selects next to each other for this: "envelope, batch_id, batch_idx".
inline constexpr const char* kEnvelopeColumns = "envelope, batch_id, batch_idx";

class StoredEnvelopes {
 public:
  // `db` must outlive this object; one thread (the caller's). Keeps the last batch it decoded,
  // so a walk over consecutive reports of one batch reads and decodes that batch once.
  explicit StoredEnvelopes(SQLite::Database& db);
  ~StoredEnvelopes();
  StoredEnvelopes(const StoredEnvelopes&) = delete;
  StoredEnvelopes& operator=(const StoredEnvelopes&) = delete;

  // Writes the envelope of the row whose kEnvelopeColumns start at column `first` of `q` into
  // `out` (its buffer reused). Throws std::runtime_error naming the frame's batch when the row
  // points into a batch the archive does not hold or that has no body at its index (the
  // caller's catch turns it into `unavailable`, as for any failed query).
  void read(SQLite::Statement& q, int first, common::Bytes& out);
  // As read(), but an unresolvable batch link leaves `out` empty and returns false instead of
  // throwing (the audit reports such a frame as undecodable and goes on).
  bool tryRead(SQLite::Statement& q, int first, common::Bytes& out);
  // The envelope of a report at `index` of batch `batchId`, into `out`; false (and `out` empty)
  // when the archive holds no such batch or body.
  bool memberEnvelope(int64_t batchId, int64_t index, common::Bytes& out);

 private:
  bool load(int64_t batchId);

  SQLite::Database& db_;
  std::unique_ptr<SQLite::Statement> batch_;
  int64_t cachedId_ = 0;  // 0: nothing cached
  bool cachedOk_ = false;
  std::vector<common::Bytes> bodies_;
};

}  // namespace samband::broker
