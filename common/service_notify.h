// ServiceNotifier: what a daemon tells systemd (Type=notify): READY=1 once it serves, STATUS=,
// STOPPING=1, and WATCHDOG=1 from its main loop while it is healthy (WatchdogSec= in the unit).
// Outside systemd ($NOTIFY_SOCKET unset) every call does nothing, so the daemons run the same
// in a terminal, a test or a chroot.
#pragma once

#include <cstdint>
#include <string>

namespace samband::common {

class ServiceNotifier {
 public:
  // Reads $NOTIFY_SOCKET and the watchdog interval ($WATCHDOG_USEC for this pid) once.
  ServiceNotifier();

  // True when a service manager listens ($NOTIFY_SOCKET is set).
  bool isSupervised() const { return supervised_; }
  // The watchdog interval in ms, 0 when the unit has no WatchdogSec=.
  int64_t watchdogIntervalMs() const { return watchdogMs_; }
  // How long the main loop may sleep between keepAlive() calls: half the interval (systemd's
  // advice), or `fallbackMs` when there is no watchdog.
  int64_t keepAliveEveryMs(int64_t fallbackMs) const;

  void ready(const std::string& status);
  void status(const std::string& status);
  void stopping();
  // Sends WATCHDOG=1 when half the interval has passed since the last one (or never sent).
  // `monotonicNowMs` from common::monotonicMs(). Call only when the loop is healthy: a loop
  // that stops calling gets the service killed and restarted (Restart=on-failure).
  void keepAlive(int64_t monotonicNowMs);

 private:
  void send(const std::string& text);

  bool supervised_ = false;
  int64_t watchdogMs_ = 0;
  int64_t lastKeepAliveMs_ = INT64_MIN;
};

}  // namespace samband::common
