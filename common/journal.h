// journald logging for the daemons when systemd runs them: the decision (is stderr the journal?)
// and the fields of one entry, kept pure so tests check them without a journald; log.cpp sends
// them with journald's native protocol (common/systemd_protocol.h). Field names are documented
// in docs/operations.md ("Logs").
#pragma once

#include <string>
#include <vector>

#include "common/log.h"

namespace samband::common {

// True when $JOURNAL_STREAM ("DEVICE:INODE", set by systemd for a unit whose stdout or stderr
// goes to the journal) names the file open on stderr, whose st_dev/st_ino are given. False for
// a null or malformed value, and when stderr was redirected elsewhere (a wrapper, a pipe).
bool stderrIsJournalStream(const char* journalStream, unsigned long long stderrDev,
                           unsigned long long stderrIno);

// Where log lines go: the journal when systemd started the process ($INVOCATION_ID is set) and
// its stderr is still the journal stream (`stderrIsJournal`); else the stderr lines.
// $SAMBAND_LOG=stderr or =journal overrides the guess (`override` null or empty: none).
enum class LogSink { stderrLines, journal };
LogSink chooseLogSink(const char* invocationId, bool stderrIsJournal, const char* override);

// journald's priority for a level: debug 7, info 6, warn 4, error 3 (syslog numbers).
int journalPriority(LogLevel level);

// The fields of one journal entry, each "NAME=value": MESSAGE ("[component] message", as the
// stderr line minus time and level), PRIORITY, SYSLOG_IDENTIFIER (`identifier`),
// SAMBAND_COMPONENT, and SAMBAND_PROVIDER / SAMBAND_REASON when the fields carry them.
std::vector<std::string> journalFields(LogLevel level, const std::string& component,
                                       const std::string& message, const LogFields& fields,
                                       const std::string& identifier);

}  // namespace samband::common
