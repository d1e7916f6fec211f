// See api_tokens.h.
#include "agent/api_tokens.h"

#include <algorithm>

#include "agent/form_accounts.h"
#include "web/passwords.h"
#include "web/tokens.h"

namespace samband::agent {

namespace {

common::Error storage(const SQLite::Database& db, const std::string& what,
                      const std::exception& e) {
  return common::unavailable("cannot " + what + " in " + db.getFilename() + ": " + e.what() +
                             "; check that the file is writable and try again");
}

std::vector<std::string> tokenUnits(SQLite::Database& db, int64_t id) {
  std::vector<std::string> units;
  SQLite::Statement q(db, "SELECT unit FROM api_token_units WHERE token_id = ? ORDER BY unit");
  q.bind(1, id);
  while (q.executeStep()) units.push_back(q.getColumn(0).getString());
  return units;
}

}  // namespace

bool ApiToken::mayReportFor(const std::string& unit) const {
  return std::find(units.begin(), units.end(), unit) != units.end();
}

common::Result<std::string> ApiTokens::add(const std::string& name,
                                           const std::vector<std::string>& units,
                                           const AgentConfig& config, int64_t nowMs) {
  if (!web::isUserName(name)) {
    return common::invalidInput("\"" + name +
                                "\" is not a valid token name; use 1-64 letters, digits and "
                                ". _ @ - (starting with a letter or digit), e.g. skolsystem");
  }
  if (auto s = checkAccountUnits(units, config); !s) return s.error();
  std::string token = web::randomToken();
  try {
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    {
      SQLite::Statement taken(db_, "SELECT 1 FROM api_tokens WHERE name = ?");
      taken.bind(1, name);
      if (taken.executeStep()) {
        return common::Error{common::ErrorKind::conflict,
                             "a token called " + name +
                                 " already exists; remove it with 'samband-agent token remove' "
                                 "first, or choose another name"};
      }
    }
    SQLite::Statement ins(db_,
                          "INSERT INTO api_tokens (name, token_hash, created_at) VALUES (?,?,?)");
    const std::string hash = web::tokenHash(token);
    ins.bind(1, name);
    ins.bind(2, hash.data(), static_cast<int>(hash.size()));
    ins.bind(3, nowMs);
    ins.exec();
    const int64_t id = db_.getLastInsertRowid();
    SQLite::Statement unit(db_, "INSERT INTO api_token_units (token_id, unit) VALUES (?,?)");
    for (const auto& u : units) {
      unit.reset();
      unit.bind(1, id);
      unit.bind(2, u);
      unit.exec();
    }
    tx.commit();
  } catch (const std::exception& e) {
    return storage(db_, "store the token", e);
  }
  return token;
}

common::Status ApiTokens::remove(const std::string& name) {
  try {
    SQLite::Statement del(db_, "DELETE FROM api_tokens WHERE name = ?");
    del.bind(1, name);
    if (del.exec() == 0) {
      return common::Error{
          common::ErrorKind::notFound,
          "there is no token " + name + "; see the tokens with 'samband-agent token list'"};
    }
    return {};
  } catch (const std::exception& e) {
    return storage(db_, "remove the token", e);
  }
}

common::Result<std::vector<ApiToken>> ApiTokens::list() {
  std::vector<ApiToken> out;
  try {
    SQLite::Statement q(db_,
                        "SELECT id, name, created_at, last_used_at FROM api_tokens ORDER BY name");
    while (q.executeStep()) {
      ApiToken t;
      t.id = q.getColumn(0).getInt64();
      t.name = q.getColumn(1).getString();
      t.createdAt = q.getColumn(2).getInt64();
      if (!q.getColumn(3).isNull()) t.lastUsedAt = q.getColumn(3).getInt64();
      out.push_back(std::move(t));
    }
    for (auto& t : out) t.units = tokenUnits(db_, t.id);
  } catch (const std::exception& e) {
    return storage(db_, "read the tokens", e);
  }
  return out;
}

common::Result<std::optional<ApiToken>> ApiTokens::authenticate(const std::string& bearer,
                                                                const AgentConfig& config,
                                                                int64_t nowMs) {
  if (!web::looksLikeToken(bearer)) return std::optional<ApiToken>();
  try {
    // The lookup is by hash: the token itself is never compared, so its time tells nothing.
    const std::string hash = web::tokenHash(bearer);
    SQLite::Statement q(db_, "SELECT id, name, created_at FROM api_tokens WHERE token_hash = ?");
    q.bind(1, hash.data(), static_cast<int>(hash.size()));
    if (!q.executeStep()) return std::optional<ApiToken>();
    ApiToken t;
    t.id = q.getColumn(0).getInt64();
    t.name = q.getColumn(1).getString();
    t.createdAt = q.getColumn(2).getInt64();
    q.reset();
    for (auto& unit : tokenUnits(db_, t.id)) {
      if (config.ownsUnit(unit)) t.units.push_back(std::move(unit));
    }
    SQLite::Statement used(db_, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?");
    used.bind(1, nowMs);
    used.bind(2, t.id);
    used.exec();
    t.lastUsedAt = nowMs;
    return std::optional<ApiToken>(std::move(t));
  } catch (const std::exception& e) {
    return storage(db_, "check the token", e);
  }
}

}  // namespace samband::agent
