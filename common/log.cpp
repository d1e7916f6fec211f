// Logging implementation: one line per event, UTC timestamp, component, message.
#include "common/log.h"

#include <cstdio>
#include <mutex>

#include "common/clock.h"

namespace samband::common {
namespace {
std::atomic<int> gLevel{static_cast<int>(LogLevel::info)};
std::mutex gWrite;
const char* levelName(LogLevel l) {
  switch (l) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}
}  // namespace

void setLogLevel(LogLevel level) { gLevel = static_cast<int>(level); }

void logLine(LogLevel level, const std::string& component, const std::string& message) {
  if (static_cast<int>(level) < gLevel.load()) return;
  SystemClock clock;
  std::string line = formatRfc3339(clock.nowMs()) + " " + levelName(level) + " [" + component +
                     "] " + message + "\n";
  std::lock_guard<std::mutex> lock(gWrite);
  std::fputs(line.c_str(), stderr);
}

bool RateLimiter::allow(int64_t nowMs, uint64_t* suppressed) {
  int64_t start = windowStart_.load();
  if (nowMs - start >= 1000) {
    if (windowStart_.compare_exchange_strong(start, nowMs)) inWindow_ = 0;
  }
  if (inWindow_.fetch_add(1) < perSecond_) {
    if (suppressed) *suppressed = suppressed_.exchange(0);
    return true;
  }
  suppressed_.fetch_add(1);
  return false;
}

}  // namespace samband::common
