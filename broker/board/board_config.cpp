// See board_config.h.
#include "broker/board/board_config.h"

#include <cctype>

namespace samband::broker {

common::Result<std::pair<std::string, int>> parseHostPort(const std::string& listen) {
  const std::string hint =
      " is not an address; write it as \"127.0.0.1:8080\", \"0.0.0.0:8080\" or \"[::1]:8080\"";
  std::string host;
  std::string port;
  if (!listen.empty() && listen[0] == '[') {
    auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return common::invalidInput("\"" + listen + "\"" + hint);
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos || listen.find(':') != colon) {
      return common::invalidInput("\"" + listen + "\"" + hint);
    }
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5) {
    return common::invalidInput("\"" + listen + "\"" + hint);
  }
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return common::invalidInput("\"" + listen + "\"" + hint);
    }
  }
  int p = std::stoi(port);
  if (p > 65535) return common::invalidInput("\"" + listen + "\": the port must be at most 65535");
  return std::make_pair(host, p);
}

}  // namespace samband::broker
