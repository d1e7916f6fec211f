// AuditStore: the reads `samband-broker audit` needs and nothing else uses: every frame in
// archive (frame id) order with all its stored columns, every row of the picture tables as
// text, and the keys table as stored. The audit compares them with what it recomputes from the
// signed bytes alone.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/result.h"

namespace SQLite {
class Statement;
}

namespace samband::broker {

class StoredEnvelopes;

// One archived frame with every column as stored (none of them is believed by the audit).
struct StoredFrame {
  int64_t id = 0;
  std::string sender;
  std::string keyId;  // hex
  uint64_t seq = 0;
  std::string kind;
  std::string mode;
  int64_t sentAt = 0;
  int64_t receivedAt = 0;
  common::Bytes bodyHash;
  // As it was stored before migration 17: for a report stored from a batch since then, rebuilt
  // from the batch (body + zero signature); empty when its batch is not in the archive.
  common::Bytes envelope;
};

// A key row as stored in `keys`.
struct StoredKey {
  std::string keyId;  // hex
  std::string providerId;
  common::Bytes signPublic;
  common::Bytes curvePublic;
  std::optional<int64_t> revokedAt;
};

// The picture tables, each row as (column, value as text) pairs and keyed by its primary key
// ("actual/12345678" and so on), so two databases can be compared row by row.
using TableRow = std::vector<std::pair<std::string, std::string>>;
using TableRows = std::map<std::string, TableRow>;
struct PictureTables {
  std::map<std::string, TableRows> tables;  // table name -> rows
};

// Names of the tables the picture projection writes, compared by the audit.
const std::vector<std::string>& pictureTableNames();

// Every frame in frame-id order, one at a time, each read into a StoredFrame the caller owns
// and reuses: a walk over millions of frames allocates nothing once the caller's buffers are
// large enough (the audit's walk). Not thread-safe; the Store must outlive it.
class FrameCursor {
 public:
  explicit FrameCursor(Store& store);
  ~FrameCursor();
  FrameCursor(const FrameCursor&) = delete;
  FrameCursor& operator=(const FrameCursor&) = delete;

  // Reads the next frame into `into` (every field overwritten). False at the end of the archive
  // or after an error; error() then says which.
  bool next(StoredFrame& into);
  // Why the walk ended early (unavailable), or nullopt.
  const std::optional<common::Error>& error() const { return error_; }

 private:
  Store& store_;
  std::unique_ptr<SQLite::Statement> query_;
  std::unique_ptr<StoredEnvelopes> envelopes_;
  bool finished_ = false;
  std::optional<common::Error> error_;
};

class AuditStore {
 public:
  explicit AuditStore(Store& store) : store_(store) {}

  // Every frame in frame-id order; `visit` sees each in turn. An error ends the walk.
  // Errors: unavailable.
  common::Status forEachFrameById(const std::function<void(const StoredFrame&)>& visit);
  // The frames whose stored `kind` column is one of `kinds`, in frame-id order: one pass over the
  // table that reads the columns (and copies the bytes) of the matching rows only. The column is
  // not proof: a caller must still check every frame's kind against its signed body (the audit's
  // walk does). Errors: unavailable.
  common::Status forEachFrameOfKind(const std::vector<std::string>& kinds,
                                    const std::function<void(const StoredFrame&)>& visit);
  // The highest frame id, 0 for an empty archive (the audit's progress). Errors: unavailable.
  common::Result<int64_t> maxFrameId();
  // Every row of `keys`. Errors: unavailable.
  common::Result<std::vector<StoredKey>> keys();
  // Every row of the picture tables (pictureTableNames()). Errors: unavailable.
  common::Result<PictureTables> pictureTables();

 private:
  Store& store_;
};

}  // namespace samband::broker
