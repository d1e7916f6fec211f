// See login_throttle.h. The rules decide (web/login_throttle_rules.h); the store keeps the three
// rows of an attempt and runs the decision inside its write transaction.
#include "broker/accounts/login_throttle.h"

#include "broker/store/accounts_store.h"

namespace samband::broker {

namespace {

std::vector<std::string> subjects(const std::string& name, const std::string& addr) {
  const auto s = web::throttleSubjects(name, addr);
  return {s.begin(), s.end()};
}

// Runs `decide` on the rules' view of the store's rows and writes its result back.
template <typename Decide>
void onRules(std::vector<std::optional<LoginFailureRow>>& rows, Decide decide) {
  web::FailureRows view;
  for (size_t i = 0; i < view.size() && i < rows.size(); ++i) {
    if (rows[i])
      view[i] = web::FailureCount{rows[i]->failures, rows[i]->lastFailureAt, rows[i]->lockedUntil};
  }
  decide(view);
  for (size_t i = 0; i < view.size() && i < rows.size(); ++i) {
    if (view[i]) {
      rows[i] = LoginFailureRow{view[i]->failures, view[i]->lastFailureAt, view[i]->lockedUntil};
    } else {
      rows[i].reset();
    }
  }
}

}  // namespace

common::Result<LoginAdmission> LoginThrottle::admit(const std::string& name,
                                                    const std::string& addr, int64_t nowMs) {
  LoginAdmission out;
  // Guessed names must not grow the table for ever: old rows go in the same transaction.
  if (auto s = AccountsStore(store_).updateLoginFailures(
          subjects(name, addr), nowMs - web::kKeepFailureRowsMs,
          [&](std::vector<std::optional<LoginFailureRow>>& rows) {
            onRules(rows,
                    [&](web::FailureRows& view) { out = web::admitAttempt(view, rules_, nowMs); });
          });
      !s) {
    return s.error();
  }
  return out;
}

common::Status LoginThrottle::succeeded(const std::string& name, const std::string& addr,
                                        int64_t nowMs) {
  return AccountsStore(store_).updateLoginFailures(
      subjects(name, addr), nowMs - web::kKeepFailureRowsMs,
      [this](std::vector<std::optional<LoginFailureRow>>& rows) {
        onRules(rows, [this](web::FailureRows& view) { web::forgiveAttempt(view, rules_); });
      });
}

}  // namespace samband::broker
