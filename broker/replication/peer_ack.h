// PeerAckHold: `[replication] ack = "peer"`. The commit thread passes each batch's replies
// through it (the AckHold hook of broker/ingest/committer.h); an ack goes out once a peer's
// pull shows it has committed that frame too, so an acknowledged report survives the loss of
// this broker. When no peer has pulled for longer than the peer timeout (or a held ack has
// waited that long), acks go out on the local commit alone: a dead standby must not stop the
// city from hearing its schools.
#pragma once

#include <cstdint>
#include <deque>

#include "broker/ingest/committer.h"
#include "broker/replication/peer_progress.h"
#include "common/clock.h"

namespace samband::broker {

class PeerAckHold : public AckHold {
 public:
  // `progress` and `clock` must outlive this object. Until a peer's first pull, the peer
  // counts as reachable for `timeoutMs` after construction.
  PeerAckHold(const PeerProgress& progress, const common::Clock& clock, int64_t timeoutMs);

  std::vector<Reply> hold(std::vector<Reply> replies) override;
  std::vector<Reply> due() override;
  // Acks held now (commit thread).
  size_t held() const { return held_.size(); }

 private:
  bool peerReachable(int64_t now) const;
  bool sendable(const Reply& r, int64_t heldAt, int64_t now, bool reachable) const;

  const PeerProgress& progress_;
  const common::Clock& clock_;
  int64_t timeoutMs_;
  int64_t startedAt_;
  struct Held {
    Reply reply;
    int64_t heldAt;
  };
  std::deque<Held> held_;
};

}  // namespace samband::broker
