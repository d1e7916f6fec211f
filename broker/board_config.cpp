// See board_config.h.
#include "broker/board_config.h"

#include <cctype>

#include "common/config.h"

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

common::Result<BoardOptions> loadBoardOptions(const BrokerConfig& broker) {
  BoardOptions o;
  o.configPath = broker.configPath;
  o.databasePath = broker.databasePath;
  o.liveness = broker.liveness;
  o.listen = broker.boardListen;
  auto hostPort = parseHostPort(broker.boardListen);
  if (!hostPort) {
    return common::invalidInput(broker.configPath + ": [board] listen " + hostPort.error().message);
  }
  o.host = hostPort->first;
  o.port = hostPort->second;

  auto file = common::ConfigFile::load(broker.configPath);
  if (!file) return file.error();
  const auto& f = **file;
  auto ttl = f.integer("board", "session_ttl_s", 12 * 3600, 60, 30 * 86400);
  if (!ttl) return ttl.error();
  o.sessionTtlMs = *ttl * 1000;
  auto old = f.integer("board", "report_old_after_s", 12 * 3600, 60, 30 * 86400);
  if (!old) return old.error();
  o.reportOldAfterMs = *old * 1000;
  auto threads = f.integer("board", "threads", 32, 4, 1024);
  if (!threads) return threads.error();
  o.threads = static_cast<int>(*threads);
  auto secure = f.boolean("board", "secure_cookies", false);
  if (!secure) return secure.error();
  o.secureCookies = *secure;
  auto cert = f.text("board", "tls_cert", "");
  if (!cert) return cert.error();
  if (!cert->empty()) o.tlsCert = f.resolve(*cert);
  auto key = f.text("board", "tls_key", "");
  if (!key) return key.error();
  if (!key->empty()) o.tlsKey = f.resolve(*key);
  if (o.tlsCert.empty() != o.tlsKey.empty()) {
    return common::invalidInput(broker.configPath +
                                ": [board] tls_cert and tls_key go together; set both (PEM "
                                "files) or neither (then terminate TLS in a reverse proxy)");
  }
  if (!o.tlsCert.empty()) o.secureCookies = true;
  auto tokenFile = f.text("board", "metrics_token_file", "");
  if (!tokenFile) return tokenFile.error();
  if (!tokenFile->empty()) {
    std::string path = f.resolve(*tokenFile);
    auto token = common::readFile(path, 4096);
    if (!token) {
      return common::invalidInput(broker.configPath +
                                  ": [board] metrics_token_file: " + token.error().message +
                                  "; create the file with one random line or remove the key");
    }
    std::string t = *token;
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    if (t.size() < 16) {
      return common::invalidInput(broker.configPath + ": [board] metrics_token_file " + path +
                                  " must hold a token of at least 16 characters (e.g. from "
                                  "'openssl rand -hex 32')");
    }
    o.metricsToken = t;
  }
  return o;
}

}  // namespace samband::broker
