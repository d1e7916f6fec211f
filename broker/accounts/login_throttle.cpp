// See login_throttle.h.
#include "broker/accounts/login_throttle.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>

namespace samband::broker {

namespace {
std::string userSubject(const std::string& name) { return "user:" + name; }
std::string addrSubject(const std::string& addr) { return "addr:" + addr; }
constexpr int64_t kKeepRowsMs = 24 * 3600 * 1000LL;
}  // namespace

int64_t LoginThrottle::lockedUntil(const std::string& subject) {
  SQLite::Statement q(store_.db(), "SELECT locked_until FROM login_failures WHERE subject=?");
  q.bind(1, subject);
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

int64_t LoginThrottle::waitMs(const std::string& name, const std::string& addr, int64_t nowMs) {
  int64_t until = std::max(lockedUntil(userSubject(name)), lockedUntil(addrSubject(addr)));
  return until > nowMs ? until - nowMs : 0;
}

void LoginThrottle::fail(const std::string& subject, int freeFailures, int64_t nowMs) {
  int64_t failures = 0;
  {
    SQLite::Statement q(store_.db(),
                        "SELECT failures, last_failure_at FROM login_failures WHERE subject=?");
    q.bind(1, subject);
    if (q.executeStep() && nowMs - q.getColumn(1).getInt64() < rules_.forgetAfterMs) {
      failures = q.getColumn(0).getInt64();
    }
  }
  ++failures;
  int64_t lockMs = 0;
  if (failures >= freeFailures) {
    int64_t shift = std::min<int64_t>(failures - freeFailures, 30);
    lockMs = std::min<int64_t>(int64_t{1000} << shift, rules_.maxLockMs);
  }
  SQLite::Statement q(store_.db(),
                      "INSERT INTO login_failures(subject, failures, last_failure_at, "
                      "locked_until) VALUES(?,?,?,?) ON CONFLICT(subject) DO UPDATE SET "
                      "failures=excluded.failures, last_failure_at=excluded.last_failure_at, "
                      "locked_until=excluded.locked_until");
  q.bind(1, subject);
  q.bind(2, failures);
  q.bind(3, nowMs);
  q.bind(4, nowMs + lockMs);
  q.exec();
}

void LoginThrottle::recordFailure(const std::string& name, const std::string& addr, int64_t nowMs) {
  // IMMEDIATE: two failed logins at once must both count, not race on the read.
  SQLite::Transaction tx(store_.db(), SQLite::TransactionBehavior::IMMEDIATE);
  fail(userSubject(name), rules_.freeUserFailures, nowMs);
  fail(addrSubject(addr), rules_.freeAddrFailures, nowMs);
  // Guessed names must not grow the table for ever.
  SQLite::Statement purge(store_.db(), "DELETE FROM login_failures WHERE last_failure_at<?");
  purge.bind(1, nowMs - kKeepRowsMs);
  purge.exec();
  tx.commit();
}

void LoginThrottle::recordSuccess(const std::string& name, const std::string& addr) {
  SQLite::Statement q(store_.db(), "DELETE FROM login_failures WHERE subject IN (?, ?)");
  q.bind(1, userSubject(name));
  q.bind(2, addrSubject(addr));
  q.exec();
}

}  // namespace samband::broker
