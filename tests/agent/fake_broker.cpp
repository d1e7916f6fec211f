// See fake_broker.h.
#include "tests/agent/fake_broker.h"

#include <chrono>

#include "common/batch_envelope.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/signing.h"

namespace samband::agent::test {

namespace {

std::string unitOf(const common::Payload& p) {
  if (auto* s = std::get_if<common::UnitStatusMsg>(&p)) return s->unitCode;
  if (auto* c = std::get_if<common::CapacityMsg>(&p)) return c->unitCode;
  return "";
}

}  // namespace

FakeBroker::FakeBroker(const common::Identity& city, const std::string& bindEndpoint)
    : city_(city),
      context_(1),
      zap_(context_, zmq::socket_type::rep),
      router_(context_, zmq::socket_type::router) {
  zap_.set(zmq::sockopt::linger, 0);
  zap_.bind("inproc://zeromq.zap.01");
  router_.set(zmq::sockopt::linger, 0);
  router_.set(zmq::sockopt::curve_server, 1);
  router_.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(city.curveSecret(), 32));
  router_.set(zmq::sockopt::maxmsgsize, int64_t{1024 * 1024});
  router_.bind(bindEndpoint);
  endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  serveThread_ = std::thread([this] { serve(); });
  zapThread_ = std::thread([this] { serveZap(); });
}

FakeBroker::~FakeBroker() {
  stop_ = true;
  serveThread_.join();
  zapThread_.join();
  router_.close();
  zap_.close();
  context_.close();
}

void FakeBroker::allow(const common::PublicIdentity& agent) {
  std::lock_guard<std::mutex> lock(mutex_);
  allowedByCurve_[common::toHex(agent.curvePublic.data(), 32)] = agent;
}

void FakeBroker::setRefuseBatches(bool refuse) {
  std::lock_guard<std::mutex> lock(mutex_);
  refuseBatches_ = refuse;
}

size_t FakeBroker::batchesReceived() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return batches_;
}

void FakeBroker::setDropAcks(bool drop) {
  std::lock_guard<std::mutex> lock(mutex_);
  dropAcks_ = drop;
}

void FakeBroker::setHead(uint64_t seq, const common::Bytes& hash) {
  std::lock_guard<std::mutex> lock(mutex_);
  head_ = seq;
  headHash_ = hash;
}

void FakeBroker::setBeacon(const common::Bytes& envelope) {
  std::lock_guard<std::mutex> lock(mutex_);
  beacon_ = envelope;
}

void FakeBroker::refuseUnit(const std::string& unit) {
  std::lock_guard<std::mutex> lock(mutex_);
  refusedUnits_.insert(unit);
}

void FakeBroker::sendCity(const common::Bytes& envelope) {
  sendDownlink(common::CityEnvelopeMsg{envelope});
}

void FakeBroker::sendDownlink(const common::Downlink& downlink) {
  std::lock_guard<std::mutex> lock(mutex_);
  cityQueue_.push_back(downlink);
}

std::vector<FakeBroker::Frame> FakeBroker::stored() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return storedOrder_;
}

std::vector<uint64_t> FakeBroker::arrivals() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return arrivals_;
}

size_t FakeBroker::heartbeats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return heartbeatTimes_.size();
}

bool FakeBroker::heartbeatsStrictlyIncreasing() const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = 1; i < heartbeatCounters_.size(); ++i) {
    if (heartbeatCounters_[i] <= heartbeatCounters_[i - 1]) return false;
  }
  return heartbeatCounters_.empty() || heartbeatCounters_[0] > 0;
}

uint64_t FakeBroker::headSeq() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return head_;
}

size_t FakeBroker::zapRefusals() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return zapRefusals_;
}

size_t FakeBroker::rejectsSent() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rejects_;
}

void FakeBroker::serveZap() {
  while (!stop_) {
    zmq::pollitem_t item{zap_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(5));
    if (!(item.revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> parts;
    while (true) {
      zmq::message_t part;
      if (!zap_.recv(part)) break;
      bool more = part.more();
      parts.push_back(std::move(part));
      if (!more) break;
    }
    // version, request id, domain, address, identity, mechanism, credentials...
    bool ok = false;
    std::string userId;
    if (parts.size() >= 7 && parts[5].to_string() == "CURVE" && parts[6].size() == 32) {
      std::string key = common::toHex(static_cast<const uint8_t*>(parts[6].data()), 32);
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = allowedByCurve_.find(key);
      ok = it != allowedByCurve_.end();
      if (ok) userId = it->second.id;
      if (!ok) ++zapRefusals_;
    }
    std::string requestId = parts.size() > 1 ? parts[1].to_string() : "";
    zap_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    zap_.send(zmq::buffer(requestId), zmq::send_flags::sndmore);
    zap_.send(zmq::buffer(std::string(ok ? "200" : "400")), zmq::send_flags::sndmore);
    zap_.send(zmq::buffer(std::string(ok ? "OK" : "not enrolled")), zmq::send_flags::sndmore);
    zap_.send(zmq::buffer(userId), zmq::send_flags::sndmore);
    zap_.send(zmq::str_buffer(""), zmq::send_flags::none);
  }
}

void FakeBroker::serve() {
  while (!stop_) {
    zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(5));
    if (item.revents & ZMQ_POLLIN) {
      zmq::message_t id, frame;
      if (router_.recv(id, zmq::recv_flags::dontwait) && id.more() &&
          router_.recv(frame, zmq::recv_flags::dontwait)) {
        handle(id, frame);
      }
    }
    std::vector<common::Downlink> city;
    std::string peer;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!lastPeer_.empty()) city.swap(cityQueue_);
      peer = lastPeer_;
    }
    for (auto& downlink : city) {
      zmq::message_t id(peer.data(), peer.size());
      reply(id, downlink);
    }
  }
}

