// See user_commands.h.
#include "broker/cli/user_commands.h"

#include <sodium.h>

#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "broker/accounts/users.h"
#include "broker/cli/broker_config.h"
#include "broker/cli/commands.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "web/password_prompt.h"

namespace samband::broker {

namespace {

int fail(const std::string& message, int code = kExitUsage) {
  std::cerr << "samband-broker: " << message << "\n";
  return code;
}

}  // namespace

int runUserAdd(const std::string& configPath, const std::string& name, const std::string& role) {
  Role r{};
  if (!parseRole(role, &r)) return fail("--role must be viewer or operator");
  if (!isUserName(name)) {
    return fail("\"" + name +
                "\" is not a valid user name; use 1-64 letters, digits and . _ @ - "
                "(starting with a letter or digit)");
  }
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readWrite);
  if (!store) return fail(store.error().message, kExitFailure);
  auto password = web::readNewPassword(
      name, "printf '%s\\n' \"$PASSWORD\" | samband-broker user add --config C --name N --role R");
  if (!password) return fail(password.error().message);
  common::SystemClock clock;
  auto status = Users(**store).add(name, r, *password, clock.nowMs());
  sodium_memzero(password->data(), password->size());
  if (!status) {
    return fail(status.error().message,
                status.error().kind == common::ErrorKind::unavailable ? kExitFailure : kExitUsage);
  }
  std::cout << "Added " << roleName(r) << " " << name << ". They log in on the board at http://"
            << cfg->boardListen << "/\n";
  return kExitOk;
}

int runUserList(const std::string& configPath, bool json) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readOnly);
  if (!store) return fail(store.error().message, kExitFailure);
  common::SystemClock clock;
  auto listed = Users(**store).list(clock.nowMs());
  if (!listed) return fail("cannot read the accounts: " + listed.error().message, kExitFailure);
  const std::vector<UserRecord>& users = *listed;
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& u : users) {
      out.push_back(
          {{"name", u.name},
           {"role", roleName(u.role)},
           {"created_at", common::formatRfc3339(u.createdAt)},
           {"last_login_at", u.lastLoginAt ? nlohmann::json(common::formatRfc3339(*u.lastLoginAt))
                                           : nlohmann::json(nullptr)},
           {"active_sessions", u.activeSessions}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  if (users.empty()) {
    std::cout << "No accounts yet. Add one with: samband-broker user add --config " << configPath
              << " --name NAME --role operator\n";
    return kExitOk;
  }
  std::cout << std::left << std::setw(24) << "NAME" << std::setw(10) << "ROLE" << std::setw(26)
            << "CREATED" << std::setw(26) << "LAST LOGIN"
            << "SESSIONS\n";
  for (const auto& u : users) {
    std::cout << std::left << std::setw(24) << u.name << std::setw(10) << roleName(u.role)
              << std::setw(26) << common::formatRfc3339(u.createdAt) << std::setw(26)
              << (u.lastLoginAt ? common::formatRfc3339(*u.lastLoginAt) : std::string("never"))
              << u.activeSessions << "\n";
  }
  return kExitOk;
}

int runUserRemove(const std::string& configPath, const std::string& name) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readWrite);
  if (!store) return fail(store.error().message, kExitFailure);
  if (auto s = Users(**store).remove(name); !s) {
    return fail(s.error().message, kExitFailure);
  }
  std::cout << "Removed " << name << " and ended their sessions.\n";
  return kExitOk;
}

}  // namespace samband::broker
