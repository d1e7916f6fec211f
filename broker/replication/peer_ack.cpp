// See peer_ack.h. Held acks stay in arrival order; each round releases every sendable one (a
// later cumulative ack may go out before an earlier one: the agent keeps the highest).
#include "broker/replication/peer_ack.h"

namespace samband::broker {

PeerAckHold::PeerAckHold(const PeerProgress& progress, const common::Clock& clock,
                         int64_t timeoutMs)
    : progress_(progress), clock_(clock), timeoutMs_(timeoutMs), startedAt_(clock.nowMs()) {}

bool PeerAckHold::peerReachable(int64_t now) const {
  const auto last = progress_.lastContact();
  return now - last.value_or(startedAt_) <= timeoutMs_;
}

bool PeerAckHold::sendable(const Reply& r, int64_t heldAt, int64_t now, bool reachable) const {
  if (r.ackSeq == 0) return true;
  if (!reachable || now - heldAt > timeoutMs_) return true;
  return progress_.committedSeq(r.ackKeyId) >= r.ackSeq;
}

std::vector<Reply> PeerAckHold::hold(std::vector<Reply> replies) {
  const int64_t now = clock_.nowMs();
  const bool reachable = peerReachable(now);
  std::vector<Reply> out;
  out.reserve(replies.size());
  for (auto& r : replies) {
    if (sendable(r, now, now, reachable)) {
      out.push_back(std::move(r));
    } else {
      held_.push_back(Held{std::move(r), now});
    }
  }
  return out;
}

std::vector<Reply> PeerAckHold::due() {
  std::vector<Reply> out;
  if (held_.empty()) return out;
  const int64_t now = clock_.nowMs();
  const bool reachable = peerReachable(now);
  std::deque<Held> kept;
  for (auto& h : held_) {
    if (sendable(h.reply, h.heldAt, now, reachable)) {
      out.push_back(std::move(h.reply));
    } else {
      kept.push_back(std::move(h));
    }
  }
  held_.swap(kept);
  return out;
}

}  // namespace samband::broker
