// See sessions.h.
#include "broker/accounts/sessions.h"

#include "broker/store/accounts_store.h"

namespace samband::broker {

using web::looksLikeToken;
using web::tokenHash;

common::Result<NewSession> Sessions::create(const Credentials& user, const std::string& clientAddr,
                                            int64_t nowMs, int64_t ttlMs) {
  NewSession out;
  out.token = randomToken();
  out.session.userId = user.id;
  out.session.userName = user.name;
  out.session.role = user.role;
  out.session.csrfToken = randomToken();
  out.session.expiresAt = nowMs + ttlMs;
  out.session.districts = user.districts;
  NewSessionRow row;
  row.tokenHash = tokenHash(out.token);
  row.userId = user.id;
  row.csrfToken = out.session.csrfToken;
  row.createdAt = nowMs;
  row.expiresAt = out.session.expiresAt;
  row.clientAddr = clientAddr;
  if (auto s = AccountsStore(store_).createSession(row); !s) {
    return common::unavailable("the session was not stored: " + s.error().message);
  }
  return out;
}

common::Result<std::optional<Session>> Sessions::find(const std::string& token, int64_t nowMs) {
  if (!looksLikeToken(token)) return std::optional<Session>();
  auto row = AccountsStore(store_).findSession(tokenHash(token), nowMs);
  if (!row) return row.error();
  if (!*row) return std::optional<Session>();
  Session s;
  s.userId = (*row)->userId;
  s.userName = (*row)->userName;
  if (!parseRole((*row)->role, &s.role)) return std::optional<Session>();
  s.csrfToken = (*row)->csrfToken;
  s.expiresAt = (*row)->expiresAt;
  s.districts = (*row)->districts;
  return std::optional<Session>(std::move(s));
}

common::Status Sessions::end(const std::string& token) {
  if (!looksLikeToken(token)) return {};
  return AccountsStore(store_).endSession(tokenHash(token));
}

common::Result<int64_t> Sessions::countActive(int64_t nowMs) {
  return AccountsStore(store_).countActiveSessions(nowMs);
}

}  // namespace samband::broker
