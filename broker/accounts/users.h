// Users: the board's accounts (name, role, districts, argon2id password hash) in the broker
// database. Managed with `samband-broker user add|list|remove|passwd`; read by the board at
// login, and a user changes their own password on the board. A user limited to districts sees
// only those districts' units (docs/board.md, "Accounts and roles"). Passwords
// are hashed with libsodium's crypto_pwhash (argon2id, interactive limits; web/passwords.h) and
// never stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/accounts_store.h"
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

// A district name as `user add --district` takes it: 1-100 bytes of UTF-8 text without control
// characters, not only blanks. It must match the roster's district exactly to show any unit.
bool isDistrictName(const std::string& text);

struct UserRecord {
  int64_t id = 0;
  std::string name;
  Role role = Role::viewer;
  int64_t createdAt = 0;
  std::optional<int64_t> lastLoginAt;
  std::optional<int64_t> passwordChangedAt;
  std::vector<std::string> districts;  // sorted; empty: every district
  int64_t activeSessions = 0;
};

struct Credentials {
  int64_t id = 0;
  std::string name;
  Role role = Role::viewer;
  std::string passwordHash;
  std::vector<std::string> districts;  // sorted; empty: every district
};

// Queries on one connection; use from the thread that holds it.
class Users {
 public:
  explicit Users(Store& store) : store_(store) {}

  // Adds an account, limited to `districts` when any are given (empty: every district).
  // Errors: invalid name, password or district name (invalidInput), name taken (conflict),
  // database (unavailable).
  // `record` (the city's signed account record, docs/replication.md) runs in the same
  // transaction; its error undoes the change. The same for setPassword and remove.
  common::Status add(const std::string& name, Role role, const std::string& password, int64_t nowMs,
                     const std::vector<std::string>& districts = {},
                     const AccountHook& record = nullptr);
  // Sets a new password for `name` (the password policy applies) and ends every session of that
  // user except the one holding the cookie token `keepSessionToken` (all of them when it is
  // empty: the CLI's reset). Returns how many sessions ended. Errors: policy (invalidInput), no
  // such user (notFound), database (unavailable).
  common::Result<int64_t> setPassword(const std::string& name, const std::string& password,
                                      int64_t nowMs, const std::string& keepSessionToken = "",
                                      const AccountHook& record = nullptr);
  // Gives `name` the role `role` and the districts `districts` (empty: every district) and ends
  // every session of the account. Returns how many sessions ended. Errors: an invalid district
  // name (invalidInput), no such user (notFound), database (unavailable).
  common::Result<int64_t> setAccess(const std::string& name, Role role,
                                    const std::vector<std::string>& districts, int64_t nowMs,
                                    const AccountHook& record = nullptr);
  // The districts named in the roster, to warn about a district no unit has. Errors: unavailable.
  common::Result<std::vector<std::string>> rosterDistricts();
  // Deletes the account and ends all its sessions. Errors: no such user (notFound).
  common::Status remove(const std::string& name, int64_t nowMs = 0,
                        const AccountHook& record = nullptr);
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
