// See login_throttle_rules.h.
#include "web/login_throttle_rules.h"

#include <algorithm>
#include <utility>

namespace samband::web {

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

std::array<std::string, 3> throttleSubjects(const std::string& name, const std::string& addr) {
  return {"pair:" + addr + "\n" + name, "addr:" + addr, "user:" + name};
}

int64_t retryAfterSeconds(const LoginAdmission& admission) {
  return (admission.waitMs + 999) / 1000;
}

std::string lockMessage(const LoginAdmission& admission) {
  const char* why = admission.lockedBy == LockScope::address
                        ? "Too many failed logins from your address. "
                    : admission.lockedBy == LockScope::name
                        ? "Too many failed logins for this name from addresses that have been "
                          "failing. "
                        : "Too many failed logins for this name from your address. ";
  return std::string(why) + "Wait " + std::to_string(retryAfterSeconds(admission)) +
         " s and try again";
}

LoginAdmission admitAttempt(FailureRows& rows, const ThrottleRules& rules, int64_t nowMs) {
  LoginAdmission out;
  auto live = [&](const std::optional<FailureCount>& row) {
    return row && nowMs - row->lastFailureAt < rules.forgetAfterMs ? *row : FailureCount{};
  };
  const FailureCount pair = live(rows[0]);
  const FailureCount address = live(rows[1]);
  const FailureCount user = live(rows[2]);
  auto left = [&](const FailureCount& r) {
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
  if (out.waitMs > 0) return out;  // refused: nothing is counted while locked
  auto reserve = [&](FailureCount r, int freeFailures, LockScope scope) {
    const bool wasLocked = r.lockedUntil > nowMs;
    r.failures++;
    r.lastFailureAt = nowMs;
    if (r.failures >= freeFailures) {
      const int64_t shift = std::min<int64_t>(r.failures - freeFailures, 30);
      r.lockedUntil = nowMs + std::min<int64_t>(int64_t{1000} << shift, rules.maxLockMs);
      if (!wasLocked) out.lockoutsBegun.push_back(scope);
    }
    return r;
  };
  rows[0] = reserve(pair, rules.freePairFailures, LockScope::nameAddress);
  rows[1] = reserve(address, rules.freeAddressFailures, LockScope::address);
  rows[2] = reserve(user, rules.freeNameFailures, LockScope::name);
  return out;
}

void forgiveAttempt(FailureRows& rows, const ThrottleRules& rules) {
  if (rows[2]) {
    rows[2]->failures -= rows[0] ? rows[0]->failures : 1;
    if (rows[2]->failures < rules.freeNameFailures) rows[2]->lockedUntil = 0;
  }
  rows[0].reset();
  rows[1].reset();
}

}  // namespace samband::web
