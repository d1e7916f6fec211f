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
#include "common/bytes.h"
#include "common/messages.h"
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

// What a peer's account record changed here (AccountsStore::applyAccount).
struct AccountOutcome {
  bool changed = false;
  // Parts not applied, each one sentence naming the account and what the operator can do.
  std::vector<std::string> conflicts;
};

// The city's signed record of an account change (common::AccountMsg, never the hash), written
// by the caller in the transaction of the change; its error undoes the change.
using AccountHook = std::function<common::Status(const common::AccountMsg&)>;

// Calls on the connection of `store`; use from the thread that holds it. Every call catches the
// database's exceptions; errors are `unavailable` with the database's message unless stated.
class AccountsStore {
 public:
  explicit AccountsStore(Store& store) : store_(store) {}

  // Adds the user and its `districts` (empty: every district) in one transaction, with the
  // hash kept under its digest for the peers (docs/decisions/0014-replicated-board-accounts.md)
  // and `alsoInTransaction` given the account's record. Errors: the name is taken (conflict).
  common::Status addUser(const std::string& name, const std::string& role,
                         const std::string& passwordHash, int64_t nowMs,
                         const std::vector<std::string>& districts = {},
                         const AccountHook& alsoInTransaction = nullptr);
  // Deletes the user and its sessions in one transaction, remembering the removal at `nowMs`;
  // `alsoInTransaction` gets the removal record. Errors: no such user (notFound).
  common::Status removeUser(const std::string& name, int64_t nowMs = 0,
                            const AccountHook& alsoInTransaction = nullptr);
  // Every user by name, with its sessions still live at `nowMs`.
  common::Result<std::vector<UserRow>> listUsers(int64_t nowMs);
  common::Result<std::optional<UserRow>> findUser(const std::string& name);
  // Replaces the password hash of `name`, records `nowMs` as the time of the change and deletes
  // every session of that user except the one whose token hash is `keepTokenHash` (none kept
  // when empty), in one transaction. Returns how many sessions were ended. Errors: no such user
  // (notFound).
  // `alsoInTransaction` gets the account's new record.
  common::Result<int64_t> setPassword(const std::string& name, const std::string& passwordHash,
                                      int64_t nowMs, const std::string& keepTokenHash,
                                      const AccountHook& alsoInTransaction = nullptr);
  // Sets the role of `name` and its districts (empty: every district), records `nowMs` as the
  // time of the change and deletes every session of the user (an open page must not keep a scope
  // or role it no longer has), in one transaction. Returns how many sessions were ended.
  // `alsoInTransaction` gets the account's new record (same password digest). Errors: no such
  // user (notFound).
  common::Result<int64_t> setAccess(const std::string& name, const std::string& role,
                                    const std::vector<std::string>& districts, int64_t nowMs,
                                    const AccountHook& alsoInTransaction = nullptr);

  // Replication of accounts (issue 15, docs/decisions/0014-replicated-board-accounts.md).
  // The password hash whose BLAKE2b-256 is `digest`, if this broker keeps it (its own accounts'
  // and those pulled from a peer). Errors: unavailable.
  common::Result<std::optional<std::string>> hashFor(const common::Bytes& digest);
  // Keeps hashes a peer sent beside its frames, each under the digest computed here, so only a
  // signed record naming that digest can ever give one to an account. Errors: unavailable.
  common::Status keepPulledHashes(const std::vector<std::string>& hashes);
  // Applies a peer broker's account record set at `atMs` (its sentAt): the newest change of an
  // account wins, a removal is remembered so an older record does not bring the account back.
  // `set` takes the hash kept for its digest; without it the account cannot log in (named in
  // `conflicts`) until a record with a hash arrives. A new password ends the account's sessions
  // here, as a local change does. Does not begin a transaction: the caller holds the write
  // transaction that archives the record. Errors: unavailable.
  common::Result<AccountOutcome> applyAccount(const common::AccountMsg& record, int64_t atMs);
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
