// PasswordChecker: verifies login passwords for a web server. argon2id needs 64 MiB and about
// 0.1 s per verification, so at most two run at a time (a burst of logins waits instead of
// exhausting memory); an unknown name is verified against a dummy hash, so it takes as long as
// a known one and the answer time does not tell which names exist. Thread-safe.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

namespace samband::web {

class PasswordChecker {
 public:
  static constexpr int kMaxConcurrent = 2;

  // True when `password` matches `hash`; with no hash (unknown name) verifies against the dummy
  // and returns false. Blocks while two verifications run.
  bool check(const std::optional<std::string>& hash, const std::string& password);

 private:
  const std::string& dummyHash();

  std::mutex mutex_;
  std::condition_variable free_;
  int running_ = 0;
  std::once_flag dummyOnce_;
  std::string dummyHash_;
};

}  // namespace samband::web
