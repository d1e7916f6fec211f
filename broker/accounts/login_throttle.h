// LoginThrottle: slows down password guessing on the board without letting a guesser lock out
// the real user. Every attempt is reserved (counted as a failure) in one transaction before the
// password is checked, so a burst of concurrent guesses is decided one by one. Failures are
// counted per name from one address, per address, and per name (persisted in login_failures, so
// a restart does not reset them); past a few free failures each further one locks that scope for
// 1 s, 2 s, 4 s, ... up to 15 min. The lock on a name binds only addresses that have been
// failing: a correct password from an address with no recent failures is always checked. The
// decisions are web/login_throttle_rules.h; this class keeps the counts in the broker database.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/result.h"
#include "web/login_throttle_rules.h"

namespace samband::broker {

// The rules and their results are web/'s (web/login_throttle_rules.h), shared with the agent's
// reporting page; the board names them as before.
using web::LockScope;
using web::lockScopeName;
using web::LoginAdmission;
using web::ThrottleRules;

// Queries on one connection; use from the thread that holds it. Errors (all calls): database
// (unavailable). Concurrent callers on other connections of the same database are serialised by
// the database's write lock.
class LoginThrottle {
 public:
  explicit LoginThrottle(Store& store, ThrottleRules rules = {}) : store_(store), rules_(rules) {}

  // Reserves one login attempt for `name` from `addr`: refused while a lock applies, otherwise
  // counted as a failed attempt at once, before the password is checked.
  common::Result<LoginAdmission> admit(const std::string& name, const std::string& addr,
                                       int64_t nowMs);
  // The admitted attempt had the right password: clears the counts of the name at this address
  // and of the address, and takes this address's failures back from the name's count (lifting
  // its lock when they caused it).
  common::Status succeeded(const std::string& name, const std::string& addr, int64_t nowMs);

 private:
  Store& store_;
  ThrottleRules rules_;
};

}  // namespace samband::broker
