// The login throttle's rules, shared by every login Samband serves (the board, the agent's
// reporting page); each keeps the counts in its own database and calls these in one write
// transaction. Every attempt is reserved (counted as a failure) before the password is checked,
// so a burst of concurrent guesses is decided one by one. Failures are counted per name from one
// address, per address, and per name; past a few free failures each further one locks that
// scope for 1 s, 2 s, 4 s, ... up to 15 min. The lock on a name binds only addresses that have
// been failing: a correct password from an address with no recent failures is always checked.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace samband::web {

struct ThrottleRules {
  int freePairFailures = 3;     // one name from one address (someone guessing one account)
  int freeAddressFailures = 5;  // one address, any names (an office behind NAT shares it)
  int freeNameFailures = 5;     // one name from all addresses together (many guessing machines)
  int64_t maxLockMs = 15 * 60 * 1000;
  int64_t forgetAfterMs = 60 * 60 * 1000;  // failures older than this start the count afresh
};

// Rows older than this (by their last failure) may be deleted: their counts are forgotten.
inline constexpr int64_t kKeepFailureRowsMs = 24 * 3600 * 1000LL;

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

// One stored count (a row of login_failures).
struct FailureCount {
  int64_t failures = 0;
  int64_t lastFailureAt = 0;
  int64_t lockedUntil = 0;
};

// The three counts one attempt touches, in this order: the name from this address, the address,
// the name. Nothing: no row (a reset row is written back as nothing, i.e. deleted).
using FailureRows = std::array<std::optional<FailureCount>, 3>;

// The subjects (keys) of those three rows, in the same order. An address never contains a
// newline, so the pair cannot be forged by a name. ("user:" and "addr:" rows of earlier broker
// versions keep their meaning.)
std::array<std::string, 3> throttleSubjects(const std::string& name, const std::string& addr);

// What to tell a refused login: "Too many failed logins ... Wait N s and try again", and N
// (the Retry-After), rounded up to whole seconds.
std::string lockMessage(const LoginAdmission& admission);
int64_t retryAfterSeconds(const LoginAdmission& admission);

// Decides one login attempt at `nowMs` and updates `rows` to be written back: refused while a
// lock applies (nothing counted), otherwise counted as a failure at once.
LoginAdmission admitAttempt(FailureRows& rows, const ThrottleRules& rules, int64_t nowMs);

// The admitted attempt had the right password: clears the counts of the name at this address
// and of the address, and takes this address's failures back from the name's count (lifting its
// lock when they caused it). Failures from other addresses stay, and so does a lock they caused.
void forgiveAttempt(FailureRows& rows, const ThrottleRules& rules);

}  // namespace samband::web
