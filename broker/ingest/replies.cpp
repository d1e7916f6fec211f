// See replies.h.
#include "broker/ingest/replies.h"

#include "common/codec.h"

namespace samband::broker {

void Replies::add(const std::string& routingId, common::Bytes downlink) {
  if (routingId.empty()) return;
  openAck_.erase(routingId);  // an ack after this reply must not move in front of it
  out_.push_back({routingId, std::move(downlink)});
}

void Replies::ack(const std::string& routingId, const std::string& keyId, uint64_t seq,
                  bool duplicate) {
  if (routingId.empty()) return;
  auto open = openAck_.find(routingId);
  // An ack's seq is read under the agent's current key; during a key rotation one connection
  // carries two chains, whose acks must stay apart.
  if (open != openAck_.end() && acks_[open->second].keyId == keyId) {
    common::AckMsg& merged = acks_[open->second].ack;
    if (seq >= merged.seq) merged = common::AckMsg{seq, duplicate, {}};
    return;
  }
  openAck_[routingId] = acks_.size();
  acks_.push_back({out_.size(), keyId, common::AckMsg{seq, duplicate, {}}});
  out_.push_back({routingId, {}});
}

std::vector<Reply> Replies::finish(const ReceiptSource& receiptFor) {
  for (auto& pending : acks_) {
    if (receiptFor && !pending.ack.duplicate) {
      pending.ack.receipt = receiptFor(pending.keyId, pending.ack.seq);
    }
    out_[pending.reply].downlink = common::encodeDownlink(pending.ack);
    out_[pending.reply].ackKeyId = pending.keyId;
    out_[pending.reply].ackSeq = pending.ack.seq;
  }
  acks_.clear();
  openAck_.clear();
  return std::move(out_);
}

}  // namespace samband::broker
