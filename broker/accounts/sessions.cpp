// See sessions.h.
#include "broker/accounts/sessions.h"

#include <SQLiteCpp/Statement.h>
#include <sodium.h>

#include <array>

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

std::array<uint8_t, 32> tokenHash(const std::string& token) {
  std::array<uint8_t, 32> h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const uint8_t*>(token.data()),
                     token.size(), nullptr, 0);
  return h;
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
  try {
    SQLite::Statement purge(store_.db(), "DELETE FROM sessions WHERE expires_at<=?");
    purge.bind(1, nowMs);
    purge.exec();
    auto hash = tokenHash(out.token);
    SQLite::Statement q(store_.db(),
                        "INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, "
                        "expires_at, client_addr) VALUES(?,?,?,?,?,?)");
    q.bind(1, hash.data(), static_cast<int>(hash.size()));
    q.bind(2, user.id);
    q.bind(3, out.session.csrfToken);
    q.bind(4, nowMs);
    q.bind(5, out.session.expiresAt);
    q.bind(6, clientAddr);
    q.exec();
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("the session was not stored: ") + e.what());
  }
  return out;
}

std::optional<Session> Sessions::find(const std::string& token, int64_t nowMs) {
  if (!looksLikeToken(token)) return std::nullopt;
  auto hash = tokenHash(token);
  SQLite::Statement q(store_.db(),
                      "SELECT s.user_id, u.name, u.role, s.csrf_token, s.expires_at "
                      "FROM sessions s JOIN users u ON u.id=s.user_id "
                      "WHERE s.token_hash=? AND s.expires_at>?");
  q.bind(1, hash.data(), static_cast<int>(hash.size()));
  q.bind(2, nowMs);
  if (!q.executeStep()) return std::nullopt;
  Session s;
  s.userId = q.getColumn(0).getInt64();
  s.userName = q.getColumn(1).getString();
  if (!parseRole(q.getColumn(2).getString(), &s.role)) return std::nullopt;
  s.csrfToken = q.getColumn(3).getString();
  s.expiresAt = q.getColumn(4).getInt64();
  return s;
}

void Sessions::end(const std::string& token) {
  if (!looksLikeToken(token)) return;
  auto hash = tokenHash(token);
  SQLite::Statement q(store_.db(), "DELETE FROM sessions WHERE token_hash=?");
  q.bind(1, hash.data(), static_cast<int>(hash.size()));
  q.exec();
}

int64_t Sessions::countActive(int64_t nowMs) {
  SQLite::Statement q(store_.db(), "SELECT count(*) FROM sessions WHERE expires_at>?");
  q.bind(1, nowMs);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

}  // namespace samband::broker
