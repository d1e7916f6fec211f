// See form_ready.h.
#include "agent/form_ready.h"

namespace samband::agent {

std::string formReadyMessage(const common::Status& started) {
  if (started) return "ready\n";
  return "error " + std::to_string(static_cast<int>(started.error().kind)) + "\n" +
         started.error().message;
}

common::Status parseFormReady(const std::string& message) {
  if (message == "ready\n") return {};
  const std::string prefix = "error ";
  const size_t eol = message.find('\n');
  if (message.compare(0, prefix.size(), prefix) == 0 && eol != std::string::npos &&
      eol == prefix.size() + 1 && message[prefix.size()] >= '0' &&
      message[prefix.size()] <=
          static_cast<char>('0' + static_cast<int>(common::ErrorKind::internal))) {
    const auto kind = static_cast<common::ErrorKind>(message[prefix.size()] - '0');
    return common::Error{kind, message.substr(eol + 1)};
  }
  return common::internalError(std::string("the reporting page's process (") + kFormHelperName +
                               ") stopped before it could serve; its log lines above say why");
}

}  // namespace samband::agent
