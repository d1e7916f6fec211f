// ArchiveReplay: the picture rebuilt from the archive alone. Frames are applied in archive
// (frame-id) order to a private in-memory database with the broker's schema, through the same
// store calls the committer's projection makes (broker/ingest/picture_projection.cpp) for unit
// status, capacity and continuity, readiness answers and directive acknowledgements; the city's
// own frames give the checks, the directives and the readiness level, and its signed roster
// records give the providers, keys and units. Its image is what a picture snapshot stores.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "broker/store/archive_store.h"
#include "broker/store/replay_store.h"
#include "broker/store/schema.h"
#include "broker/store/snapshot_store.h"
#include "broker/store/store.h"
#include "broker/store/write_transaction.h"
#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

// The format of the replay database; snapshots of another format are ignored (and remade).
// Raise the first number whenever what apply() writes changes; the schema version is part of
// it, since an image holds the schema it was made with.
inline constexpr int kReplayFormat = 1 * 1000 + kSchemaVersion;

// Readiness checks whose deadline is more than this before the newest check's issue are dropped
// from the replay (their answers would otherwise grow every snapshot all year); the picture
// shows only open checks.
inline constexpr int64_t kReplayKeepChecksMs = 8LL * 24 * 3600 * 1000;

class ArchiveReplay {
 public:
  // An empty replay: the picture before the first frame. Errors: unavailable.
  static common::Result<std::unique_ptr<ArchiveReplay>> create();
  // A replay resumed from a snapshot's image. Errors: invalidInput (not an image of this
  // schema and format), unavailable.
  static common::Result<std::unique_ptr<ArchiveReplay>> fromImage(const common::Bytes& image);
  ~ArchiveReplay();

  // Applies the next archived frame (ids must grow). A frame that does not decode is counted
  // (undecodable()) and changes nothing else: the audit names it. Errors: unavailable.
  common::Status apply(const ReplayFrame& frame);

  int64_t frames() const { return frames_; }              // frames applied, snapshot included
  int64_t lastFrameId() const { return lastFrameId_; }    // 0 before the first
  int64_t receivedUpTo() const { return receivedUpTo_; }  // the latest received_at applied
  int64_t undecodable() const { return undecodable_; }
  // For a replay that did not see every frame before the ones it applies (an inquiry export
  // starts from selected frames): the archive's frame count at this point.
  void setFrames(int64_t n) { frames_ = n; }

  // Each chain's newest frame so far, by (sender, key id hex).
  const std::map<std::pair<std::string, std::string>, ChainHeadRow>& heads() const {
    return heads_;
  }

  // Writes what is kept in memory (chain heads, providers' last frames, counters) into the
  // database, and commits, so store() and image() show every frame applied. Errors:
  // unavailable.
  common::Status seal();
  // seal(), then the database as bytes (a snapshot's image). Errors: unavailable.
  common::Result<common::Bytes> image();
  // The replay database; seal() first. The caller may add labels (ReplayStore::setLabels) and
  // read it with PictureStore, CityStore and the picture's renderers.
  Store& store() { return *store_; }

 private:
  explicit ArchiveReplay(std::unique_ptr<Store> store);
  common::Status load();
  common::Status inTransaction();
  common::Status knowProvider(const std::string& id, int64_t at);
  common::Status ownUnit(const std::string& code, const std::string& provider);

  std::unique_ptr<Store> store_;
  std::unique_ptr<ArchiveStore> archive_;
  std::optional<WriteTransaction> tx_;
  std::map<std::pair<std::string, std::string>, ChainHeadRow> heads_;
  std::map<std::string, int64_t> lastSeen_;
  std::set<std::string> providers_;
  std::map<std::string, std::string> owners_;  // unit code -> provider
  int64_t frames_ = 0, lastFrameId_ = 0, receivedUpTo_ = 0, undecodable_ = 0;
};

}  // namespace samband::broker
