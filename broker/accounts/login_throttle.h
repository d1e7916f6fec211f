// LoginThrottle: slows down password guessing on the board. Failed logins are counted per user
// name and per client address (persisted in login_failures, so a restart does not reset them);
// past a few free failures each further one locks that name or address out for an exponentially
// growing time (1 s, 2 s, 4 s, ... up to 15 min). A success clears both counters.
#pragma once

#include <cstdint>
#include <string>

#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

struct ThrottleRules {
  int freeUserFailures = 3;   // per user name (an attacker aiming at one account)
  int freeAddrFailures = 10;  // per address (an office behind one NAT address shares it)
  int64_t maxLockMs = 15 * 60 * 1000;
  int64_t forgetAfterMs = 60 * 60 * 1000;  // failures older than this start the count afresh
};

// Queries on one connection; use from the thread that holds it.
class LoginThrottle {
 public:
  explicit LoginThrottle(Store& store, ThrottleRules rules = {}) : store_(store), rules_(rules) {}

  // Milliseconds until a login for `name` from `addr` may be tried; 0: now.
  // Errors (all calls): database (unavailable).
  common::Result<int64_t> waitMs(const std::string& name, const std::string& addr, int64_t nowMs);
  // Counts a failed login for both subjects and sets their lock windows, in one transaction.
  common::Status recordFailure(const std::string& name, const std::string& addr, int64_t nowMs);
  // Clears both counters.
  common::Status recordSuccess(const std::string& name, const std::string& addr);

 private:
  Store& store_;
  ThrottleRules rules_;
};

}  // namespace samband::broker
