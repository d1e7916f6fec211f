// See service_notify.h. common/systemd_protocol.h does the socket work (abstract and path
// sockets alike).
#include "common/service_notify.h"

#include <climits>
#include <cstdlib>

#include "common/systemd_protocol.h"

namespace samband::common {

ServiceNotifier::ServiceNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  supervised_ = socket != nullptr && *socket != '\0';
  // 0 = no watchdog for this process (unset, or $WATCHDOG_PID names another one).
  if (const uint64_t usec = systemdWatchdogUsec(); usec > 0) {
    watchdogMs_ = static_cast<int64_t>(usec / 1000);
    if (watchdogMs_ < 2) watchdogMs_ = 2;
  }
}

int64_t ServiceNotifier::keepAliveEveryMs(int64_t fallbackMs) const {
  return watchdogMs_ > 0 ? watchdogMs_ / 2 : fallbackMs;
}

void ServiceNotifier::send(const std::string& text) {
  if (supervised_) notifySystemd(text);
}

void ServiceNotifier::ready(const std::string& statusText) {
  send("READY=1\nSTATUS=" + statusText);
}

void ServiceNotifier::status(const std::string& statusText) { send("STATUS=" + statusText); }

void ServiceNotifier::stopping() { send("STOPPING=1"); }

void ServiceNotifier::keepAlive(int64_t monotonicNowMs) {
  if (watchdogMs_ == 0) return;
  if (lastKeepAliveMs_ != INT64_MIN && monotonicNowMs - lastKeepAliveMs_ < watchdogMs_ / 2) return;
  lastKeepAliveMs_ = monotonicNowMs;
  send("WATCHDOG=1");
}

}  // namespace samband::common
