// See peer_progress.h.
#include "broker/replication/peer_progress.h"

#include <algorithm>

namespace samband::broker {

void PeerProgress::notePull(const std::string& peer, const std::vector<PullHead>& heads,
                            int64_t nowMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  peers_[peer] = Known{heads, nowMs};
  for (const auto& h : heads) {
    uint64_t& seq = committed_[h.keyId];
    seq = std::max(seq, h.seq);
  }
}

uint64_t PeerProgress::committedSeq(const std::string& keyId) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = committed_.find(keyId);
  return it == committed_.end() ? 0 : it->second;
}

std::optional<int64_t> PeerProgress::lastContact() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<int64_t> newest;
  for (const auto& [peer, k] : peers_)
    newest = std::max(newest.value_or(k.lastContact), k.lastContact);
  return newest;
}

std::optional<PeerProgress::Known> PeerProgress::known(const std::string& peer) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = peers_.find(peer);
  if (it == peers_.end()) return std::nullopt;
  return it->second;
}

}  // namespace samband::broker
