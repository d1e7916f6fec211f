// AccountsStore: the board's account tables (users, their districts, sessions, login_failures)
// as typed calls.
// The rules (password policy, token hashing, lock-out times) live in broker/accounts/; this
// file only reads and writes rows. Typed calls over one Store.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

struct UserRow {
  int64_t id = 0;
  std::string name;
  std::string role;  // as stored: "viewer" | "operator"
  std::string passwordHash;
  int64_t createdAt = 0;
  std::optional<int64_t> lastLoginAt;
  std::optional<int64_t> passwordChangedAt;  // nothing: never changed since the account was made
  std::vector<std::string> districts;        // sorted; empty: every district
  int64_t activeSessions = 0;                // filled by listUsers() only
};

struct SessionRow {
  int64_t userId = 0;
  std::string userName;
  std::string role;
  std::string csrfToken;
  int64_t expiresAt = 0;
  std::vector<std::string> districts;  // the user's, sorted; empty: every district
};

struct NewSessionRow {
  std::string tokenHash;  // raw bytes of the token's hash; never the token itself
  int64_t userId = 0;
  std::string csrfToken;
  int64_t createdAt = 0;
  int64_t expiresAt = 0;
  std::string clientAddr;
};

// One subject's ("user:NAME", "addr:ADDR") failed-login count.
struct LoginFailureRow {
  int64_t failures = 0;
  int64_t lastFailureAt = 0;
  int64_t lockedUntil = 0;
};

// Calls on the connection of `store`; use from the thread that holds it. Every call catches the
// database's exceptions; errors are `unavailable` with the database's message unless stated.
class AccountsStore {
 public:
  explicit AccountsStore(Store& store) : store_(store) {}

  // Adds the user and its `districts` (empty: every district) in one transaction. Errors: the
  // name is taken (conflict).
  common::Status addUser(const std::string& name, const std::string& role,
                         const std::string& passwordHash, int64_t nowMs,
                         const std::vector<std::string>& districts = {});
  // Deletes the user and its sessions in one transaction. Errors: no such user (notFound).
  common::Status removeUser(const std::string& name);
  // Every user by name, with its sessions still live at `nowMs`.
  common::Result<std::vector<UserRow>> listUsers(int64_t nowMs);
  common::Result<std::optional<UserRow>> findUser(const std::string& name);
  // Replaces the password hash of `name`, records `nowMs` as the time of the change and deletes
  // every session of that user except the one whose token hash is `keepTokenHash` (none kept
  // when empty), in one transaction. Returns how many sessions were ended. Errors: no such user
  // (notFound).
  common::Result<int64_t> setPassword(const std::string& name, const std::string& passwordHash,
                                      int64_t nowMs, const std::string& keepTokenHash);
  // Every district named in the roster (units.district), sorted.
  common::Result<std::vector<std::string>> rosterDistricts();
  // Sets last_login_at, and the hash when `newHash` is given.
  common::Status recordLogin(int64_t userId, int64_t nowMs,
                             const std::optional<std::string>& newHash);

  // Deletes sessions expired at `row.createdAt`, then stores `row`.
  common::Status createSession(const NewSessionRow& row);
  // The session with this token hash, live at `nowMs`, joined with its user.
  common::Result<std::optional<SessionRow>> findSession(const std::string& tokenHash,
                                                        int64_t nowMs);
  common::Status endSession(const std::string& tokenHash);
  common::Result<int64_t> countActiveSessions(int64_t nowMs);

  // In one IMMEDIATE transaction, so that concurrent logins are decided one after the other:
  // reads the rows of `subjects` (nothing for a subject without one), lets `change` rewrite them
  // (same order as `subjects`), stores every row it changed (deletes one left without
  // failures), then deletes rows whose last failure is before `forgetBefore`. `change` runs
  // inside the transaction and must not touch the database.
  common::Status updateLoginFailures(
      const std::vector<std::string>& subjects, int64_t forgetBefore,
      const std::function<void(std::vector<std::optional<LoginFailureRow>>& rows)>& change);

 private:
  Store& store_;
};

}  // namespace samband::broker
