// The two datagram protocols systemd keeps stable for services that do not link libsystemd:
// sd_notify(3)'s messages to $NOTIFY_SOCKET (READY=1, WATCHDOG=1, ...) and the journal's native
// protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL). The daemons speak them directly, so they map
// neither libsystemd nor what it pulls in (libgcrypt, liblzma, libzstd, liblz4, libcap):
// docs/decisions/0012-agent-footprint.md. service_notify.cpp and log.cpp are the callers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace samband::common {

// Sends `state` ("READY=1\nSTATUS=...") to the socket $NOTIFY_SOCKET names: a path, or an
// abstract socket written "@name". False when the variable is unset or empty, names another
// kind of socket, or the datagram was not delivered. Thread-safe.
bool notifySystemd(const std::string& state);

// The watchdog interval systemd expects this process to keep, in microseconds: $WATCHDOG_USEC
// when $WATCHDOG_PID is unset or names this process; 0 when there is none (unset, malformed, or
// meant for another process), as sd_watchdog_enabled(0, ...) answers.
uint64_t systemdWatchdogUsec();

// Where journald listens for native entries.
inline constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

// One journal entry as the native protocol's datagram: each "NAME=value" field on a line of its
// own, or, when the value holds a newline, NAME, a newline, the value's length as a 64-bit
// little-endian number, the value and a newline. Fields without '=' are left out.
std::string journalDatagram(const std::vector<std::string>& fields);

// Sends one entry to journald at `socketPath`. False when journald did not take it (no such
// socket, or an entry too large for one datagram): the caller writes its stderr line instead.
bool sendToJournal(const std::vector<std::string>& fields,
                   const std::string& socketPath = kJournalSocket);

}  // namespace samband::common
