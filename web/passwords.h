// Passwords and account names for every login Samband serves (the broker's board, the agent's
// reporting page): the user-name rule, the password policy, and argon2id hashing with libsodium's
// crypto_pwhash (interactive limits). Passwords are never stored, only their PHC hash strings.
#pragma once

#include <cstddef>
#include <string>

#include "common/result.h"

namespace samband::web {

inline constexpr size_t kMinPasswordChars = 10;
inline constexpr size_t kMaxPasswordBytes = 1024;

// 1-64 characters of [A-Za-z0-9._@-], starting with a letter or digit.
bool isUserName(const std::string& name);
// Length bounds, printable text; the error (invalidInput) says what a good password looks like.
common::Status checkPasswordPolicy(const std::string& password);

// argon2id hash in the PHC string form ("$argon2id$v=19$m=...") with a random salt.
// Errors: out of memory (unavailable). Takes about 0.1 s and 64 MiB. Any thread.
common::Result<std::string> hashPassword(const std::string& password);
// Constant-time verification against a stored hash. False for any malformed hash.
bool verifyPassword(const std::string& hash, const std::string& password);
// True when `hash` was made with other parameters than hashPassword() uses today.
bool passwordNeedsRehash(const std::string& hash);

}  // namespace samband::web
