// The listen address of a Samband web server ("127.0.0.1:8080", "[::1]:8090"), as written in
// broker.toml [board] listen and agent.toml [form] listen.
#pragma once

#include <string>
#include <utility>

#include "common/result.h"

namespace samband::web {

// Splits "host:port" or "[v6]:port". Port 0 means any free port. Errors (invalidInput) say what
// to write, with `examplePort` in the examples.
common::Result<std::pair<std::string, int>> parseHostPort(const std::string& listen,
                                                          int examplePort = 8080);

}  // namespace samband::web
