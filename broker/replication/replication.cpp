// See replication.h.
#include "broker/replication/replication.h"

namespace samband::broker {

namespace {

// Counts held acks for /metrics; the hold itself lives on the commit thread.
class CountingHold : public PeerAckHold {
 public:
  CountingHold(const PeerProgress& progress, const common::Clock& clock, int64_t timeoutMs,
               Metrics& metrics)
      : PeerAckHold(progress, clock, timeoutMs), metrics_(metrics) {}
  std::vector<Reply> hold(std::vector<Reply> replies) override {
    auto out = PeerAckHold::hold(std::move(replies));
    metrics_.replicationAcksHeld = static_cast<int64_t>(held());
    return out;
  }
  std::vector<Reply> due() override {
    auto out = PeerAckHold::due();
    if (!out.empty()) metrics_.replicationAcksHeld = static_cast<int64_t>(held());
    return out;
  }

 private:
  Metrics& metrics_;
};

}  // namespace

Replication::Replication(ReplicationOptions options, const std::string& databasePath,
                         const common::Identity& city, bool checkpoints, const common::Clock& clock,
                         Metrics& metrics)
    : options_(std::move(options)),
      databasePath_(databasePath),
      city_(city),
      checkpoints_(checkpoints),
      clock_(clock),
      metrics_(metrics) {
  if (options_.ack == AckMode::peer && !options_.peers.empty()) {
    hold_ = std::make_unique<CountingHold>(progress_, clock_, options_.peerTimeoutMs, metrics_);
  }
  metrics_.replicationPeers = static_cast<int64_t>(options_.peers.size());
}

Replication::~Replication() { stop(); }

AckHold* Replication::ackHold() { return hold_.get(); }

common::Status Replication::start() {
  if (!options_.listen.empty()) {
    responder_ = std::make_unique<Responder>(context_, options_, databasePath_, city_, clock_,
                                             progress_, metrics_);
    if (auto s = responder_->start(); !s) return s;
  }
  for (const auto& peer : options_.peers) {
    pullers_.push_back(std::make_unique<Puller>(context_, options_, peer, databasePath_, city_,
                                                checkpoints_, clock_, metrics_));
    pullers_.back()->start();
  }
  return {};
}

void Replication::stop() {
  for (auto& p : pullers_) p->stop();
  pullers_.clear();
  if (responder_) responder_->stop();
  responder_.reset();
}

}  // namespace samband::broker
