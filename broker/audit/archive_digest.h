// ArchiveDigest: one fingerprint of a broker's archive that two brokers of a city compare after
// replication (`samband-broker audit --json`, key "archive_digest"; docs/replication.md). It
// covers every stored frame by (sender, key id, seq, body hash) in that order, so it does not
// depend on the order in which frames arrived, on receive times or on local row ids: two
// brokers holding the same signed frames print the same digest. Checkpoints, heartbeats and
// counters are each broker's own and not covered.
#pragma once

#include <cstdint>
#include <string>

#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

struct DigestPart {
  uint64_t frames = 0;
  uint64_t chains = 0;
  std::string sha256;  // hex of SHA-256 over the frames' links, as documented
};

struct ArchiveDigest {
  DigestPart all;        // every frame
  DigestPart providers;  // the providers' chains only (without the city's own chains)
};

// Reads the archive once. Errors: unavailable.
common::Result<ArchiveDigest> archiveDigest(Store& store);

}  // namespace samband::broker
