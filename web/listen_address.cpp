// See listen_address.h.
#include "web/listen_address.h"

#include <cctype>

namespace samband::web {

common::Result<std::pair<std::string, int>> parseHostPort(const std::string& listen,
                                                          int examplePort) {
  const std::string p = std::to_string(examplePort);
  const std::string hint = " is not an address; write it as \"127.0.0.1:" + p +
                           "\", \"0.0.0.0:" + p + "\" or \"[::1]:" + p + "\"";
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
  int n = std::stoi(port);
  if (n > 65535) return common::invalidInput("\"" + listen + "\": the port must be at most 65535");
  return std::make_pair(host, n);
}

}  // namespace samband::web
