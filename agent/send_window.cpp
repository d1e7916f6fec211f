// The send window's bookkeeping (see send_window.h).
#include "agent/send_window.h"

#include <algorithm>

namespace samband::agent {

void SendWindow::setPending(uint64_t first, uint64_t last) {
  firstPending_ = first;
  lastPending_ = last;
  if (firstPending_ == 0) cursor_ = 0;
  if (cursor_ < firstPending_) cursor_ = firstPending_;
}

void SendWindow::onConnect() {
  connAckedSeq_ = 0;
  sent_.clear();
  cursor_ = 0;
}

void SendWindow::onDisconnect() {
  sent_.clear();
  blocked_ = false;
}

bool SendWindow::restartFromFirstUnacked(int64_t nowMs) {
  ++epoch_;
  bool resend = hasInFlight();
  cursor_ = firstPending_;
  waitingSinceMs_ = nowMs;
  return resend;
}

void SendWindow::beginRound() {
  blocked_ = false;
  if (cursor_ < firstPending_) cursor_ = firstPending_;
}

uint64_t SendWindow::room() const {
  if (firstPending_ == 0 || cursor_ > lastPending_) return 0;
  uint64_t used = cursor_ - firstPending_;
  return used < window_ ? window_ - used : 0;
}

void SendWindow::recordSent(uint64_t seq, int64_t rowId, int64_t nowMs) {
  if (!hasInFlight()) waitingSinceMs_ = nowMs;
  sent_.push_back({seq, rowId, epoch_});
  if (sent_.size() > kMaxSentRecords) sent_.pop_front();
  cursor_ = seq + 1;
}

void SendWindow::onAck(uint64_t seq, int64_t nowMs) {
  if (seq > connAckedSeq_) {
    connAckedSeq_ = seq;
    waitingSinceMs_ = nowMs;
  }
  sent_.erase(std::remove_if(sent_.begin(), sent_.end(),
                             [seq](const SentFrame& f) { return f.seq <= seq; }),
              sent_.end());
}

std::optional<SentFrame> SendWindow::takeSent(uint64_t seq) {
  for (auto it = sent_.begin(); it != sent_.end(); ++it) {
    if (it->seq == seq) {
      SentFrame f = *it;
      sent_.erase(it);
      return f;
    }
  }
  return std::nullopt;
}

}  // namespace samband::agent
