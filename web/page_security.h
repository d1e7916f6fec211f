// What makes a Samband web page safe to open in a browser, the same for the broker's board and
// the agent's reporting page: the strict Content-Security-Policy (the page runs only its own
// script and loads nothing from another origin) and the other security headers, the session
// cookie's attributes (HttpOnly, SameSite=Strict, Secure on HTTPS), and the same-origin check
// every state-changing request passes besides its CSRF token.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <string>

namespace samband::web {

// The headers every answer carries (set with httplib's set_default_headers). `https` adds
// Strict-Transport-Security.
httplib::Headers securityHeaders(bool https);

// Browsers send Sec-Fetch-Site and Origin on POST; false for a request from another site.
// Non-browser clients send neither and must still present the session's CSRF token.
bool isSameOrigin(const httplib::Request& req);

// The Set-Cookie value for session cookie `name` holding `token` for `maxAgeS` seconds (0 with an
// empty token ends it). `secure` adds the Secure attribute (HTTPS, or behind a TLS proxy).
std::string sessionCookie(const std::string& name, const std::string& token, int64_t maxAgeS,
                          bool secure);

}  // namespace samband::web
