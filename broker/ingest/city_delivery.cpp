// See city_delivery.h.
#include "broker/ingest/city_delivery.h"

#include "common/codec.h"

namespace samband::broker {

namespace {
constexpr int kDuePerHeartbeat = 32;
}  // namespace

CityDelivery::CityDelivery(Store& store, const common::Clock& clock)
    : city_(store), clock_(clock) {}

void CityDelivery::noteRoute(const std::string& provider, const std::string& routingId) {
  if (routingId.empty()) return;
  Route& r = routes_[provider];
  r.routingId = routingId;
  r.lastFrameMs = clock_.nowMs();
}

common::Status CityDelivery::deliverDue(const std::string& routingId, const std::string& provider,
                                        Replies& out) {
  // One not yet answered is sent again after kOutboundResendMs (the agent ignores copies it
  // has).
  const int64_t now = clock_.nowMs();
  auto due = city_.dueOutbound(provider, now - kOutboundResendMs, kDuePerHeartbeat);
  if (!due) return due.error();
  if (due->empty()) return {};
  std::vector<int64_t> sent;
  for (auto& m : *due) {
    out.add(routingId, common::encodeDownlink(common::CityEnvelopeMsg{std::move(m.envelope)}));
    sent.push_back(m.id);
  }
  return city_.markOutboundSent(sent, now);
}

common::Result<std::vector<Reply>> CityDelivery::pushNew() {
  // The push is opportunistic: the route may belong to an agent that stopped a moment ago, so
  // a pushed row is not marked as sent. The heartbeat path (deliverDue) stays the guarantee: an
  // agent that reconnects gets it behind its first heartbeat, and one that was connected gets
  // at most one more copy, which it ignores.
  std::vector<Reply> out;
  auto newest = city_.newestOutboundId();
  if (!newest) return newest.error();
  if (pushedOutboundId_ < 0) pushedOutboundId_ = *newest;  // older rows: the heartbeat path
  if (*newest <= pushedOutboundId_) return out;
  const int64_t now = clock_.nowMs();
  auto queued = city_.undeliveredOutbound(pushedOutboundId_, *newest);
  if (!queued) return queued.error();
  for (auto& m : *queued) {
    auto route = routes_.find(m.provider);
    if (route == routes_.end() || now - route->second.lastFrameMs > kRouteFreshMs) continue;
    out.push_back({route->second.routingId,
                   common::encodeDownlink(common::CityEnvelopeMsg{std::move(m.envelope)})});
  }
  pushedOutboundId_ = *newest;
  return out;
}

}  // namespace samband::broker
