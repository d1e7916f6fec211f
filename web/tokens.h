// Bearer secrets (session cookies, CSRF tokens, API tokens): 32 random bytes, base64url, and the
// BLAKE2b hash that is all a database keeps of a secret that grants access, so a copy of the
// database cannot be used to log in.
#pragma once

#include <string>

namespace samband::web {

// 32 random bytes, base64url without padding (43 characters). Any thread.
std::string randomToken();
// True when `token` has the shape randomToken() makes (43 base64url characters); anything else
// is refused before it reaches a database.
bool looksLikeToken(const std::string& token);
// BLAKE2b-256 of `token`, 32 raw bytes (stored as a BLOB).
std::string tokenHash(const std::string& token);

}  // namespace samband::web
