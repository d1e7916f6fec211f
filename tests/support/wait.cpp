// See wait.h.
#include "tests/support/wait.h"

#include <algorithm>
#include <thread>

namespace samband::testing {

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::milliseconds interval(1);
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    // The polling interval, not a synchronisation: the condition decides.
    std::this_thread::sleep_for(interval);
    interval = std::min(interval * 2, std::chrono::milliseconds(32));
  }
}

}  // namespace samband::testing
