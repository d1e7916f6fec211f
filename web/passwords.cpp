// See passwords.h.
#include "web/passwords.h"

#include <sodium.h>

#include <cctype>

namespace samband::web {

bool isUserName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '@' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

common::Status checkPasswordPolicy(const std::string& password) {
  // Count characters, not bytes: "lösenordåäö" is as long as it looks.
  size_t chars = 0;
  for (unsigned char c : password) {
    if ((c & 0xC0) != 0x80) ++chars;
    if (c < 0x20 || c == 0x7F) {
      return common::invalidInput(
          "the password contains a control character; use printable "
          "characters only");
    }
  }
  if (chars < kMinPasswordChars) {
    return common::invalidInput("the password is too short; use at least " +
                                std::to_string(kMinPasswordChars) +
                                " characters (a few random words work well)");
  }
  if (password.size() > kMaxPasswordBytes) {
    return common::invalidInput("the password is too long; use at most " +
                                std::to_string(kMaxPasswordBytes) + " bytes");
  }
  return {};
}

common::Result<std::string> hashPassword(const std::string& password) {
  char out[crypto_pwhash_argon2id_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, password.data(), password.size(),
                                 crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) != 0) {
    return common::unavailable(
        "cannot hash the password: out of memory (argon2id needs 64 MiB); "
        "free memory and try again");
  }
  return std::string(out);
}

bool verifyPassword(const std::string& hash, const std::string& password) {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  char stored[crypto_pwhash_STRBYTES] = {};
  hash.copy(stored, hash.size());
  return crypto_pwhash_str_verify(stored, password.data(), password.size()) == 0;
}

bool passwordNeedsRehash(const std::string& hash) {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return true;
  char stored[crypto_pwhash_STRBYTES] = {};
  hash.copy(stored, hash.size());
  return crypto_pwhash_argon2id_str_needs_rehash(stored,
                                                 crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                                                 crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) != 0;
}

}  // namespace samband::web
