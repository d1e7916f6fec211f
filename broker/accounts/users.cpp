// See users.h.
#include "broker/accounts/users.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sodium.h>

#include <cctype>

namespace samband::broker {

const char* roleName(Role role) { return role == Role::operator_ ? "operator" : "viewer"; }

bool parseRole(const std::string& text, Role* out) {
  if (text == "viewer") {
    *out = Role::viewer;
    return true;
  }
  if (text == "operator") {
    *out = Role::operator_;
    return true;
  }
  return false;
}

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

common::Status Users::add(const std::string& name, Role role, const std::string& password,
                          int64_t nowMs) {
  if (!isUserName(name)) {
    return common::invalidInput("\"" + name +
                                "\" is not a valid user name; use 1-64 letters, digits and "
                                ". _ @ - (starting with a letter or digit)");
  }
  if (auto s = checkPasswordPolicy(password); !s) return s;
  auto hash = hashPassword(password);
  if (!hash) return hash.error();
  try {
    SQLite::Statement exists(store_.db(), "SELECT 1 FROM users WHERE name=?");
    exists.bind(1, name);
    if (exists.executeStep()) {
      return common::Error{common::ErrorKind::conflict,
                           "user " + name +
                               " already exists; to change the password or role run "
                               "'samband-broker user remove' and then 'user add' again"};
    }
    SQLite::Statement q(store_.db(),
                        "INSERT INTO users(name, role, password_hash, created_at) VALUES(?,?,?,?)");
    q.bind(1, name);
    q.bind(2, roleName(role));
    q.bind(3, *hash);
    q.bind(4, nowMs);
    q.exec();
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("the user was not stored: ") + e.what() +
                               "; check that the database is writable and try again");
  }
  return {};
}

common::Status Users::remove(const std::string& name) {
  try {
    SQLite::Transaction tx(store_.db());
    SQLite::Statement s(store_.db(),
                        "DELETE FROM sessions WHERE user_id=(SELECT id FROM users WHERE name=?)");
    s.bind(1, name);
    s.exec();
    SQLite::Statement q(store_.db(), "DELETE FROM users WHERE name=?");
    q.bind(1, name);
    if (q.exec() == 0) {
      return common::Error{
          common::ErrorKind::notFound,
          "there is no user " + name + "; see the accounts with 'samband-broker user list'"};
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("the user was not removed: ") + e.what() +
                               "; check that the database is writable and try again");
  }
  return {};
}

std::vector<UserRecord> Users::list(int64_t nowMs) {
  std::vector<UserRecord> out;
  SQLite::Statement q(store_.db(),
                      "SELECT u.id, u.name, u.role, u.created_at, u.last_login_at, "
                      "(SELECT count(*) FROM sessions s WHERE s.user_id=u.id AND s.expires_at>?) "
                      "FROM users u ORDER BY u.name");
  q.bind(1, nowMs);
  while (q.executeStep()) {
    UserRecord r;
    r.id = q.getColumn(0).getInt64();
    r.name = q.getColumn(1).getString();
    parseRole(q.getColumn(2).getString(), &r.role);
    r.createdAt = q.getColumn(3).getInt64();
    if (!q.getColumn(4).isNull()) r.lastLoginAt = q.getColumn(4).getInt64();
    r.activeSessions = q.getColumn(5).getInt64();
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<Credentials> Users::find(const std::string& name) {
  SQLite::Statement q(store_.db(), "SELECT id, name, role, password_hash FROM users WHERE name=?");
  q.bind(1, name);
  if (!q.executeStep()) return std::nullopt;
  Credentials c;
  c.id = q.getColumn(0).getInt64();
  c.name = q.getColumn(1).getString();
  if (!parseRole(q.getColumn(2).getString(), &c.role)) return std::nullopt;
  c.passwordHash = q.getColumn(3).getString();
  return c;
}

void Users::recordLogin(int64_t userId, int64_t nowMs, const std::optional<std::string>& newHash) {
  SQLite::Statement q(store_.db(),
                      "UPDATE users SET last_login_at=?, password_hash=coalesce(?, password_hash) "
                      "WHERE id=?");
  q.bind(1, nowMs);
  if (newHash) {
    q.bind(2, *newHash);
  } else {
    q.bind(2);
  }
  q.bind(3, userId);
  q.exec();
}

}  // namespace samband::broker
