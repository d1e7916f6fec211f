// See users.h.
#include "broker/accounts/users.h"

#include "broker/store/accounts_store.h"
#include "common/text_rules.h"
#include "web/tokens.h"

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

bool isDistrictName(const std::string& text) {
  if (text.empty() || text.size() > 100) return false;
  if (!common::isCleanText(text) || text.find_first_of("\t\n") != std::string::npos) return false;
  return text.find_first_not_of(' ') != std::string::npos;
}

common::Status Users::add(const std::string& name, Role role, const std::string& password,
                          int64_t nowMs, const std::vector<std::string>& districts,
                          const AccountHook& record) {
  if (!isUserName(name)) {
    return common::invalidInput("\"" + name +
                                "\" is not a valid user name; use 1-64 letters, digits and "
                                ". _ @ - (starting with a letter or digit)");
  }
  for (const auto& d : districts) {
    if (!isDistrictName(d)) {
      return common::invalidInput("\"" + d +
                                  "\" is not a district name; give it as the roster writes it "
                                  "(1-100 characters, no control characters)");
    }
  }
  if (auto s = checkPasswordPolicy(password); !s) return s;
  auto hash = hashPassword(password);
  if (!hash) return hash.error();
  if (auto s = AccountsStore(store_).addUser(name, roleName(role), *hash, nowMs, districts, record);
      !s) {
    if (s.error().kind == common::ErrorKind::conflict) {
      return common::Error{common::ErrorKind::conflict,
                           "user " + name +
                               " already exists; to change the password run 'samband-broker "
                               "user passwd', to change the role or districts run 'user remove' "
                               "and then 'user add' again"};
    }
    return common::unavailable("the user was not stored: " + s.error().message +
                               "; check that the database is writable and try again");
  }
  return {};
}

namespace {

// The store's error of a change to account `name`, as a sentence saying what to do: no such user,
// or `notDone` ("the user was not removed") and the database's message.
common::Error changeFailed(const common::Error& e, const std::string& name,
                           const std::string& notDone) {
  if (e.kind == common::ErrorKind::notFound) {
    return common::Error{
        common::ErrorKind::notFound,
        "there is no user " + name + "; see the accounts with 'samband-broker user list'"};
  }
  return common::unavailable(notDone + ": " + e.message +
                             "; check that the database is writable and try again");
}

}  // namespace

common::Status Users::remove(const std::string& name, int64_t nowMs, const AccountHook& record) {
  if (auto s = AccountsStore(store_).removeUser(name, nowMs, record); !s) {
    return changeFailed(s.error(), name, "the user was not removed");
  }
  return {};
}

common::Result<int64_t> Users::setPassword(const std::string& name, const std::string& password,
                                           int64_t nowMs, const std::string& keepSessionToken,
                                           const AccountHook& record) {
  if (auto s = checkPasswordPolicy(password); !s) return s.error();
  auto hash = hashPassword(password);
  if (!hash) return hash.error();
  const std::string keep =
      web::looksLikeToken(keepSessionToken) ? web::tokenHash(keepSessionToken) : std::string();
  auto ended = AccountsStore(store_).setPassword(name, *hash, nowMs, keep, record);
  if (!ended) return changeFailed(ended.error(), name, "the password was not changed");
  return *ended;
}

common::Result<int64_t> Users::setAccess(const std::string& name, Role role,
                                         const std::vector<std::string>& districts, int64_t nowMs,
                                         const AccountHook& record) {
  for (const auto& d : districts) {
    if (!isDistrictName(d)) {
      return common::invalidInput("\"" + d +
                                  "\" is not a district name; give it as the roster writes it "
                                  "(1-100 characters, no control characters)");
    }
  }
  auto ended = AccountsStore(store_).setAccess(name, roleName(role), districts, nowMs, record);
  if (!ended) return changeFailed(ended.error(), name, "the account was not changed");
  return *ended;
}

common::Result<std::vector<std::string>> Users::rosterDistricts() {
  return AccountsStore(store_).rosterDistricts();
}

common::Result<std::vector<UserRecord>> Users::list(int64_t nowMs) {
  auto rows = AccountsStore(store_).listUsers(nowMs);
  if (!rows) return rows.error();
  std::vector<UserRecord> out;
  for (const auto& row : *rows) {
    UserRecord r;
    r.id = row.id;
    r.name = row.name;
    parseRole(row.role, &r.role);
    r.createdAt = row.createdAt;
    r.lastLoginAt = row.lastLoginAt;
    r.passwordChangedAt = row.passwordChangedAt;
    r.districts = row.districts;
    r.activeSessions = row.activeSessions;
    out.push_back(std::move(r));
  }
  return out;
}

common::Result<std::optional<Credentials>> Users::find(const std::string& name) {
  auto row = AccountsStore(store_).findUser(name);
  if (!row) return row.error();
  if (!*row) return std::optional<Credentials>();
  Credentials c;
  c.id = (*row)->id;
  c.name = (*row)->name;
  if (!parseRole((*row)->role, &c.role)) return std::optional<Credentials>();
  c.passwordHash = (*row)->passwordHash;
  c.districts = (*row)->districts;
  return std::optional<Credentials>(std::move(c));
}

common::Status Users::recordLogin(int64_t userId, int64_t nowMs,
                                  const std::optional<std::string>& newHash) {
  return AccountsStore(store_).recordLogin(userId, nowMs, newHash);
}

}  // namespace samband::broker
