// See login_throttle.h.
#include "broker/accounts/login_throttle.h"

#include <algorithm>

#include "broker/store/accounts_store.h"

namespace samband::broker {

namespace {

// Subjects of login_failures; "user:" and "addr:" rows written by earlier versions keep their
// meaning. An address never contains a newline, so the pair cannot be forged by a name.
std::string pairSubject(const std::string& name, const std::string& addr) {
  return "pair:" + addr + "\n" + name;
}
std::string addrSubject(const std::string& addr) { return "addr:" + addr; }
std::string userSubject(const std::string& name) { return "user:" + name; }
constexpr int64_t kKeepRowsMs = 24 * 3600 * 1000LL;

}  // namespace

const char* lockScopeName(LockScope scope) {
  switch (scope) {
    case LockScope::nameAddress:
      return "name_address";
    case LockScope::address:
      return "address";
    case LockScope::name:
      return "name";
    case LockScope::none:
      break;
  }
  return "none";
}

common::Result<LoginAdmission> LoginThrottle::admit(const std::string& name,
                                                    const std::string& addr, int64_t nowMs) {
  LoginAdmission out;
  auto decide = [&](std::vector<std::optional<LoginFailureRow>>& rows) {
    auto live = [&](const std::optional<LoginFailureRow>& row) {
      return row && nowMs - row->lastFailureAt < rules_.forgetAfterMs ? *row : LoginFailureRow{};
    };
    const LoginFailureRow pair = live(rows[0]);
    const LoginFailureRow address = live(rows[1]);
    const LoginFailureRow user = live(rows[2]);
    auto left = [&](const LoginFailureRow& r) {
      return r.lockedUntil > nowMs ? r.lockedUntil - nowMs : 0;
    };
    const bool addressFailing = address.failures > 0;
    const std::pair<int64_t, LockScope> locks[] = {
        {left(pair), LockScope::nameAddress},
        {left(address), LockScope::address},
        {addressFailing ? left(user) : 0, LockScope::name}};
    for (const auto& [wait, scope] : locks) {
      if (wait > out.waitMs) {
        out.waitMs = wait;
        out.lockedBy = scope;
      }
    }
    if (out.waitMs > 0) return;  // refused: nothing is counted while locked
    auto reserve = [&](LoginFailureRow r, int freeFailures, LockScope scope) {
      const bool wasLocked = r.lockedUntil > nowMs;
      r.failures++;
      r.lastFailureAt = nowMs;
      if (r.failures >= freeFailures) {
        const int64_t shift = std::min<int64_t>(r.failures - freeFailures, 30);
        r.lockedUntil = nowMs + std::min<int64_t>(int64_t{1000} << shift, rules_.maxLockMs);
        if (!wasLocked) out.lockoutsBegun.push_back(scope);
      }
      return r;
    };
    rows[0] = reserve(pair, rules_.freePairFailures, LockScope::nameAddress);
    rows[1] = reserve(address, rules_.freeAddressFailures, LockScope::address);
    rows[2] = reserve(user, rules_.freeNameFailures, LockScope::name);
  };
  // Guessed names must not grow the table for ever: old rows go in the same transaction.
  if (auto s = AccountsStore(store_).updateLoginFailures(
          {pairSubject(name, addr), addrSubject(addr), userSubject(name)}, nowMs - kKeepRowsMs,
          decide);
      !s) {
    return s.error();
  }
  return out;
}

common::Status LoginThrottle::succeeded(const std::string& name, const std::string& addr,
                                        int64_t nowMs) {
  return AccountsStore(store_).updateLoginFailures(
      {pairSubject(name, addr), addrSubject(addr), userSubject(name)}, nowMs - kKeepRowsMs,
      [this](std::vector<std::optional<LoginFailureRow>>& rows) {
        // The name's failures from this address were this user's own: forgiven with the rest.
        // Failures from other addresses stay, and so does a lock they caused.
        if (rows[2]) {
          rows[2]->failures -= rows[0] ? rows[0]->failures : 1;
          if (rows[2]->failures < rules_.freeNameFailures) rows[2]->lockedUntil = 0;
        }
        rows[0].reset();
        rows[1].reset();
      });
}

}  // namespace samband::broker
