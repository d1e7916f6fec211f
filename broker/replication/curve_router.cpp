// See curve_router.h.
#include "broker/replication/curve_router.h"

#include <array>
#include <vector>
#include <zmq_addon.hpp>

#include "common/clock.h"
#include "common/log.h"

namespace samband::broker {

namespace {

constexpr int64_t kRefusalLogEveryMs = 10'000;

std::string toString(const zmq::message_t& m) {
  return std::string(static_cast<const char*>(m.data()), m.size());
}

}  // namespace

std::string zapUserId(zmq::message_t& part) {
  const char* user = part.gets("User-Id");
  return user != nullptr ? user : "";
}

CurveRouter::CurveRouter(zmq::context_t& context, CurveRouterOptions options,
                         const uint8_t* serverSecret, Admit admit)
    : context_(context),
      options_(std::move(options)),
      serverSecret_(serverSecret),
      admit_(std::move(admit)) {}

CurveRouter::~CurveRouter() { stop(); }

common::Status CurveRouter::bind() {
  zap_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::rep);
  zap_->set(zmq::sockopt::linger, 0);
  try {
    zap_->bind("inproc://zeromq.zap.01");
  } catch (const zmq::error_t& e) {
    return common::internalError(std::string("cannot start the ZAP handler for ") + options_.what +
                                 ": " + e.what());
  }
  router_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::router);
  router_->set(zmq::sockopt::linger, 0);
  router_->set(zmq::sockopt::curve_server, 1);
  router_->set(zmq::sockopt::curve_secretkey, zmq::const_buffer(serverSecret_, 32));
  router_->set(zmq::sockopt::zap_domain, options_.zapDomain);
  router_->set(zmq::sockopt::maxmsgsize, options_.maxMessageBytes);
  try {
    router_->bind(options_.listen);
  } catch (const zmq::error_t& e) {
    return common::unavailable("cannot listen for " + options_.what + " on " + options_.listen +
                               ": " + e.what() + " (change " + options_.listenKey + ")");
  }
  endpoint_ = router_->get(zmq::sockopt::last_endpoint);
  zapThread_ = std::thread([this] { zapLoop(); });
  return {};
}

void CurveRouter::stop() {
  stopping_ = true;
  if (zapThread_.joinable()) zapThread_.join();
  router_.reset();
  zap_.reset();
}

void CurveRouter::zapLoop() {
  // ZAP (RFC 27): a CURVE client key the rule admits, nothing else; the user id is its answer.
  int64_t lastRefusalLog = -kRefusalLogEveryMs;
  zmq::pollitem_t items[] = {{zap_->handle(), 0, ZMQ_POLLIN, 0}};
  while (!stopping_) {
    zmq::poll(items, 1, std::chrono::milliseconds(100));
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(*zap_, std::back_inserter(parts))) continue;
    const std::string version = parts.size() > 0 ? toString(parts[0]) : "";
    const std::string requestId = parts.size() > 1 ? toString(parts[1]) : "";
    const std::string mechanism = parts.size() > 5 ? toString(parts[5]) : "";
    std::string status = "400";
    std::string text = "not admitted";
    std::string userId;
    if (version == "1.0" && mechanism == "CURVE" && parts.size() >= 7 && parts[6].size() == 32) {
      auto* p = static_cast<const uint8_t*>(parts[6].data());
      if (auto user = admit_(common::Bytes(p, p + 32))) {
        status = "200";
        text = "OK";
        userId = *user;
      }
    }
    if (status != "200" && common::monotonicMs() - lastRefusalLog >= kRefusalLogEveryMs) {
      lastRefusalLog = common::monotonicMs();
      common::logWarn(options_.logArea,
                      "refused a connection from " + options_.what + ": " + options_.refusedText);
    }
    std::array<zmq::const_buffer, 6> reply{zmq::buffer(version), zmq::buffer(requestId),
                                           zmq::buffer(status),  zmq::buffer(text),
                                           zmq::buffer(userId),  zmq::const_buffer()};
    zmq::send_multipart(*zap_, reply);
  }
}

}  // namespace samband::broker
