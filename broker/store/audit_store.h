// AuditStore: the reads `samband-broker audit` needs and nothing else uses: every frame in
// archive (frame id) order with all its stored columns, every row of the picture tables as
// text, and the keys table as stored. The audit compares them with what it recomputes from the
// signed bytes alone.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

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

class AuditStore {
 public:
  explicit AuditStore(Store& store) : store_(store) {}

  // Every frame in frame-id order; `visit` sees each in turn. An error ends the walk.
  // Errors: unavailable.
  common::Status forEachFrameById(const std::function<void(const StoredFrame&)>& visit);
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
