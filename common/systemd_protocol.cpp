// See systemd_protocol.h.
#include "common/systemd_protocol.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace samband::common {

namespace {

// Sends one datagram to the AF_UNIX socket `name` ("/path" or "@abstract").
bool sendDatagram(const std::string& name, const std::string& payload) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (name.size() < 2 || name.size() >= sizeof addr.sun_path) return false;
  socklen_t length = 0;
  if (name[0] == '/') {
    std::memcpy(addr.sun_path, name.data(), name.size());
    length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
  } else if (name[0] == '@') {
    // Abstract namespace: a leading NUL, and the length counts exactly the name's bytes.
    std::memcpy(addr.sun_path + 1, name.data() + 1, name.size() - 1);
    length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  } else {
    return false;
  }
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ssize_t sent;
  do {
    sent = ::sendto(fd, payload.data(), payload.size(), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&addr), length);
  } while (sent < 0 && errno == EINTR);
  ::close(fd);
  return sent == static_cast<ssize_t>(payload.size());
}

}  // namespace

bool notifySystemd(const std::string& state) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return false;
  return sendDatagram(socket, state);
}

uint64_t systemdWatchdogUsec() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (usec == nullptr || *usec == '\0') return 0;
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(usec, &end, 10);
  if (errno != 0 || *end != '\0' || value == 0 || usec[0] == '-') return 0;
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid != nullptr && *pid != '\0') {
    errno = 0;
    const long long owner = std::strtoll(pid, &end, 10);
    if (errno != 0 || *end != '\0' || owner != static_cast<long long>(::getpid())) return 0;
  }
  return value;
}

std::string journalDatagram(const std::vector<std::string>& fields) {
  std::string out;
  for (const auto& field : fields) {
    const size_t eq = field.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    if (field.find('\n', eq + 1) == std::string::npos) {
      out += field;
      out += '\n';
      continue;
    }
    out.append(field, 0, eq);
    out += '\n';
    uint64_t size = field.size() - eq - 1;
    for (int i = 0; i < 8; ++i) {
      out += static_cast<char>(size & 0xff);
      size >>= 8;
    }
    out.append(field, eq + 1, std::string::npos);
    out += '\n';
  }
  return out;
}

bool sendToJournal(const std::vector<std::string>& fields, const std::string& socketPath) {
  return sendDatagram(socketPath, journalDatagram(fields));
}

}  // namespace samband::common