void FakeBroker::reply(const zmq::message_t& routingId, const common::Downlink& downlink) {
  common::Bytes bytes = common::encodeDownlink(downlink);
  router_.send(zmq::buffer(routingId.data(), routingId.size()), zmq::send_flags::sndmore);
  router_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
}

void FakeBroker::handle(const zmq::message_t& routingId, const zmq::message_t& frame) {
  const auto* data = static_cast<const uint8_t*>(frame.data());
  if (common::isBatchFrame(data, frame.size())) {
    // Issue 16: a broker older than batches refuses the frame as malformed, without a seq.
    auto batch = common::decodeBatch(data, frame.size());
    bool refuse;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      refuse = refuseBatches_ || !batch;
      if (!refuse) ++batches_;
    }
    if (refuse) {
      reply(routingId, common::RejectMsg{0, common::RejectReason::MALFORMED, 0, {}, "batch"});
      return;
    }
    for (const auto& b : batch->bodies) {
      auto body = common::decodeBody(b);
      if (!body) {
        reply(routingId, common::RejectMsg{0, common::RejectReason::MALFORMED, 0, {}, "body"});
        return;
      }
      handleBody(routingId, b, *body, [&](const common::PublicIdentity& sender) {
        return common::verifyBatch(sender.signPublic, batch->bodies, batch->signature);
      });
    }
    return;
  }
  auto parts = common::decodeEnvelope(data, frame.size());
  if (!parts) {
    reply(routingId, common::RejectMsg{0, common::RejectReason::MALFORMED, 0, {}, "envelope"});
    return;
  }
  auto body = common::decodeBody(parts->body);
  if (!body) {
    reply(routingId, common::RejectMsg{0, common::RejectReason::MALFORMED, 0, {}, "body"});
    return;
  }
  handleBody(routingId, parts->body, *body, [&](const common::PublicIdentity& sender) {
    return common::verifyBody(sender.signPublic, parts->body, parts->signature);
  });
}

void FakeBroker::handleBody(const zmq::message_t& routingId, const common::Bytes& bodyBytes,
                            const common::Message& message,
                            const std::function<bool(const common::PublicIdentity&)>& verified) {
  const common::Message* body = &message;
  std::unique_lock<std::mutex> lock(mutex_);
  lastPeer_.assign(static_cast<const char*>(routingId.data()), routingId.size());
  const common::PublicIdentity* sender = nullptr;
  for (const auto& [key, agent] : allowedByCurve_) {
    if (agent.id == body->senderId && agent.keyId() == body->keyId) sender = &agent;
  }
  auto refuse = [&](common::RejectReason reason, const std::string& detail) {
    ++rejects_;
    common::RejectMsg r{body->seq, reason, head_, headHash_, detail};
    lock.unlock();
    reply(routingId, r);
  };
  if (sender == nullptr) return refuse(common::RejectReason::UNKNOWN_SENDER, "");
  if (!verified(*sender)) return refuse(common::RejectReason::BAD_SIGNATURE, "");
  if (body->isHeartbeat()) {
    heartbeatTimes_.push_back(body->sentAt);
    heartbeatCounters_.push_back(std::get<common::HeartbeatMsg>(body->payload).counter);
    common::HeadMsg h{head_, headHash_, common::SystemClock().nowMs(), beacon_};
    lock.unlock();
    reply(routingId, h);
    return;
  }
  arrivals_.push_back(body->seq);
  Frame f{body->seq, common::payloadKindName(body->payload), unitOf(body->payload), body->sentAt,
          bodyBytes};
  if (!f.unit.empty() && refusedUnits_.count(f.unit) != 0) {
    return refuse(common::RejectReason::UNIT_NOT_OWNED, "unit " + f.unit);
  }
  if (body->seq <= head_) {
    auto it = chain_.find(body->seq);
    if (it != chain_.end() && it->second.body == bodyBytes) {
      bool drop = dropAcks_;
      lock.unlock();
      if (!drop) reply(routingId, common::AckMsg{body->seq, true, {}});
      return;
    }
    return refuse(common::RejectReason::REPLAY, "");
  }
  common::Bytes expectedPrev = head_ == 0 ? common::Bytes() : headHash_;
  if (body->seq != head_ + 1 || body->prevHash != expectedPrev) {
    return refuse(common::RejectReason::OUT_OF_ORDER, "");
  }
  head_ = body->seq;
  headHash_ = common::hash256(bodyBytes);
  chain_[f.seq] = f;
  storedOrder_.push_back(f);
  bool drop = dropAcks_;
  lock.unlock();
  if (!drop) reply(routingId, common::AckMsg{body->seq, false, {}});
}

}  // namespace samband::agent::test
