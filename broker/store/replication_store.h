// ReplicationStore: the archive queries a standby broker needs (broker/replication): every
// chain's head, a chain's frames after a seq, and the local record of each peer broker (its
// heads at its last pull, how far behind it is, when it was last heard from). Only SQL here.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/result.h"

namespace samband::broker {

// The newest stored seq of one chain (sender, key id hex).
struct ChainTip {
  std::string sender;
  std::string keyId;
  uint64_t seq = 0;
};

// What this broker knows of one peer broker.
struct PeerRecord {
  std::string peer;
  std::optional<int64_t> behindFrames;
  std::optional<int64_t> lastContact;  // broker clock, ms
  std::string headsJson = "[]";
};

class ReplicationStore {
 public:
  // `store` must outlive this object; one thread (the store's). Errors: unavailable.
  explicit ReplicationStore(Store& store);
  ReplicationStore(const ReplicationStore&) = delete;
  ReplicationStore& operator=(const ReplicationStore&) = delete;
  ~ReplicationStore();

  // Every chain in the archive with its head seq, sorted by sender and key.
  common::Result<std::vector<ChainTip>> chainTips();
  // The signed frames of the chain stored after `afterSeq`, in seq order, at most `limit` of
  // them and at most `maxBytes` in total (always at least one when there is one). A report that
  // arrived in a batch envelope (issue 16) is served as that batch, exactly as its sender signed
  // it, once for all its reports here: its row's own envelope carries no signature of its own.
  // The batch may hold reports at or below `afterSeq`; the receiver re-acknowledges those.
  common::Result<std::vector<common::Bytes>> envelopesAfter(const std::string& sender,
                                                            const std::string& keyId,
                                                            uint64_t afterSeq, size_t limit,
                                                            size_t maxBytes);
  // Every frame's (sender, key id, seq, body hash), ordered by sender, key id and seq: the same
  // order on every broker whatever order the frames arrived in. An error ends the walk.
  common::Status forEachLink(
      const std::function<void(const std::string& sender, const std::string& keyId, uint64_t seq,
                               const common::Bytes& bodyHash)>& visit);
  // Replaces the record of `record.peer`.
  common::Status savePeer(const PeerRecord& record);
  // Every peer record, by name.
  common::Result<std::vector<PeerRecord>> peers();

 private:
  Store& store_;
  std::unique_ptr<SQLite::Statement> after_;
  std::unique_ptr<SQLite::Statement> batch_;
};

}  // namespace samband::broker
