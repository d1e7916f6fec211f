// LoginThrottle: slows down password guessing on the board without letting a guesser lock out
// the real user. Every attempt is reserved (counted as a failure) in one transaction before the
// password is checked, so a burst of concurrent guesses is decided one by one. Failures are
// counted per name from one address, per address, and per name (persisted in login_failures, so
// a restart does not reset them); past a few free failures each further one locks that scope for
// 1 s, 2 s, 4 s, ... up to 15 min. The lock on a name binds only addresses that have been
// failing: a correct password from an address with no recent failures is always checked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

struct ThrottleRules {
  int freePairFailures = 3;     // one name from one address (someone guessing one account)
  int freeAddressFailures = 5;  // one address, any names (an office behind NAT shares it)
  int freeNameFailures = 5;     // one name from all addresses together (many guessing machines)
  int64_t maxLockMs = 15 * 60 * 1000;
  int64_t forgetAfterMs = 60 * 60 * 1000;  // failures older than this start the count afresh
};

// What a lock applies to.
enum class LockScope { none, nameAddress, address, name };
// "name_address" | "address" | "name" | "none" (the /metrics label).
const char* lockScopeName(LockScope scope);

struct LoginAdmission {
  // > 0: refused, the password must not be checked; this long until the lock ends.
  int64_t waitMs = 0;
  LockScope lockedBy = LockScope::none;  // the lock that refused it (the longest)
  // Locks this attempt started (it counts as a failure until succeeded() says otherwise).
  std::vector<LockScope> lockoutsBegun;
};

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
