// Replies: the answers of one committed batch, in order, with consecutive acks to one connection
// merged into one cumulative ack (an ack covers every earlier seq under that key,
// docs/protocol.md): one CURVE message per agent per commit instead of one per report.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/messages.h"

namespace samband::broker {

struct Reply {
  Reply() = default;
  Reply(std::string route, common::Bytes bytes)
      : routingId(std::move(route)), downlink(std::move(bytes)) {}
  std::string routingId;
  common::Bytes downlink;  // an encoded common::Downlink
  // Set on an ack (ackSeq > 0): the key it acknowledges, so that an AckHold (committer.h) can
  // hold it until a peer broker has committed the frame too.
  std::string ackKeyId;
  uint64_t ackSeq = 0;
};

class Replies {
 public:
  // Appends a reply; an empty routingId (nothing to answer) is dropped. An ack that follows it
  // on the same connection is never merged into one before it.
  void add(const std::string& routingId, common::Bytes downlink);
  // Merged into the connection's previous reply when that is an ack under the same key.
  void ack(const std::string& routingId, const std::string& keyId, uint64_t seq, bool duplicate);
  // The receipt for the head (key id hex, seq) of a committed batch; empty bytes when none.
  using ReceiptSource = std::function<common::Bytes(const std::string& keyId, uint64_t seq)>;
  // The replies in order, acks encoded (a new frame's ack with the receipt `receiptFor` gives,
  // when set); leaves this object empty.
  std::vector<Reply> finish(const ReceiptSource& receiptFor = nullptr);

 private:
  std::vector<Reply> out_;
  struct PendingAck {
    size_t reply;  // index into out_
    std::string keyId;
    common::AckMsg ack;
  };
  std::vector<PendingAck> acks_;                     // encoded by finish()
  std::unordered_map<std::string, size_t> openAck_;  // connection -> index into acks_
};

}  // namespace samband::broker
