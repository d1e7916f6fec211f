// Logging implementation: one line per event (UTC timestamp, level, component, message) on
// stderr, or one journal entry with its fields when common/journal.h says systemd runs us.
#include "common/log.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "common/clock.h"
#include "common/journal.h"
#include "common/systemd_protocol.h"

namespace samband::common {
namespace {
std::atomic<int> gLevel{static_cast<int>(LogLevel::info)};
std::mutex gWrite;
std::string gProvider;  // written once before threads start (setLogProvider)

// Decided once, on the first line: the environment does not change under a running daemon.
LogSink logSink() {
  static const LogSink sink = [] {
    struct stat st {};
    const bool isJournal =
        ::fstat(2, &st) == 0 &&
        stderrIsJournalStream(std::getenv("JOURNAL_STREAM"), st.st_dev, st.st_ino);
    return chooseLogSink(std::getenv("INVOCATION_ID"), isJournal, std::getenv("SAMBAND_LOG"));
  }();
  return sink;
}

// Returns false when journald did not take the entry (the caller writes the stderr line).
bool logToJournal(LogLevel level, const std::string& component, const std::string& message,
                  const LogFields& fields) {
  LogFields f = fields;
  if (f.provider.empty()) f.provider = gProvider;
  return common::sendToJournal(
      journalFields(level, component, message, f, program_invocation_short_name));
}
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
void setLogProvider(const std::string& provider) { gProvider = provider; }

void logLine(LogLevel level, const std::string& component, const std::string& message,
             const LogFields& fields) {
  if (static_cast<int>(level) < gLevel.load()) return;
  if (logSink() == LogSink::journal && logToJournal(level, component, message, fields)) return;
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
