// See accounts_store.h.
#include "broker/store/accounts_store.h"

#include "broker/store/columns.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <cstdint>

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

// Keeps `hash` under its BLAKE2b-256 (what the city's account record names) and returns it.
common::Bytes keepHash(SQLite::Database& db, const std::string& hash) {
  common::Bytes digest =
      common::hash256(reinterpret_cast<const uint8_t*>(hash.data()), hash.size());
  SQLite::Statement q(db, "INSERT OR IGNORE INTO account_hashes(digest, hash) VALUES(?,?)");
  q.bind(1, digest.data(), static_cast<int>(digest.size()));
  q.bind(2, hash);
  q.exec();
  return digest;
}

// Drops the hashes no account names any more (an old password's).
void forgetUnusedHashes(SQLite::Database& db) {
  db.exec(
      "DELETE FROM account_hashes WHERE digest NOT IN (SELECT password_digest FROM users WHERE "
      "password_digest IS NOT NULL)");
}

std::vector<std::string> sortedDistricts(std::vector<std::string> districts) {
  std::sort(districts.begin(), districts.end());
  districts.erase(std::unique(districts.begin(), districts.end()), districts.end());
  return districts;
}

void replaceDistricts(SQLite::Database& db, int64_t userId,
                      const std::vector<std::string>& districts) {
  SQLite::Statement del(db, "DELETE FROM user_districts WHERE user_id=?");
  del.bind(1, userId);
  del.exec();
  for (const auto& district : districts) {
    SQLite::Statement d(db, "INSERT OR IGNORE INTO user_districts(user_id, district) VALUES(?,?)");
    d.bind(1, userId);
    d.bind(2, district);
    d.exec();
  }
}

}  // namespace

