// See user_commands.h.
#include "broker/cli/user_commands.h"

#include <sodium.h>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "broker/accounts/users.h"
#include "broker/city/city_chain.h"
#include "broker/cli/broker_config.h"
#include "broker/cli/city_writer.h"
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

// Archives the account change in the city's chain, in the transaction of the change.
AccountHook cityRecord(CityWriter& writer, int64_t nowMs) {
  return [&writer, nowMs](const common::AccountMsg& account) -> common::Status {
    auto issued = CityChain(*writer.store, *writer.city).record(account, nowMs);
    if (!issued) return issued.error();
    return {};
  };
}

}  // namespace

namespace {

// A district no unit has is allowed (the roster may come later) but shows nothing until then;
// most often it is a misspelling.
void warnOfUnknownDistricts(Users& users, const std::string& name,
                            const std::vector<std::string>& districts) {
  auto known = users.rosterDistricts();
  if (!known || districts.empty()) return;
  for (const auto& d : districts) {
    if (std::find(known->begin(), known->end(), d) == known->end()) {
      std::cerr << "samband-broker: warning: no unit in the roster has the district \"" << d
                << "\"; the account sees no unit there until one has. Check the spelling "
                   "against 'samband-broker roster export' and correct it with 'samband-broker "
                   "user set --config C --name "
                << name << " --district ...'\n";
    }
  }
}

void printDistricts(const std::vector<std::string>& districts) {
  for (size_t i = 0; i < districts.size(); ++i) {
    std::cout << (i == 0 ? " " : i + 1 == districts.size() ? " and " : ", ") << districts[i];
  }
}

}  // namespace

int runUserAdd(const std::string& configPath, const std::string& name, const std::string& role,
               const std::vector<std::string>& districts) {
  Role r{};
  if (!parseRole(role, &r)) return fail("--role must be viewer or operator");
  if (!isUserName(name)) {
    return fail("\"" + name +
                "\" is not a valid user name; use 1-64 letters, digits and . _ @ - "
                "(starting with a letter or digit)");
  }
  for (const auto& d : districts) {
    if (!isDistrictName(d)) {
      return fail("--district \"" + d +
                  "\" is not a district name; give it as the roster writes it (1-100 characters, "
                  "no control characters)");
    }
  }
  // The change replicates as a city-signed record (docs/replication.md, "Board accounts").
  auto writer = openCityWriter(configPath);
  if (!writer) return fail(writer.error().message, kExitFailure);
  auto& store = writer->store;
  common::SystemClock clock;
  const int64_t now = clock.nowMs();
  auto password = web::readNewPassword(
      name, "printf '%s\\n' \"$PASSWORD\" | samband-broker user add --config C --name N --role R");
  if (!password) return fail(password.error().message);
  Users users(*store);
  auto status = users.add(name, r, *password, now, districts, cityRecord(*writer, now));
  sodium_memzero(password->data(), password->size());
  if (!status) {
    return fail(status.error().message,
                status.error().kind == common::ErrorKind::unavailable ? kExitFailure : kExitUsage);
  }
  std::cout << "Added " << roleName(r) << " " << name;
  if (!districts.empty()) {
    std::cout << ", limited to the units of";
    printDistricts(districts);
  }
  std::cout << ". They log in on the board at http://" << writer->config.boardListen << "/\n";
  warnOfUnknownDistricts(users, name, districts);
  return kExitOk;
}

