// Minimal leveled logging: lines to stderr, or journal entries with structured fields when
// systemd runs the daemon (common/journal.h decides), with a rate limiter for messages driven by
// network input. Never log keys, signatures or personal data.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace samband::common {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

// What a line is about besides its text. In the journal each is a field of its own to filter
// on (SAMBAND_PROVIDER=, SAMBAND_REASON=); the stderr line shows only the message, which names
// them already. Empty: not set.
struct LogFields {
  std::string provider;  // the organisation number the event concerns
  std::string reason;    // a reason code, e.g. bad_signature or handshake_refused
};

// Process-wide threshold; set once by main() before threads start.
void setLogLevel(LogLevel level);
// Process-wide provider for entries that name none (the agent's own organisation number); set
// once by main() before threads start.
void setLogProvider(const std::string& provider);
void logLine(LogLevel level, const std::string& component, const std::string& message,
             const LogFields& fields = {});

inline void logInfo(const std::string& c, const std::string& m, const LogFields& f = {}) {
  logLine(LogLevel::info, c, m, f);
}
inline void logWarn(const std::string& c, const std::string& m, const LogFields& f = {}) {
  logLine(LogLevel::warn, c, m, f);
}
inline void logError(const std::string& c, const std::string& m, const LogFields& f = {}) {
  logLine(LogLevel::error, c, m, f);
}
inline void logDebug(const std::string& c, const std::string& m, const LogFields& f = {}) {
  logLine(LogLevel::debug, c, m, f);
}

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
