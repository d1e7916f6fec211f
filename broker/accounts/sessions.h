// Sessions: board logins. The browser holds a random 32-byte token in an HttpOnly cookie; the
// database holds only its BLAKE2b hash (web/tokens.h), so a copy of the database cannot be used
// to log in.
// Each session has a CSRF token the page must echo in a header on every state-changing request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/accounts/users.h"
#include "broker/store/store.h"
#include "common/result.h"
#include "web/tokens.h"

namespace samband::broker {

inline constexpr const char* kSessionCookie = "samband_session";

struct Session {
  int64_t userId = 0;
  std::string userName;
  Role role = Role::viewer;
  std::string csrfToken;
  int64_t expiresAt = 0;
  // The districts whose units the user may see (sorted); empty: every district. Every route
  // that lists units applies it (broker/picture/district_scope.h).
  std::vector<std::string> districts;
};

struct NewSession {
  std::string token;  // goes into the cookie; never stored
  Session session;
};

// Queries on one connection; use from the thread that holds it.
class Sessions {
 public:
  explicit Sessions(Store& store) : store_(store) {}

  // Starts a session for `user` lasting `ttlMs`. Also deletes expired sessions.
  // Errors: database (unavailable).
  common::Result<NewSession> create(const Credentials& user, const std::string& clientAddr,
                                    int64_t nowMs, int64_t ttlMs);
  // The live session for a cookie token, or nothing (unknown, malformed, expired, or the user
  // was removed). Errors: database (unavailable).
  common::Result<std::optional<Session>> find(const std::string& token, int64_t nowMs);
  // Ends the session of `token` (logout). Unknown tokens are ignored. Errors: unavailable.
  common::Status end(const std::string& token);
  // Sessions live at `nowMs`. Errors: database (unavailable).
  common::Result<int64_t> countActive(int64_t nowMs);

 private:
  Store& store_;
};

// 32 random bytes, base64url without padding (43 characters); web/tokens.h.
using web::randomToken;

}  // namespace samband::broker
