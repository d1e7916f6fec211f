// Creating an agent directory.
#include "agent/agent_init.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "agent/agent_config.h"
#include "agent/city_keys.h"
#include "agent/database.h"
#include "agent/outbox.h"
#include "common/city_keyring.h"
#include "common/config.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/ids.h"

namespace samband::agent {

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

common::Result<InitResult> initAgentDirectory(const InitRequest& r, int64_t nowMs) {
  if (r.dir.empty()) return common::invalidInput("--dir must name the agent's directory");
  std::set<std::string> unique(r.units.begin(), r.units.end());
  if (unique.size() != r.units.size()) {
    return common::invalidInput("--unit lists the same unit twice; give each unit once");
  }
  // root.pub (with the brokers' certificates appended) or a single-key installation's city.pub.
  auto city = common::loadCityKeysFile(r.cityKeysPath);
  if (!city) {
    return common::invalidInput(
        city.error().message +
        "; --city-keys must be the city.pub file the city gave you (or its root.pub, "
        "in a city with an offline root key)");
  }

  InitResult out;
  std::string dir =
      r.dir.size() > 1 && r.dir.back() == '/' ? r.dir.substr(0, r.dir.size() - 1) : r.dir;
  if (!r.configPath.empty()) {
    dir = std::filesystem::absolute(dir).lexically_normal().string();
    if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  }
  out.configPath = r.configPath.empty() ? dir + "/agent.toml" : r.configPath;
  out.identityPath = dir + "/agent.identity";
  out.requestPath = dir + "/enroll-request.json";
  out.outboxPath = dir + "/outbox.db";

  AgentConfig config;
  config.configPath = out.configPath;
  config.provider = r.provider;
  config.name = r.name;
  config.units = r.units;
  config.identityPath = out.identityPath;
  config.outboxPath = out.outboxPath;
  config.endpoint = r.broker;
  config.citySignPublic = city->root.signPublic;
  config.cityCurvePublic = city->transportKey();
  if (!r.brokers.empty()) {
    for (const auto& text : r.brokers) {
      auto b = parseBrokerEndpoint(text, config.cityCurvePublic, "--broker");
      if (!b) return b.error();
      config.brokers.push_back(std::move(b).value());
    }
    config.endpoint = config.brokers.front().endpoint;
    // One broker with the city's key is written as the classic `endpoint`.
    if (config.brokers.size() == 1 && !config.brokers.front().ownKey) config.brokers.clear();
  }
  if (!r.dutyContact.empty()) config.dutyContact = r.dutyContact;
  if (common::Status s = checkAgentConfig(config, "the init flags"); !s) {
    // The flag names are what the person typed; translate the config key names back.
    std::string m = s.error().message;
    for (const auto& [key, flag] :
         {std::pair{"[agent] provider", "--provider"}, std::pair{"[agent] name", "--name"},
          std::pair{"[agent] units", "--unit"}, std::pair{"[broker] endpoint", "--broker"},
          std::pair{"[broker] brokers", "--broker"},
          std::pair{"[agent] duty_contact", "--duty-contact"}}) {
      auto pos = m.find(key);
      if (pos != std::string::npos) m.replace(pos, std::strlen(key), flag);
    }
    return common::invalidInput(m);
  }

  for (const auto& path : {out.identityPath, out.configPath, out.requestPath, out.outboxPath}) {
    if (exists(path)) {
      return common::invalidInput(
          path +
          " already exists: refusing to overwrite an agent (its identity cannot be "
          "recreated). Use another --dir, or move the old directory away first");
    }
  }
  std::error_code ec;
  for (const auto& d : {dir, std::filesystem::path(out.configPath).parent_path().string()}) {
    if (d.empty()) continue;
    std::filesystem::create_directories(d, ec);
    if (ec) return common::unavailable("cannot create the directory " + d + ": " + ec.message());
  }

  auto identity = common::Identity::generate(r.provider);
  if (common::Status s = identity->save(out.identityPath); !s) return s.error();
  if (common::Status s = common::writeFileAtomic(out.configPath, renderAgentConfig(config), 0644);
      !s) {
    return s.error();
  }
  common::EnrollRequest request = common::makeEnrollRequest(*identity, r.name, r.units, nowMs);
  if (common::Status s =
          common::writeFileAtomic(out.requestPath, common::enrollRequestToJson(request), 0644);
      !s) {
    return s.error();
  }
  if (!city->statements.empty()) {
    if (common::Status s = CityKeys::save(CityKeys::pathFor(out.outboxPath), city->statements);
        !s) {
      return s.error();
    }
  }
  auto db = openAgentDatabase(out.outboxPath, OpenMode::createIfMissing);
  if (!db) return db.error();
  Outbox outbox(**db, *identity);
  if (common::Status s = outbox.verifyKey(); !s) return s.error();
  out.keyId = common::toHex(identity->keyId());
  return out;
}

}  // namespace samband::agent
