// See tokens.h.
#include "web/tokens.h"

#include <sodium.h>

#include <array>
#include <cstdint>

namespace samband::web {

namespace {
constexpr size_t kTokenChars = 43;  // base64url of 32 bytes, no padding
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

}  // namespace samband::web
