// Users: the board's accounts (name, role, argon2id password hash) in the broker database.
// Managed with `samband-broker user add|list|remove`; read by the board at login. Passwords
// are hashed with libsodium's crypto_pwhash (argon2id, interactive limits; web/passwords.h) and
// never stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/result.h"
#include "web/passwords.h"

namespace samband::broker {

// viewer: reads everything on the board. operator: also the operator actions (docs/board.md).
enum class Role { viewer, operator_ };

const char* roleName(Role role);  // "viewer" | "operator"
bool parseRole(const std::string& text, Role* out);

// The password and user-name rules are web/'s, shared with the agent's reporting page.
using web::checkPasswordPolicy;
using web::hashPassword;
using web::isUserName;
using web::kMaxPasswordBytes;
using web::kMinPasswordChars;
using web::passwordNeedsRehash;
using web::verifyPassword;

struct UserRecord {
  int64_t id = 0;
  std::string name;
  Role role = Role::viewer;
  int64_t createdAt = 0;
  std::optional<int64_t> lastLoginAt;
  int64_t activeSessions = 0;
};

struct Credentials {
  int64_t id = 0;
  std::string name;
  Role role = Role::viewer;
  std::string passwordHash;
};

// Queries on one connection; use from the thread that holds it.
class Users {
 public:
  explicit Users(Store& store) : store_(store) {}

  // Adds an account. Errors: invalid name or password (invalidInput), name taken (conflict),
  // database (unavailable).
  common::Status add(const std::string& name, Role role, const std::string& password,
                     int64_t nowMs);
  // Deletes the account and ends all its sessions. Errors: no such user (notFound).
  common::Status remove(const std::string& name);
  // Every account by name, with its live sessions at `nowMs`. Errors: database (unavailable).
  common::Result<std::vector<UserRecord>> list(int64_t nowMs);
  // The account called `name`; nothing when there is none or its stored role is unknown.
  // Errors: database (unavailable).
  common::Result<std::optional<Credentials>> find(const std::string& name);
  // Records a successful login; replaces the hash when `newHash` is given (parameter upgrade).
  // Errors: database (unavailable).
  common::Status recordLogin(int64_t userId, int64_t nowMs,
                             const std::optional<std::string>& newHash);

 private:
  Store& store_;
};

}  // namespace samband::broker