Status AccountsStore::addUser(const std::string& name, const std::string& role,
                              const std::string& passwordHash, int64_t nowMs,
                              const std::vector<std::string>& districts,
                              const AccountHook& alsoInTransaction) {
  try {
    auto& db = store_.db();
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement exists(db, "SELECT 1 FROM users WHERE name=?");
    exists.bind(1, name);
    if (exists.executeStep()) {
      return common::Error{common::ErrorKind::conflict, "user " + name + " already exists"};
    }
    const common::Bytes digest = keepHash(db, passwordHash);
    SQLite::Statement q(db,
                        "INSERT INTO users(name, role, password_hash, created_at, account_at, "
                        "password_digest) VALUES(?,?,?,?,?,?)");
    q.bind(1, name);
    q.bind(2, role);
    q.bind(3, passwordHash);
    q.bind(4, nowMs);
    q.bind(5, nowMs);
    q.bind(6, digest.data(), static_cast<int>(digest.size()));
    q.exec();
    const int64_t id = db.getLastInsertRowid();
    replaceDistricts(db, id, districts);
    SQLite::Statement back(db, "DELETE FROM account_removals WHERE name=?");
    back.bind(1, name);
    back.exec();
    if (alsoInTransaction) {
      std::vector<std::string> sorted = districtsOf(db, id);
      if (auto s = alsoInTransaction(
              common::AccountMsg{common::AccountAction::SET, name, role, sorted, digest});
          !s) {
        return s;
      }
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return {};
}

Status AccountsStore::removeUser(const std::string& name, int64_t nowMs,
                                 const AccountHook& alsoInTransaction) {
  try {
    SQLite::Transaction tx(store_.db(), SQLite::TransactionBehavior::IMMEDIATE);
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
    forgetUnusedHashes(store_.db());
    SQLite::Statement gone(store_.db(),
                           "INSERT INTO account_removals(name, removed_at) VALUES(?,?) "
                           "ON CONFLICT(name) DO UPDATE SET removed_at=max(removed_at, "
                           "excluded.removed_at)");
    gone.bind(1, name);
    gone.bind(2, nowMs);
    gone.exec();
    if (alsoInTransaction) {
      if (auto s = alsoInTransaction(
              common::AccountMsg{common::AccountAction::REMOVE, name, {}, {}, {}});
          !s) {
        return s;
      }
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
                                           int64_t nowMs, const std::string& keepTokenHash,
                                           const AccountHook& alsoInTransaction) {
  try {
    auto& db = store_.db();
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    const common::Bytes digest = keepHash(db, passwordHash);
    SQLite::Statement u(db,
                        "UPDATE users SET password_hash=?, password_changed_at=?, account_at=?, "
                        "password_digest=? WHERE name=?");
    u.bind(1, passwordHash);
    u.bind(2, nowMs);
    u.bind(3, nowMs);
    u.bind(4, digest.data(), static_cast<int>(digest.size()));
    u.bind(5, name);
    if (u.exec() == 0) {
      return common::Error{common::ErrorKind::notFound, "there is no user " + name};
    }
    forgetUnusedHashes(db);
    if (alsoInTransaction) {
      SQLite::Statement r(db, "SELECT id, role FROM users WHERE name=?");
      r.bind(1, name);
      r.executeStep();
      const int64_t id = r.getColumn(0).getInt64();
      if (auto s = alsoInTransaction(common::AccountMsg{common::AccountAction::SET, name,
                                                        r.getColumn(1).getString(),
                                                        districtsOf(db, id), digest});
          !s) {
        return s.error();
      }
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

Result<int64_t> AccountsStore::setAccess(const std::string& name, const std::string& role,
                                         const std::vector<std::string>& districts, int64_t nowMs,
                                         const AccountHook& alsoInTransaction) {
  try {
    auto& db = store_.db();
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement q(db, "SELECT id, password_hash FROM users WHERE name=?");
    q.bind(1, name);
    if (!q.executeStep()) {
      return common::Error{common::ErrorKind::notFound, "there is no user " + name};
    }
    const int64_t id = q.getColumn(0).getInt64();
    const std::string hash = q.getColumn(1).getString();
    q.reset();
    // The record names the password by its digest; an account from before digests gets one.
    const common::Bytes digest = keepHash(db, hash);
    SQLite::Statement u(db, "UPDATE users SET role=?, account_at=?, password_digest=? WHERE id=?");
    u.bind(1, role);
    u.bind(2, nowMs);
    u.bind(3, digest.data(), static_cast<int>(digest.size()));
    u.bind(4, id);
    u.exec();
    replaceDistricts(db, id, districts);
    if (alsoInTransaction) {
      if (auto s = alsoInTransaction(common::AccountMsg{common::AccountAction::SET, name, role,
                                                        districtsOf(db, id), digest});
          !s) {
        return s.error();
      }
    }
    SQLite::Statement s(db, "DELETE FROM sessions WHERE user_id=?");
    s.bind(1, id);
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

Result<std::optional<std::string>> AccountsStore::hashFor(const common::Bytes& digest) {
  try {
    SQLite::Statement q(store_.db(), "SELECT hash FROM account_hashes WHERE digest=?");
    q.bind(1, digest.data(), static_cast<int>(digest.size()));
    if (q.executeStep()) return std::optional<std::string>(q.getColumn(0).getString());
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return std::optional<std::string>();
}

Status AccountsStore::keepPulledHashes(const std::vector<std::string>& hashes) {
  try {
    SQLite::Transaction tx(store_.db(), SQLite::TransactionBehavior::IMMEDIATE);
    for (const auto& hash : hashes) keepHash(store_.db(), hash);
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return {};
}

Result<AccountOutcome> AccountsStore::applyAccount(const common::AccountMsg& record, int64_t atMs) {
  AccountOutcome out;
  try {
    auto& db = store_.db();
    SQLite::Statement removed(db, "SELECT removed_at FROM account_removals WHERE name=?");
    removed.bind(1, record.name);
    // INT64_MIN: never removed (an optional here trips GCC's maybe-uninitialized).
    const int64_t removedAt = removed.executeStep() ? removed.getColumn(0).getInt64() : INT64_MIN;
    SQLite::Statement q(db, "SELECT id, account_at, password_digest, role FROM users WHERE name=?");
    q.bind(1, record.name);
    std::optional<int64_t> id;
    int64_t accountAt = 0;
    common::Bytes storedDigest;
    std::string storedRole;
    if (q.executeStep()) {
      id = q.getColumn(0).getInt64();
      accountAt = q.getColumn(1).getInt64();
      if (!q.getColumn(2).isNull()) {
        const auto* p = static_cast<const uint8_t*>(q.getColumn(2).getBlob());
        storedDigest.assign(p, p + q.getColumn(2).getBytes());
      }
      storedRole = q.getColumn(3).getString();
    }
    auto endSessions = [&](int64_t userId) {
      SQLite::Statement s(db, "DELETE FROM sessions WHERE user_id=?");
      s.bind(1, userId);
      s.exec();
    };
    if (record.action == common::AccountAction::REMOVE) {
      SQLite::Statement gone(db,
                             "INSERT INTO account_removals(name, removed_at) VALUES(?,?) "
                             "ON CONFLICT(name) DO UPDATE SET removed_at=max(removed_at, "
                             "excluded.removed_at)");
      gone.bind(1, record.name);
      gone.bind(2, atMs);
      gone.exec();
      if (!id || accountAt > atMs) return out;  // gone already, or set again after the removal
      endSessions(*id);
      replaceDistricts(db, *id, {});
      SQLite::Statement del(db, "DELETE FROM users WHERE id=?");
      del.bind(1, *id);
      del.exec();
      forgetUnusedHashes(db);
      out.changed = true;
      return out;
    }
    // set: the newest change wins; a removal after it keeps the account removed.
    if (removedAt >= atMs) return out;
    if (id && accountAt >= atMs) return out;
    auto hash = hashFor(record.passwordDigest);
    if (!hash) return hash.error();
    const bool newPassword = !id || storedDigest != record.passwordDigest;
    if (newPassword && !*hash) {
      out.conflicts.push_back(
          "the password of board user " + record.name +
          " changed on the peer, but its hash did not come with the record (the peer changed it "
          "again since, or runs an older version); the user cannot log in here until it arrives: "
          "set it with samband-broker user passwd on either broker");
    }
    // "!" verifies no password: the account waits for its hash.
    const std::string usable = hash->value_or("!");
    if (!id) {
      SQLite::Statement add(db,
                            "INSERT INTO users(name, role, password_hash, created_at, account_at, "
                            "password_digest) VALUES(?,?,?,?,?,?)");
      add.bind(1, record.name);
      add.bind(2, record.role);
      add.bind(3, usable);
      add.bind(4, atMs);
      add.bind(5, atMs);
      add.bind(6, record.passwordDigest.data(), static_cast<int>(record.passwordDigest.size()));
      add.exec();
      id = db.getLastInsertRowid();
    } else {
      // A new role or scope ends the sessions, as `user set` does on the broker that made it: an
      // open page must not keep what the account lost.
      if (storedRole != record.role || districtsOf(db, *id) != sortedDistricts(record.districts)) {
        endSessions(*id);
      }
      SQLite::Statement u(db, "UPDATE users SET role=?, account_at=? WHERE id=?");
      u.bind(1, record.role);
      u.bind(2, atMs);
      u.bind(3, *id);
      u.exec();
      if (newPassword) {
        SQLite::Statement p(db,
                            "UPDATE users SET password_hash=?, password_digest=?, "
                            "password_changed_at=? WHERE id=?");
        p.bind(1, usable);
        p.bind(2, record.passwordDigest.data(), static_cast<int>(record.passwordDigest.size()));
        p.bind(3, atMs);
        p.bind(4, *id);
        p.exec();
        endSessions(*id);  // as a local password change ends them
      }
    }
    replaceDistricts(db, *id, record.districts);
    forgetUnusedHashes(db);
    out.changed = true;
  } catch (const SQLite::Exception& e) {
    return columns::failure(e);
  }
  return out;
}

}  // namespace samband::broker
