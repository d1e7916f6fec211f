// See sessions.h.
#include "broker/accounts/sessions.h"

#include <sodium.h>

#include <array>

#include "broker/store/accounts_store.h"

namespace samband::broker {

namespace {

constexpr size_t kTokenChars = 43;  // base64url of 32 bytes, no padding

bool looksLikeToken(const std::string& token) {
  if (token.size() != kTokenChars) return false;
  for (char c : token) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string tokenHash(const std::string& token) {
  std::array<uint8_t, 32> h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const uint8_t*>(token.data()),
                     token.size(), nullptr, 0);
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

}  // namespace

std::string randomToken() {
  std::array<uint8_t, 32> raw{};
  randombytes_buf(raw.data(), raw.size());
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw.data(), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw.data(), raw.size());
  return std::string(out);
}

common::Result<NewSession> Sessions::create(const Credentials& user, const std::string& clientAddr,
                                            int64_t nowMs, int64_t ttlMs) {
  NewSession out;
  out.token = randomToken();
  out.session.userId = user.id;
  out.session.userName = user.name;
  out.session.role = user.role;
  out.session.csrfToken = randomToken();
  out.session.expiresAt = nowMs + ttlMs;
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
