// FormAccounts: the accounts of the agent's reporting page (agent/form_server.h) in outbox.db —
// staff on duty with the units each may report for and an argon2id password hash, their login
// sessions (the database keeps only the BLAKE2b hash of the cookie token, and the CSRF token the
// page echoes), and the login throttle's counts. The rules are web/'s, the same as the board's:
// passwords and names (web/passwords.h), tokens (web/tokens.h), throttle
// (web/login_throttle_rules.h). Managed with `samband-agent user add|list|remove`.
//
// Threads: a FormAccounts uses one connection from the thread that holds it. Errors: SQLite
// failures are `unavailable`; bad input is `invalidInput`, a taken name `conflict`, an unknown
// one `notFound`, each with what to do.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "common/result.h"
#include "web/login_throttle_rules.h"

namespace samband::agent {

inline constexpr const char* kFormSessionCookie = "samband_form_session";

struct FormUser {
  int64_t id = 0;
  std::string name;
  std::vector<std::string> units;  // sorted
  std::string passwordHash;        // filled by findUser() only
  int64_t createdAt = 0;
  std::optional<int64_t> lastLoginAt;
  int64_t activeSessions = 0;  // filled by listUsers() only
};

struct FormSession {
  int64_t userId = 0;
  std::string userName;
  std::vector<std::string> units;  // the units the user may report for
  std::string csrfToken;
  int64_t expiresAt = 0;
  bool mayReportFor(const std::string& unit) const;
};

struct NewFormSession {
  std::string token;  // goes into the cookie; never stored
  FormSession session;
};

class FormAccounts {
 public:
  // `db` must outlive this object.
  explicit FormAccounts(SQLite::Database& db) : db_(db) {}

  // Adds an account that may report for `units`, each one of `config`'s units. Checks the name
  // and the password policy, stores only the argon2id hash.
  common::Status addUser(const std::string& name, const std::vector<std::string>& units,
                         const std::string& password, const AgentConfig& config, int64_t nowMs);
  // Deletes the account and ends its sessions.
  common::Status removeUser(const std::string& name);
  // Every account by name, with its live sessions at `nowMs`.
  common::Result<std::vector<FormUser>> listUsers(int64_t nowMs);
  // The account called `name` with its password hash; nothing when there is none.
  common::Result<std::optional<FormUser>> findUser(const std::string& name);
  // Records a successful login; replaces the hash when `newHash` is given (parameter upgrade).
  common::Status recordLogin(int64_t userId, int64_t nowMs,
                             const std::optional<std::string>& newHash);

  // Starts a session for `user` lasting `ttlMs` (and deletes expired ones).
  common::Result<NewFormSession> createSession(const FormUser& user, const std::string& clientAddr,
                                               int64_t nowMs, int64_t ttlMs);
  // The live session for a cookie token, or nothing (unknown, malformed, expired, or the user
  // was removed). Units no longer in `config` are left out of it.
  common::Result<std::optional<FormSession>> findSession(const std::string& token,
                                                         const AgentConfig& config, int64_t nowMs);
  // Ends the session of `token` (logout). Unknown tokens are ignored.
  common::Status endSession(const std::string& token);

  // The login throttle (web/login_throttle_rules.h), each call one write transaction: reserves
  // an attempt before the password is checked, and forgives it when the password was right.
  common::Result<web::LoginAdmission> admitLogin(const std::string& name, const std::string& addr,
                                                 int64_t nowMs,
                                                 const web::ThrottleRules& rules = {});
  common::Status loginSucceeded(const std::string& name, const std::string& addr, int64_t nowMs,
                                const web::ThrottleRules& rules = {});

 private:
  template <typename Change>
  common::Status updateFailures(const std::string& name, const std::string& addr, int64_t nowMs,
                                Change change);

  SQLite::Database& db_;
};

// Checks the units of an account or token (--unit): not empty, no repeats, each one of
// `config`'s units. Errors: invalidInput naming the unit and the agent's units.
common::Status checkAccountUnits(const std::vector<std::string>& units, const AgentConfig& config);

}  // namespace samband::agent