int runUserPasswd(const std::string& configPath, const std::string& name) {
  // The change replicates as a city-signed record (docs/replication.md, "Board accounts").
  auto writer = openCityWriter(configPath);
  if (!writer) return fail(writer.error().message, kExitFailure);
  auto& store = writer->store;
  common::SystemClock clock;
  const int64_t now = clock.nowMs();
  Users users(*store);
  // Ask for no password for an account that does not exist.
  auto found = users.find(name);
  if (!found) return fail("cannot read the accounts: " + found.error().message, kExitFailure);
  if (!*found) {
    return fail("there is no user " + name + "; see the accounts with 'samband-broker user list'",
                kExitFailure);
  }
  auto password = web::readNewPassword(
      name, "printf '%s\\n' \"$PASSWORD\" | samband-broker user passwd --config C --name N");
  if (!password) return fail(password.error().message);
  auto ended = users.setPassword(name, *password, now, "", cityRecord(*writer, now));
  sodium_memzero(password->data(), password->size());
  if (!ended) {
    return fail(ended.error().message,
                ended.error().kind == common::ErrorKind::invalidInput ? kExitUsage : kExitFailure);
  }
  std::cout << "Changed the password of " << name << " and ended " << *ended
            << (*ended == 1 ? " session" : " sessions")
            << "; they log in again with the new password.\n";
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
           {"password_changed_at", u.passwordChangedAt
                                       ? nlohmann::json(common::formatRfc3339(*u.passwordChangedAt))
                                       : nlohmann::json(nullptr)},
           {"districts", u.districts},
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
            << "CREATED" << std::setw(26) << "LAST LOGIN" << std::setw(10) << "SESSIONS"
            << "DISTRICTS\n";
  for (const auto& u : users) {
    std::cout << std::left << std::setw(24) << u.name << std::setw(10) << roleName(u.role)
              << std::setw(26) << common::formatRfc3339(u.createdAt) << std::setw(26)
              << (u.lastLoginAt ? common::formatRfc3339(*u.lastLoginAt) : std::string("never"))
              << std::setw(10) << u.activeSessions;
    if (u.districts.empty()) std::cout << "all";
    for (size_t i = 0; i < u.districts.size(); ++i) std::cout << (i ? ", " : "") << u.districts[i];
    std::cout << "\n";
  }
  return kExitOk;
}

int runUserRemove(const std::string& configPath, const std::string& name) {
  // The change replicates as a city-signed record (docs/replication.md, "Board accounts").
  auto writer = openCityWriter(configPath);
  if (!writer) return fail(writer.error().message, kExitFailure);
  auto& store = writer->store;
  common::SystemClock clock;
  const int64_t now = clock.nowMs();
  if (auto s = Users(*store).remove(name, now, cityRecord(*writer, now)); !s) {
    return fail(s.error().message, kExitFailure);
  }
  std::cout << "Removed " << name << " and ended their sessions.\n";
  return kExitOk;
}

int runUserSet(const std::string& configPath, const std::string& name,
               const std::optional<std::string>& role,
               const std::optional<std::vector<std::string>>& districts) {
  if (!role && !districts) {
    return fail(
        "say what to change: --role viewer|operator, --district D (repeat for several) or "
        "--every-district");
  }
  Role r{};
  if (role && !parseRole(*role, &r)) return fail("--role must be viewer or operator");
  // The change replicates as a city-signed record (docs/replication.md, "Board accounts").
  auto writer = openCityWriter(configPath);
  if (!writer) return fail(writer.error().message, kExitFailure);
  Users users(*writer->store);
  auto found = users.find(name);
  if (!found) return fail("cannot read the accounts: " + found.error().message, kExitFailure);
  if (!*found) {
    return fail("there is no user " + name + "; see the accounts with 'samband-broker user list'",
                kExitFailure);
  }
  // What is not named stays as it is.
  if (!role) r = (*found)->role;
  const std::vector<std::string> newDistricts = districts ? *districts : (*found)->districts;
  common::SystemClock clock;
  const int64_t now = clock.nowMs();
  auto ended = users.setAccess(name, r, newDistricts, now, cityRecord(*writer, now));
  if (!ended) {
    return fail(ended.error().message,
                ended.error().kind == common::ErrorKind::invalidInput ? kExitUsage : kExitFailure);
  }
  std::cout << name << " is now " << (r == Role::operator_ ? "an operator" : "a viewer");
  if (newDistricts.empty()) {
    std::cout << " of every district";
  } else {
    std::cout << ", limited to the units of";
    printDistricts(newDistricts);
  }
  std::cout << "; ended " << *ended << (*ended == 1 ? " session" : " sessions")
            << " (they log in again to see the change).\n";
  warnOfUnknownDistricts(users, name, newDistricts);
  return kExitOk;
}

}  // namespace samband::broker
