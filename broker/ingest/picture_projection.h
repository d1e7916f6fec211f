// PictureProjection: what an accepted frame changes besides the archive: the current picture
// (unit status, capacity, provider continuity, per mode), a rotated key joining its provider,
// a readiness answer or a directive acknowledgement. Runs inside the committer's transaction.
#pragma once

#include <string>
#include <unordered_map>

#include "broker/ingest/ingress.h"
#include "broker/store/archive_store.h"
#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

class PictureProjection {
 public:
  // `store` and `archive` (over the same connection) must outlive this object.
  PictureProjection(Store& store, ArchiveStore& archive) : store_(store), archive_(archive) {}

  // Applies the accepted frame `f`, archived as `frameId`. Errors: unavailable (the batch must
  // then be rolled back). A unit status is held back until flush(): `f` must stay valid until
  // then.
  common::Status apply(const VerifiedFrame& f, int64_t frameId);
  // Writes the unit statuses held back since the last flush(): per mode and unit only the newest
  // (the highest frame id; an older one would be overwritten within the same transaction
  // anyway, the upsert keeps the newest frame). Call before the transaction commits. Errors:
  // unavailable (roll back).
  common::Status flush();
  // Forgets what is held back (after a rollback).
  void discard() { pendingStatus_.clear(); }

 private:
  struct PendingStatus {
    const VerifiedFrame* frame;
    int64_t frameId;
  };
  Store& store_;
  ArchiveStore& archive_;
  // Unit statuses of the open transaction, by mode name + '/' + unit code.
  std::unordered_map<std::string, PendingStatus> pendingStatus_;
  std::string key_;  // reused buffer: no allocation per report of a unit already held
};

}  // namespace samband::broker
