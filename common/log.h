// Minimal leveled logging to stderr, with a rate limiter for messages driven by network input.
// Never log keys, signatures or personal data.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace samband::common {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

// Process-wide threshold; set once by main() before threads start.
void setLogLevel(LogLevel level);
void logLine(LogLevel level, const std::string& component, const std::string& message);

inline void logInfo(const std::string& c, const std::string& m) { logLine(LogLevel::info, c, m); }
inline void logWarn(const std::string& c, const std::string& m) { logLine(LogLevel::warn, c, m); }
inline void logError(const std::string& c, const std::string& m) { logLine(LogLevel::error, c, m); }
inline void logDebug(const std::string& c, const std::string& m) { logLine(LogLevel::debug, c, m); }

// Lets through at most `perSecond` events per second; the rest are counted and reported as
// "suppressed N" with the next one let through. Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(int perSecond) : perSecond_(perSecond) {}
  // Returns true when the caller may log; `suppressed` receives how many were dropped before.
  bool allow(int64_t nowMs, uint64_t* suppressed);

 private:
  int perSecond_;
  std::atomic<int64_t> windowStart_{0};
  std::atomic<int> inWindow_{0};
  std::atomic<uint64_t> suppressed_{0};
};

}  // namespace samband::common
