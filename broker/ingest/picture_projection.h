// PictureProjection: what an accepted frame changes besides the archive: the current picture
// (unit status, capacity, provider continuity, per mode), a rotated key joining its provider,
// a readiness answer or a directive acknowledgement. Runs inside the committer's transaction.
#pragma once

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
  // then be rolled back).
  common::Status apply(const VerifiedFrame& f, int64_t frameId);

 private:
  Store& store_;
  ArchiveStore& archive_;
};

}  // namespace samband::broker
