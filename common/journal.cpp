// See journal.h.
#include "common/journal.h"

#include <cstdlib>
#include <cstring>

namespace samband::common {

bool stderrIsJournalStream(const char* journalStream, unsigned long long stderrDev,
                           unsigned long long stderrIno) {
  if (journalStream == nullptr || *journalStream == '\0') return false;
  const char* colon = std::strchr(journalStream, ':');
  if (colon == nullptr || colon == journalStream || colon[1] == '\0') return false;
  char* end = nullptr;
  const unsigned long long dev = std::strtoull(journalStream, &end, 10);
  if (end != colon) return false;
  const unsigned long long ino = std::strtoull(colon + 1, &end, 10);
  if (*end != '\0') return false;
  return dev == stderrDev && ino == stderrIno;
}

LogSink chooseLogSink(const char* invocationId, bool stderrIsJournal, const char* override) {
  if (override != nullptr && std::strcmp(override, "stderr") == 0) return LogSink::stderrLines;
  if (override != nullptr && std::strcmp(override, "journal") == 0) return LogSink::journal;
  const bool startedBySystemd = invocationId != nullptr && *invocationId != '\0';
  return startedBySystemd && stderrIsJournal ? LogSink::journal : LogSink::stderrLines;
}

int journalPriority(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return 7;
    case LogLevel::info:
      return 6;
    case LogLevel::warn:
      return 4;
    case LogLevel::error:
      return 3;
  }
  return 6;
}

std::vector<std::string> journalFields(LogLevel level, const std::string& component,
                                       const std::string& message, const LogFields& fields,
                                       const std::string& identifier) {
  std::vector<std::string> out;
  out.push_back("MESSAGE=[" + component + "] " + message);
  out.push_back("PRIORITY=" + std::to_string(journalPriority(level)));
  if (!identifier.empty()) out.push_back("SYSLOG_IDENTIFIER=" + identifier);
  out.push_back("SAMBAND_COMPONENT=" + component);
  if (!fields.provider.empty()) out.push_back("SAMBAND_PROVIDER=" + fields.provider);
  if (!fields.reason.empty()) out.push_back("SAMBAND_REASON=" + fields.reason);
  return out;
}

}  // namespace samband::common
