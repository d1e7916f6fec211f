// See password_checker.h.
#include "web/password_checker.h"

#include "web/passwords.h"
#include "web/tokens.h"

namespace samband::web {

const std::string& PasswordChecker::dummyHash() {
  std::call_once(dummyOnce_, [this] {
    auto h = hashPassword(randomToken());
    dummyHash_ = h ? *h : std::string();
  });
  return dummyHash_;
}

bool PasswordChecker::check(const std::optional<std::string>& hash, const std::string& password) {
  const std::string& against = hash ? *hash : dummyHash();
  {
    std::unique_lock<std::mutex> lock(mutex_);
    free_.wait(lock, [&] { return running_ < kMaxConcurrent; });
    ++running_;
  }
  const bool ok = verifyPassword(against, password) && hash.has_value();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
  }
  free_.notify_one();
  return ok;
}

}  // namespace samband::web
