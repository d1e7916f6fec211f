// TimeBeaconMaker: the city's signed "still here" (schemas/samband.capnp, TimeBeacon), made at
// most once per period from the city's newest directive, check and level, and then reused as the
// same bytes on every heartbeat reply, so signing stays off the per-frame path.
#pragma once

#include <cstdint>

#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/identity.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::broker {

// Meta keys of what the beacon names (set by sendDirective and issueCheck).
inline constexpr const char* kMetaDirectiveToAll = "beacon_directive_number";
inline constexpr const char* kMetaNewestCheck = "beacon_check_id";
inline constexpr const char* kMetaNewestCheckAt = "beacon_check_issued_at";

// The facts a beacon names, read from `store`. Errors: unavailable.
common::Result<common::TimeBeaconMsg> readBeaconFacts(Store& store);

// Signs one beacon: a body from "city" with seq 0, sentAt `nowMs`, under the city key.
common::Bytes signTimeBeacon(const common::Identity& city, const common::TimeBeaconMsg& facts,
                             int64_t nowMs);

class TimeBeaconMaker {
 public:
  // `city` must outlive the maker. `periodMs` (at most 60 s): how old a beacon may get before the
  // next call makes a new one. Not thread-safe: one owner (the commit thread).
  TimeBeaconMaker(const common::Identity& city, int64_t periodMs);
  TimeBeaconMaker(const TimeBeaconMaker&) = delete;
  TimeBeaconMaker& operator=(const TimeBeaconMaker&) = delete;

  // The current beacon's envelope bytes; makes a new one from `store` when none was made or the
  // last is `periodMs` old. When the store cannot be read the error is logged (rate-limited) and
  // the last beacon, possibly empty, is returned: agents then see the city fall silent.
  const common::Bytes& current(Store& store, int64_t nowMs);

 private:
  const common::Identity& city_;
  int64_t periodMs_;
  int64_t madeAt_ = 0;
  int64_t lastErrorLogAt_ = 0;
  common::Bytes envelope_;
};

}  // namespace samband::broker
