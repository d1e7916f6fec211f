// PeerProgress: what this broker knows, in memory, of how far each peer broker has got: the
// chain heads the peer sent with its last pull (a pull names what the peer has committed) and
// when that was. Written by the responder thread, read by the commit thread (PeerAckHold) and
// the status writer. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/replication/pull_protocol.h"

namespace samband::broker {

class PeerProgress {
 public:
  // Records a pull from `peer` at `nowMs`: `heads` replace what was known of it.
  void notePull(const std::string& peer, const std::vector<PullHead>& heads, int64_t nowMs);
  // The highest seq under `keyId` (hex) any peer has committed (0: none known).
  uint64_t committedSeq(const std::string& keyId) const;
  // The newest pull from any peer (nullopt: none since start).
  std::optional<int64_t> lastContact() const;
  // The heads and last contact of one peer (nullopt: not heard from since start).
  struct Known {
    std::vector<PullHead> heads;
    int64_t lastContact = 0;
  };
  std::optional<Known> known(const std::string& peer) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Known> peers_;
  std::unordered_map<std::string, uint64_t> committed_;  // key id -> max seq over peers
};

}  // namespace samband::broker
