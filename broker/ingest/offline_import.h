// OfflineImport: `samband-broker import` — the envelopes of an offline file (common/offline_file.h)
// go through the same gate (Ingress, channel `file`) and the same batch commit (Committer) as
// network frames, so a file changes nothing that the network could not have changed. Works with
// `serve` running (its own SQLite connection, WAL; the serving committer notices the new frames
// through PRAGMA data_version) or stopped.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "broker/ingest/roster_cache.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/offline_file.h"
#include "common/result.h"

namespace samband::broker {

struct ImportSummary {
  std::string file;
  common::OfflineFileHeader header;  // as the file claims it (unsigned)
  size_t envelopes = 0;
  size_t accepted = 0;    // stored in the archive now
  size_t duplicates = 0;  // already stored (identical bytes): re-acknowledged, not stored twice
  std::map<std::string, size_t> refused;  // reject reason name -> count

  size_t refusedTotal() const;
  std::string toJson() const;
  std::string toText() const;
};

class OfflineImport {
 public:
  // `store` (read-write), `roster` and `clock` must outlive this object; one thread.
  // With `city`, each batch ends with the city's signed checkpoint (as in `serve`).
  OfflineImport(Store& store, RosterCache& roster, const common::Clock& clock,
                const common::Identity* city = nullptr);
  OfflineImport(const OfflineImport&) = delete;
  OfflineImport& operator=(const OfflineImport&) = delete;

  // Reads `path` (at most kMaxOfflineFileBytes) and imports it. A file that cannot be read or is
  // not a well-formed offline file is refused as a whole (invalidInput; nothing imported). If a
  // batch cannot be committed (database locked longer than the busy timeout, disk full), the
  // earlier batches stay stored and the error (unavailable) says to run the import again: what
  // was stored then counts as duplicate. Refused envelopes are not an error here; they are
  // counted in the summary and, as for network frames, in the database's rejection counters.
  common::Result<ImportSummary> importFile(const std::string& path);

 private:
  Store& store_;
  RosterCache& roster_;
  const common::Clock& clock_;
  const common::Identity* city_;
};

}  // namespace samband::broker
