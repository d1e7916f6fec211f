// See accounts_store.h.
#include "broker/store/accounts_store.h"

#include "broker/store/columns.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

namespace samband::broker {

using common::Result;
using common::Status;

namespace {

// The districts of user `userId`, sorted.
std::vector<std::string> districtsOf(SQLite::Database& db, int64_t userId) {
  std::vector<std::string> out;
  SQLite::Statement q(db, "SELECT district FROM user_districts WHERE user_id=? ORDER BY district");
  q.bind(1, userId);
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

}  // namespace

Status AccountsStore::addUser(const std::string& name, const std::string& role,
                              const std::string& passwordHash, int64_t nowMs,
                              const std::vector<std::string>& districts) {
  try {
    SQLite::Transaction tx(store_.db());
    SQLite::Statement exists(store_.db(), "SELECT 1 FROM users WHERE name=?");
    exists.bind(1, name);
    if (exists.executeStep()) {
      return common::Error{common::ErrorKind::conflict, "user " + name + " already exists"};
    }
    SQLite::Statement q(store_.db(),
                        "INSERT INTO users(name, role, password_hash, created_at) VALUES(?,?,?,?)");
    q.bind(1, name);
    q.bind(2, role);
    q.bind(3, passwordHash);
    q.bind(4, nowMs);
    q.exec();
    const int64_t id = store_.db().getLastInsertRowid();
    for (const auto& district : districts) {
      SQLite::Statement d(store_.db(),
                          "INSERT OR IGNORE INTO user_districts(user_id, district) VALUES(?,?)");
      d.bind(1, id);
      d.bind(2, district);
      d.exec();
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return {};
}

Status AccountsStore::removeUser(const std::string& name) {
  try {
    SQLite::Transaction tx(store_.db());
    for (const char* sql :
         {"DELETE FROM sessions WHERE user_id=(SELECT id FROM users WHERE name=?)",
          "DELETE FROM user_districts WHERE user_id=(SELECT id FROM users WHERE name=?)"}) {
      SQLite::Statement s(store_.db(), sql);
      s.bind(1, name);
      s.exec();
    }
    SQLite::Statement q(store_.db(), "DELETE FROM users WHERE name=?");
    q.bind(1, name);
    if (q.exec() == 0) {
      return common::Error{common::ErrorKind::notFound, "there is no user " + name};
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return {};
}

Result<std::vector<UserRow>> AccountsStore::listUsers(int64_t nowMs) {
  std::vector<UserRow> out;
  try {
    SQLite::Statement q(
        store_.db(),
        "SELECT u.id, u.name, u.role, u.created_at, u.last_login_at, "
        "(SELECT count(*) FROM sessions s WHERE s.user_id=u.id AND s.expires_at>?), "
        "u.password_changed_at FROM users u ORDER BY u.name");
    q.bind(1, nowMs);
    while (q.executeStep()) {
      UserRow r;
      r.id = q.getColumn(0).getInt64();
      r.name = q.getColumn(1).getString();
      r.role = q.getColumn(2).getString();
      r.createdAt = q.getColumn(3).getInt64();
      r.lastLoginAt = columns::optionalInt(q.getColumn(4));
      r.activeSessions = q.getColumn(5).getInt64();
      r.passwordChangedAt = columns::optionalInt(q.getColumn(6));
      out.push_back(std::move(r));
    }
    for (auto& r : out) r.districts = districtsOf(store_.db(), r.id);
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return out;
}

Result<std::optional<UserRow>> AccountsStore::findUser(const std::string& name) {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT id, name, role, password_hash, created_at, last_login_at, "
                        "password_changed_at FROM users WHERE name=?");
    q.bind(1, name);
    if (!q.executeStep()) return std::optional<UserRow>();
    UserRow r;
    r.id = q.getColumn(0).getInt64();
    r.name = q.getColumn(1).getString();
    r.role = q.getColumn(2).getString();
    r.passwordHash = q.getColumn(3).getString();
    r.createdAt = q.getColumn(4).getInt64();
    r.lastLoginAt = columns::optionalInt(q.getColumn(5));
    r.passwordChangedAt = columns::optionalInt(q.getColumn(6));
    r.districts = districtsOf(store_.db(), r.id);
    return std::optional<UserRow>(std::move(r));
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
}

Result<int64_t> AccountsStore::setPassword(const std::string& name, const std::string& passwordHash,
                                           int64_t nowMs, const std::string& keepTokenHash) {
  try {
    SQLite::Transaction tx(store_.db(), SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement u(store_.db(),
                        "UPDATE users SET password_hash=?, password_changed_at=? WHERE name=?");
    u.bind(1, passwordHash);
    u.bind(2, nowMs);
    u.bind(3, name);
    if (u.exec() == 0) {
      return common::Error{common::ErrorKind::notFound, "there is no user " + name};
    }
    SQLite::Statement s(store_.db(),
                        "DELETE FROM sessions WHERE user_id=(SELECT id FROM users WHERE name=?) "
                        "AND token_hash IS NOT ?");
    s.bind(1, name);
    if (keepTokenHash.empty()) {
      s.bind(2);  // NULL: IS NOT NULL holds for every row, so every session ends
    } else {
      s.bind(2, keepTokenHash.data(), static_cast<int>(keepTokenHash.size()));
    }
    const int64_t ended = s.exec();
    tx.commit();
    return ended;
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
}

Result<std::vector<std::string>> AccountsStore::rosterDistricts() {
  std::vector<std::string> out;
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT DISTINCT district FROM units WHERE district IS NOT NULL AND "
                        "district<>'' ORDER BY district");
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return out;
}

Status AccountsStore::recordLogin(int64_t userId, int64_t nowMs,
                                  const std::optional<std::string>& newHash) {
  try {
    SQLite::Statement q(store_.db(),
                        "UPDATE users SET last_login_at=?, password_hash=coalesce(?, "
                        "password_hash) WHERE id=?");
    q.bind(1, nowMs);
    columns::bindOptional(q, 2, newHash);
    q.bind(3, userId);
    q.exec();
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return {};
}

Status AccountsStore::createSession(const NewSessionRow& row) {
  try {
    SQLite::Statement purge(store_.db(), "DELETE FROM sessions WHERE expires_at<=?");
    purge.bind(1, row.createdAt);
    purge.exec();
    SQLite::Statement q(store_.db(),
                        "INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, "
                        "expires_at, client_addr) VALUES(?,?,?,?,?,?)");
    q.bind(1, row.tokenHash.data(), static_cast<int>(row.tokenHash.size()));
    q.bind(2, row.userId);
    q.bind(3, row.csrfToken);
    q.bind(4, row.createdAt);
    q.bind(5, row.expiresAt);
    q.bind(6, row.clientAddr);
    q.exec();
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return {};
}

Result<std::optional<SessionRow>> AccountsStore::findSession(const std::string& tokenHash,
                                                             int64_t nowMs) {
  try {
    SQLite::Statement q(store_.db(),
                        "SELECT s.user_id, u.name, u.role, s.csrf_token, s.expires_at "
                        "FROM sessions s JOIN users u ON u.id=s.user_id "
                        "WHERE s.token_hash=? AND s.expires_at>?");
    q.bind(1, tokenHash.data(), static_cast<int>(tokenHash.size()));
    q.bind(2, nowMs);
    if (!q.executeStep()) return std::optional<SessionRow>();
    SessionRow s;
    s.userId = q.getColumn(0).getInt64();
    s.userName = q.getColumn(1).getString();
    s.role = q.getColumn(2).getString();
    s.csrfToken = q.getColumn(3).getString();
    s.expiresAt = q.getColumn(4).getInt64();
    s.districts = districtsOf(store_.db(), s.userId);
    return std::optional<SessionRow>(std::move(s));
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
}

Status AccountsStore::endSession(const std::string& tokenHash) {
  try {
    SQLite::Statement q(store_.db(), "DELETE FROM sessions WHERE token_hash=?");
    q.bind(1, tokenHash.data(), static_cast<int>(tokenHash.size()));
    q.exec();
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return {};
}

Result<int64_t> AccountsStore::countActiveSessions(int64_t nowMs) {
  try {
    SQLite::Statement q(store_.db(), "SELECT count(*) FROM sessions WHERE expires_at>?");
    q.bind(1, nowMs);
    q.executeStep();
    return q.getColumn(0).getInt64();
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
}

Status AccountsStore::updateLoginFailures(
    const std::vector<std::string>& subjects, int64_t forgetBefore,
    const std::function<void(std::vector<std::optional<LoginFailureRow>>&)>& change) {
  try {
    auto& db = store_.db();
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    std::vector<std::optional<LoginFailureRow>> rows;
    for (const auto& subject : subjects) {
      SQLite::Statement q(db,
                          "SELECT failures, last_failure_at, locked_until FROM login_failures "
                          "WHERE subject=?");
      q.bind(1, subject);
      rows.emplace_back();
      if (q.executeStep()) {
        rows.back() = LoginFailureRow{q.getColumn(0).getInt64(), q.getColumn(1).getInt64(),
                                      q.getColumn(2).getInt64()};
      }
    }
    const auto before = rows;
    change(rows);
    auto same = [](const std::optional<LoginFailureRow>& a,
                   const std::optional<LoginFailureRow>& b) {
      if (a.has_value() != b.has_value()) return false;
      return !a || (a->failures == b->failures && a->lastFailureAt == b->lastFailureAt &&
                    a->lockedUntil == b->lockedUntil);
    };
    for (size_t i = 0; i < subjects.size() && i < rows.size(); ++i) {
      if (same(rows[i], before[i])) continue;
      if (!rows[i] || rows[i]->failures <= 0) {
        SQLite::Statement q(db, "DELETE FROM login_failures WHERE subject=?");
        q.bind(1, subjects[i]);
        q.exec();
        continue;
      }
      SQLite::Statement q(db,
                          "INSERT INTO login_failures(subject, failures, last_failure_at, "
                          "locked_until) VALUES(?,?,?,?) ON CONFLICT(subject) DO UPDATE SET "
                          "failures=excluded.failures, last_failure_at=excluded.last_failure_at, "
                          "locked_until=excluded.locked_until");
      q.bind(1, subjects[i]);
      q.bind(2, rows[i]->failures);
      q.bind(3, rows[i]->lastFailureAt);
      q.bind(4, rows[i]->lockedUntil);
      q.exec();
    }
    SQLite::Statement purge(db, "DELETE FROM login_failures WHERE last_failure_at<?");
    purge.bind(1, forgetBefore);
    purge.exec();
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return {};
}

}  // namespace samband::broker
