// SendWindow: the agent's record of which outbox rows are on the wire and which to send next
// (docs/protocol.md, "Agent behaviour"): at most `window` unacknowledged rows, sent in seq order
// from a cursor that restarts at the first unacknowledged row after a reconnect, an ack timeout
// or a realign. Pure bookkeeping: no sockets, no SQLite; AgentSession does the sending.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace samband::agent {

// One outbox row put on the wire and not yet answered.
struct SentFrame {
  uint64_t seq;
  int64_t rowId;   // outbox row id: names the content, which keeps it when a realign moves seqs
  uint64_t epoch;  // the send round it went out in
};

// Not thread-safe; owned by one AgentSession. Times are monotonic milliseconds.
class SendWindow {
 public:
  // At most this many frames of the round are remembered for telling rejects apart.
  static constexpr size_t kMaxSentRecords = 4096;

  // `window` >= 1: unacknowledged rows on the wire at most ([link] window).
  explicit SendWindow(uint64_t window) : window_(window) {}

  // The outbox's pending rows: contiguous seqs first..last, (0, 0) when none. Keeps the cursor
  // inside the range (a realign may have moved seqs down; nothing pending means nothing sent).
  void setPending(uint64_t first, uint64_t last);
  uint64_t firstPending() const { return firstPending_; }
  uint64_t pendingCount() const {
    return firstPending_ == 0 ? 0 : lastPending_ - firstPending_ + 1;
  }
  // True when rows of this round are on the wire without an ack.
  bool hasInFlight() const { return firstPending_ != 0 && cursor_ > firstPending_; }
  uint64_t epoch() const { return epoch_; }

  // A new connection: nothing is on the wire and nothing was acknowledged on it yet.
  void onConnect();
  // The connection is gone: no frame on the wire will be answered; nothing is blocked.
  void onDisconnect();
  // Starts a new send round from the first unacknowledged row. Returns true when rows were in
  // flight (a resend rather than a first send).
  bool restartFromFirstUnacked(int64_t nowMs);

  // Sending: beginRound() once, then while room() > 0 send rows from cursor() and record each.
  void beginRound();
  uint64_t cursor() const { return cursor_; }
  // How many rows from cursor() may go on the wire now (0: window full or nothing left).
  uint64_t room() const;
  void recordSent(uint64_t seq, int64_t rowId, int64_t nowMs);
  // The socket refused a frame at its high-water mark: try again at the next timer.
  void setBlocked(bool blocked) { blocked_ = blocked; }
  bool isBlocked() const { return blocked_; }

  // An ack for `seq` covers every earlier seq; it restarts the ack timeout when it is news.
  void onAck(uint64_t seq, int64_t nowMs);
  // A broker head below an ack already seen on this connection is older news.
  bool isOlderThanAcked(uint64_t headSeq) const { return headSeq < connAckedSeq_; }
  // Removes and returns the record of the frame sent with `seq`, if it is still on record.
  std::optional<SentFrame> takeSent(uint64_t seq);
  // Forgets every frame on record (their answers, if any come, are no longer tied to rows).
  void forgetSent() { sent_.clear(); }

  // True when rows are in flight and no ack arrived for `timeoutMs`.
  bool isAckOverdue(int64_t nowMs, int64_t timeoutMs) const {
    return hasInFlight() && nowMs - waitingSinceMs_ >= timeoutMs;
  }
  int64_t ackDeadlineMs(int64_t timeoutMs) const { return waitingSinceMs_ + timeoutMs; }

 private:
  uint64_t window_;
  uint64_t firstPending_ = 0;
  uint64_t lastPending_ = 0;
  uint64_t cursor_ = 0;  // next seq to put on the wire in this round
  uint64_t epoch_ = 0;   // bumped whenever sending restarts from the first unacknowledged row
  std::deque<SentFrame> sent_;  // frames on the wire without a reply, oldest first
  int64_t waitingSinceMs_ = 0;  // start of the current wait for an ack (ack timeout)
  bool blocked_ = false;
  uint64_t connAckedSeq_ = 0;  // highest ack seen on this connection
};

}  // namespace samband::agent
