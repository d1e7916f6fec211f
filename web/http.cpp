// See http.h.
#include "web/http.h"

#include <httplib.h>
#include <sodium.h>

#include <algorithm>

namespace samband::web {

namespace {
constexpr const char* kJson = "application/json; charset=utf-8";
}  // namespace

void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), kJson);
}

void problem(httplib::Response& res, int status, const std::string& code,
             const std::string& message) {
  reply(res, status, {{"error", code}, {"message", message}});
}

bool isJsonRequest(const httplib::Request& req) {
  std::string type = req.get_header_value("Content-Type");
  return type.rfind("application/json", 0) == 0;
}

int64_t clampParam(const httplib::Request& req, const char* name, int64_t fallback, int64_t min,
                   int64_t max) {
  if (!req.has_param(name)) return fallback;
  try {
    int64_t v = std::stoll(req.get_param_value(name));
    return std::clamp(v, min, max);
  } catch (const std::exception&) {
    return fallback;
  }
}

std::string cookieValue(const httplib::Request& req, const std::string& name) {
  for (size_t i = 0; i < req.get_header_value_count("Cookie"); ++i) {
    const std::string header = req.get_header_value("Cookie", i);
    size_t pos = 0;
    while (pos < header.size()) {
      size_t end = header.find(';', pos);
      if (end == std::string::npos) end = header.size();
      std::string part = header.substr(pos, end - pos);
      size_t start = part.find_first_not_of(' ');
      if (start != std::string::npos) part = part.substr(start);
      if (part.size() > name.size() && part.compare(0, name.size(), name) == 0 &&
          part[name.size()] == '=') {
        return part.substr(name.size() + 1);
      }
      pos = end + 1;
    }
  }
  return "";
}

bool equalSecret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace samband::web
