// See form_accounts.h.
#include "agent/form_accounts.h"

#include <algorithm>
#include <set>

#include "agent/database.h"
#include "web/passwords.h"
#include "web/tokens.h"

namespace samband::agent {

namespace {

common::Error storage(const SQLite::Database& db, const std::string& what,
                      const std::exception& e) {
  return common::unavailable("cannot " + what + " in " + db.getFilename() + ": " + e.what() +
                             "; check that the file is writable and try again");
}

std::string unitList(const AgentConfig& config) {
  std::string out;
  for (size_t i = 0; i < config.units.size(); ++i) out += (i ? ", " : "") + config.units[i];
  return out;
}

std::vector<std::string> unitsOf(SQLite::Database& db, const char* sql, int64_t id) {
  std::vector<std::string> units;
  SQLite::Statement q(db, sql);
  q.bind(1, id);
  while (q.executeStep()) units.push_back(q.getColumn(0).getString());
  return units;
}

std::vector<std::string> userUnits(SQLite::Database& db, int64_t userId) {
  return unitsOf(db, "SELECT unit FROM form_user_units WHERE user_id = ? ORDER BY unit", userId);
}

}  // namespace

bool FormSession::mayReportFor(const std::string& unit) const {
  return std::find(units.begin(), units.end(), unit) != units.end();
}

common::Status checkAccountUnits(const std::vector<std::string>& units, const AgentConfig& config) {
  if (units.empty()) {
    return common::invalidInput("give at least one --unit: one of this agent's units (" +
                                unitList(config) + ")");
  }
  std::set<std::string> seen;
  for (const auto& unit : units) {
    if (!config.ownsUnit(unit)) {
      return common::invalidInput("--unit '" + unit + "' is not one of this agent's units (" +
                                  unitList(config) + ") in " + config.configPath +
                                  "; give one of those");
    }
    if (!seen.insert(unit).second) {
      return common::invalidInput("--unit '" + unit + "' is given twice; give each unit once");
    }
  }
  return {};
}

common::Status FormAccounts::addUser(const std::string& name, const std::vector<std::string>& units,
                                     const std::string& password, const AgentConfig& config,
                                     int64_t nowMs) {
  if (!web::isUserName(name)) {
    return common::invalidInput("\"" + name +
                                "\" is not a valid user name; use 1-64 letters, digits and "
                                ". _ @ - (starting with a letter or digit)");
  }
  if (auto s = checkAccountUnits(units, config); !s) return s;
  if (auto s = web::checkPasswordPolicy(password); !s) return s;
  auto hash = web::hashPassword(password);
  if (!hash) return hash.error();
  try {
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    {
      SQLite::Statement taken(db_, "SELECT 1 FROM form_users WHERE name = ?");
      taken.bind(1, name);
      if (taken.executeStep()) {
        return common::Error{common::ErrorKind::conflict,
                             "user " + name +
                                 " already exists; to change the password or units run "
                                 "'samband-agent user remove' and then 'user add' again"};
      }
    }
    SQLite::Statement ins(
        db_, "INSERT INTO form_users (name, password_hash, created_at) VALUES (?,?,?)");
    ins.bind(1, name);
    ins.bind(2, *hash);
    ins.bind(3, nowMs);
    ins.exec();
    const int64_t id = db_.getLastInsertRowid();
    SQLite::Statement unit(db_, "INSERT INTO form_user_units (user_id, unit) VALUES (?,?)");
    for (const auto& u : units) {
      unit.reset();
      unit.bind(1, id);
      unit.bind(2, u);
      unit.exec();
    }
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return storage(db_, "store the user", e);
  }
}

common::Status FormAccounts::removeUser(const std::string& name) {
  try {
    SQLite::Statement del(db_, "DELETE FROM form_users WHERE name = ?");
    del.bind(1, name);
    if (del.exec() == 0) {
      return common::Error{
          common::ErrorKind::notFound,
          "there is no user " + name + "; see the accounts with 'samband-agent user list'"};
    }
    return {};
  } catch (const std::exception& e) {
    return storage(db_, "remove the user", e);
  }
}

common::Result<std::vector<FormUser>> FormAccounts::listUsers(int64_t nowMs) {
  std::vector<FormUser> out;
  try {
    SQLite::Statement q(db_,
                        "SELECT u.id, u.name, u.created_at, u.last_login_at, (SELECT COUNT(*) "
                        "FROM form_sessions s WHERE s.user_id = u.id AND s.expires_at > ?) "
                        "FROM form_users u ORDER BY u.name");
    q.bind(1, nowMs);
    while (q.executeStep()) {
      FormUser u;
      u.id = q.getColumn(0).getInt64();
      u.name = q.getColumn(1).getString();
      u.createdAt = q.getColumn(2).getInt64();
      if (!q.getColumn(3).isNull()) u.lastLoginAt = q.getColumn(3).getInt64();
      u.activeSessions = q.getColumn(4).getInt64();
      out.push_back(std::move(u));
    }
    for (auto& u : out) u.units = userUnits(db_, u.id);
  } catch (const std::exception& e) {
    return storage(db_, "read the users", e);
  }
  return out;
}

common::Result<std::optional<FormUser>> FormAccounts::findUser(const std::string& name) {
  try {
    SQLite::Statement q(db_,
                        "SELECT id, name, password_hash, created_at, last_login_at FROM "
                        "form_users WHERE name = ?");
    q.bind(1, name);
    if (!q.executeStep()) return std::optional<FormUser>();
    FormUser u;
    u.id = q.getColumn(0).getInt64();
    u.name = q.getColumn(1).getString();
    u.passwordHash = q.getColumn(2).getString();
    u.createdAt = q.getColumn(3).getInt64();
    if (!q.getColumn(4).isNull()) u.lastLoginAt = q.getColumn(4).getInt64();
    u.units = userUnits(db_, u.id);
    return std::optional<FormUser>(std::move(u));
  } catch (const std::exception& e) {
    return storage(db_, "read the user", e);
  }
}

common::Status FormAccounts::recordLogin(int64_t userId, int64_t nowMs,
                                         const std::optional<std::string>& newHash) {
  try {
    SQLite::Statement u(db_,
                        "UPDATE form_users SET last_login_at = ?, password_hash = "
                        "COALESCE(?, password_hash) WHERE id = ?");
    u.bind(1, nowMs);
    if (newHash) {
      u.bind(2, *newHash);
    } else {
      u.bind(2);
    }
    u.bind(3, userId);
    u.exec();
    return {};
  } catch (const std::exception& e) {
    return storage(db_, "record the login", e);
  }
}

common::Result<NewFormSession> FormAccounts::createSession(const FormUser& user,
                                                           const std::string& clientAddr,
                                                           int64_t nowMs, int64_t ttlMs) {
  NewFormSession out;
  out.token = web::randomToken();
  out.session.userId = user.id;
  out.session.userName = user.name;
  out.session.units = user.units;
  out.session.csrfToken = web::randomToken();
  out.session.expiresAt = nowMs + ttlMs;
  try {
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement old(db_, "DELETE FROM form_sessions WHERE expires_at <= ?");
    old.bind(1, nowMs);
    old.exec();
    SQLite::Statement ins(db_,
                          "INSERT INTO form_sessions (token_hash, user_id, csrf_token, created_at, "
                          "expires_at, client_addr) VALUES (?,?,?,?,?,?)");
    const std::string hash = web::tokenHash(out.token);
    ins.bind(1, hash.data(), static_cast<int>(hash.size()));
    ins.bind(2, user.id);
    ins.bind(3, out.session.csrfToken);
    ins.bind(4, nowMs);
    ins.bind(5, out.session.expiresAt);
    ins.bind(6, clientAddr);
    ins.exec();
    tx.commit();
  } catch (const std::exception& e) {
    return storage(db_, "store the session", e);
  }
  return out;
}

common::Result<std::optional<FormSession>> FormAccounts::findSession(const std::string& token,
                                                                     const AgentConfig& config,
                                                                     int64_t nowMs) {
  if (!web::looksLikeToken(token)) return std::optional<FormSession>();
  try {
    SQLite::Statement q(db_,
                        "SELECT s.user_id, u.name, s.csrf_token, s.expires_at FROM form_sessions s "
                        "JOIN form_users u ON u.id = s.user_id WHERE s.token_hash = ? AND "
                        "s.expires_at > ?");
    const std::string hash = web::tokenHash(token);
    q.bind(1, hash.data(), static_cast<int>(hash.size()));
    q.bind(2, nowMs);
    if (!q.executeStep()) return std::optional<FormSession>();
    FormSession s;
    s.userId = q.getColumn(0).getInt64();
    s.userName = q.getColumn(1).getString();
    s.csrfToken = q.getColumn(2).getString();
    s.expiresAt = q.getColumn(3).getInt64();
    q.reset();
    for (auto& unit : userUnits(db_, s.userId)) {
      if (config.ownsUnit(unit)) s.units.push_back(std::move(unit));
    }
    return std::optional<FormSession>(std::move(s));
  } catch (const std::exception& e) {
    return storage(db_, "read the session", e);
  }
}

common::Status FormAccounts::endSession(const std::string& token) {
  if (!web::looksLikeToken(token)) return {};
  try {
    SQLite::Statement del(db_, "DELETE FROM form_sessions WHERE token_hash = ?");
    const std::string hash = web::tokenHash(token);
    del.bind(1, hash.data(), static_cast<int>(hash.size()));
    del.exec();
    return {};
  } catch (const std::exception& e) {
    return storage(db_, "end the session", e);
  }
}

template <typename Change>
common::Status FormAccounts::updateFailures(const std::string& name, const std::string& addr,
                                            int64_t nowMs, Change change) {
  const auto subjects = web::throttleSubjects(name, addr);
  try {
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    // Guessed names must not grow the table for ever: old rows go in the same transaction.
    SQLite::Statement old(db_, "DELETE FROM form_login_failures WHERE last_failure_at < ?");
    old.bind(1, nowMs - web::kKeepFailureRowsMs);
    old.exec();
    web::FailureRows rows;
    SQLite::Statement q(db_,
                        "SELECT failures, last_failure_at, locked_until FROM form_login_failures "
                        "WHERE subject = ?");
    for (size_t i = 0; i < subjects.size(); ++i) {
      q.reset();
      q.bind(1, subjects[i]);
      if (q.executeStep()) {
        rows[i] = web::FailureCount{q.getColumn(0).getInt64(), q.getColumn(1).getInt64(),
                                    q.getColumn(2).getInt64()};
      }
    }
    change(rows);
    SQLite::Statement put(db_,
                          "INSERT INTO form_login_failures (subject, failures, last_failure_at, "
                          "locked_until) VALUES (?,?,?,?) ON CONFLICT (subject) DO UPDATE SET "
                          "failures = excluded.failures, last_failure_at = "
                          "excluded.last_failure_at, locked_until = excluded.locked_until");
    SQLite::Statement del(db_, "DELETE FROM form_login_failures WHERE subject = ?");
    for (size_t i = 0; i < subjects.size(); ++i) {
      if (!rows[i] || rows[i]->failures <= 0) {
        del.reset();
        del.bind(1, subjects[i]);
        del.exec();
        continue;
      }
      put.reset();
      put.bind(1, subjects[i]);
      put.bind(2, rows[i]->failures);
      put.bind(3, rows[i]->lastFailureAt);
      put.bind(4, rows[i]->lockedUntil);
      put.exec();
    }
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return storage(db_, "count the login attempt", e);
  }
}

common::Result<web::LoginAdmission> FormAccounts::admitLogin(const std::string& name,
                                                             const std::string& addr, int64_t nowMs,
                                                             const web::ThrottleRules& rules) {
  web::LoginAdmission out;
  if (auto s = updateFailures(
          name, addr, nowMs,
          [&](web::FailureRows& rows) { out = web::admitAttempt(rows, rules, nowMs); });
      !s) {
    return s.error();
  }
  return out;
}

common::Status FormAccounts::loginSucceeded(const std::string& name, const std::string& addr,
                                            int64_t nowMs, const web::ThrottleRules& rules) {
  return updateFailures(name, addr, nowMs,
                        [&](web::FailureRows& rows) { web::forgiveAttempt(rows, rules); });
}

}  // namespace samband::agent
