// PictureReplay: rebuilds the current picture (unit status, capacity, continuity per mode) from
// the archive alone, by feeding every frame in archive order through the same store calls the
// committer's projection makes (broker/ingest/picture_projection.cpp: keep the two in step), into
// a private in-memory database; then lists how the stored picture differs from it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "broker/store/archive_store.h"
#include "broker/store/store.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::broker {

class PictureReplay {
 public:
  // Errors: unavailable (the in-memory database cannot be made).
  static common::Result<std::unique_ptr<PictureReplay>> create();

  // Applies one accepted frame (decoded from the archive) as the committer did.
  common::Status apply(const common::Message& m, int64_t frameId, int64_t receivedAt);
  // One sentence per row that differs between `stored` and the replay (missing, extra, or
  // which columns differ); at most `limit` sentences, `count` gets the total.
  common::Result<std::vector<std::string>> differences(Store& stored, size_t limit, int64_t& count);

 private:
  explicit PictureReplay(std::unique_ptr<Store> store);
  std::unique_ptr<Store> store_;
  std::unique_ptr<ArchiveStore> archive_;
};

}  // namespace samband::broker
