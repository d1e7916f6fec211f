// CityDelivery: hands the city's queued messages (readiness checks, directives) to connected
// agents. Behind each heartbeat's reply go the provider's undelivered messages (again after
// kOutboundResendMs while unanswered); newly queued ones are also pushed at once to providers
// whose agent is connected. Owned by the committer, on the database thread.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "broker/ingest/replies.h"
#include "broker/store/city_store.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/result.h"

namespace samband::broker {

// How long a delivered-but-unanswered city message waits before it is sent again.
inline constexpr int64_t kOutboundResendMs = 30'000;
// A provider whose agent sent a frame this recently counts as connected for pushing.
inline constexpr int64_t kRouteFreshMs = 120'000;

class CityDelivery {
 public:
  // `store` and `clock` must outlive this object.
  CityDelivery(Store& store, const common::Clock& clock);

  // The provider's newest connection: it sent a frame now.
  void noteRoute(const std::string& provider, const std::string& routingId);
  // Adds the provider's due queued messages to `out` and marks them sent (inside the caller's
  // transaction). Errors: unavailable.
  common::Status deliverDue(const std::string& routingId, const std::string& provider,
                            Replies& out);
  // Messages queued since the last call, for providers connected within kRouteFreshMs; not
  // marked as sent (the heartbeat path stays the guarantee). Errors: unavailable, and nothing
  // is pushed.
  common::Result<std::vector<Reply>> pushNew();

 private:
  CityStore city_;
  const common::Clock& clock_;
  struct Route {
    std::string routingId;
    int64_t lastFrameMs = 0;
  };
  std::unordered_map<std::string, Route> routes_;
  int64_t pushedOutboundId_ = -1;  // outbound rows up to this id were considered for pushing
};

}  // namespace samband::broker
