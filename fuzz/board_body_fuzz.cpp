// Fuzz target `board_body`: the JSON bodies the board parses from HTTP requests (login, what-if,
// and a directive, broker/board/board_directives.h parseDirectiveRequest) must be refused with a
// message or parsed, never crash. The first byte picks the enrolled list the directive is
// checked against.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "broker/board/board_directives.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nlohmann::json;
  if (size == 0) return 0;
  static const std::vector<std::string> kEnrolled{"556677-8899", "212000-0142"};
  const std::vector<std::string> enrolled = (data[0] & 1) ? kEnrolled : std::vector<std::string>{};
  json body = json::parse(data + 1, data + size, nullptr, false);
  // The shapes the login and what-if routes accept (board_auth.cpp, board_picture_routes.cpp).
  if (body.is_object() && body.contains("name") && body["name"].is_string()) {
    (void)body["name"].get<std::string>();
  }
  if (body.is_object() && body.contains("failing") && body["failing"].is_boolean()) {
    (void)body["failing"].get<bool>();
  }
  auto options = samband::broker::parseDirectiveRequest(body, enrolled);
  if (!options && options.error().message.empty()) __builtin_trap();
  if (options && options->text.empty()) __builtin_trap();
  return 0;
}
