// See login_throttle.h.
#include "broker/accounts/login_throttle.h"

#include <algorithm>

#include "broker/store/accounts_store.h"

namespace samband::broker {

namespace {
std::string userSubject(const std::string& name) { return "user:" + name; }
std::string addrSubject(const std::string& addr) { return "addr:" + addr; }
constexpr int64_t kKeepRowsMs = 24 * 3600 * 1000LL;
}  // namespace

common::Result<int64_t> LoginThrottle::waitMs(const std::string& name, const std::string& addr,
                                              int64_t nowMs) {
  AccountsStore accounts(store_);
  auto byName = accounts.lockedUntil(userSubject(name));
  if (!byName) return byName.error();
  auto byAddr = accounts.lockedUntil(addrSubject(addr));
  if (!byAddr) return byAddr.error();
  int64_t until = std::max(*byName, *byAddr);
  return until > nowMs ? until - nowMs : 0;
}

common::Status LoginThrottle::recordFailure(const std::string& name, const std::string& addr,
                                            int64_t nowMs) {
  const std::string user = userSubject(name);
  auto next = [&](const std::string& subject, const std::optional<LoginFailureRow>& current) {
    const int freeFailures = subject == user ? rules_.freeUserFailures : rules_.freeAddrFailures;
    int64_t failures = 0;
    if (current && nowMs - current->lastFailureAt < rules_.forgetAfterMs) {
      failures = current->failures;
    }
    ++failures;
    int64_t lockMs = 0;
    if (failures >= freeFailures) {
      int64_t shift = std::min<int64_t>(failures - freeFailures, 30);
      lockMs = std::min<int64_t>(int64_t{1000} << shift, rules_.maxLockMs);
    }
    return LoginFailureRow{failures, nowMs, nowMs + lockMs};
  };
  // Guessed names must not grow the table for ever: old rows go in the same transaction.
  return AccountsStore(store_).recordLoginFailures({user, addrSubject(addr)}, nowMs - kKeepRowsMs,
                                                   next);
}

common::Status LoginThrottle::recordSuccess(const std::string& name, const std::string& addr) {
  return AccountsStore(store_).clearLoginFailures({userSubject(name), addrSubject(addr)});
}

}  // namespace samband::broker
