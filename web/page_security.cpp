// See page_security.h.
#include "web/page_security.h"

namespace samband::web {

httplib::Headers securityHeaders(bool https) {
  httplib::Headers headers{
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'"},
      {"X-Frame-Options", "DENY"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"}};
  if (https) headers.emplace("Strict-Transport-Security", "max-age=31536000");
  return headers;
}

bool isSameOrigin(const httplib::Request& req) {
  std::string site = req.get_header_value("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin" && site != "none") return false;
  std::string origin = req.get_header_value("Origin");
  if (origin.empty()) return true;
  auto scheme = origin.find("://");
  if (scheme == std::string::npos) return false;
  return origin.substr(scheme + 3) == req.get_header_value("Host");
}

std::string sessionCookie(const std::string& name, const std::string& token, int64_t maxAgeS,
                          bool secure) {
  std::string c = name + "=" + token +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(maxAgeS);
  if (secure) c += "; Secure";
  return c;
}

}  // namespace samband::web
