// See form_commands.h.
#include "agent/form_commands.h"

#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/api_tokens.h"
#include "agent/database.h"
#include "agent/form_accounts.h"
#include "common/clock.h"

namespace samband::agent {

namespace {

using nlohmann::json;

std::string joined(const std::vector<std::string>& units) {
  std::string out;
  for (size_t i = 0; i < units.size(); ++i) out += (i ? "," : "") + units[i];
  return out;
}

json timeOrNull(const std::optional<int64_t>& ms) {
  return ms ? json(common::formatRfc3339(*ms)) : json(nullptr);
}

std::string pageAddress(const AgentConfig& config) {
  if (!config.form) {
    return "the reporting page, once [form] listen is set in " + config.configPath +
           " and 'samband-agent run' restarted";
  }
  const bool v6 = config.form->host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + config.form->host + "]" : config.form->host) + ":" +
         std::to_string(config.form->port) + "/";
}

}  // namespace

common::Result<std::string> addFormUser(const AgentConfig& config, const std::string& name,
                                        const std::vector<std::string>& units,
                                        const std::string& password, int64_t nowMs) {
  auto db = openAgentDatabase(config.outboxPath, OpenMode::mustExist);
  if (!db) return db.error();
  if (auto s = FormAccounts(**db).addUser(name, units, password, config, nowMs); !s) {
    return s.error();
  }
  return "Added " + name + ", who may report for " + joined(units) + ". They log in on " +
         pageAddress(config) + "\n";
}

common::Result<std::string> listFormUsers(const AgentConfig& config, bool asJson, int64_t nowMs) {
  auto db = openAgentDatabase(config.outboxPath, OpenMode::mustExist);
  if (!db) return db.error();
  auto users = FormAccounts(**db).listUsers(nowMs);
  if (!users) return users.error();
  if (asJson) {
    json out = json::array();
    for (const auto& u : *users) {
      out.push_back({{"name", u.name},
                     {"units", u.units},
                     {"created_at", common::formatRfc3339(u.createdAt)},
                     {"last_login_at", timeOrNull(u.lastLoginAt)},
                     {"active_sessions", u.activeSessions}});
    }
    return out.dump(2) + "\n";
  }
  std::ostringstream out;
  if (users->empty()) {
    out << "No accounts yet. Add one with: samband-agent user add --config " << config.configPath
        << " --name NAME --unit UNIT\n";
    return out.str();
  }
  out << std::left << std::setw(24) << "NAME" << std::setw(28) << "UNITS" << std::setw(26)
      << "LAST LOGIN"
      << "SESSIONS\n";
  for (const auto& u : *users) {
    out << std::left << std::setw(24) << u.name << std::setw(28) << joined(u.units) << std::setw(26)
        << (u.lastLoginAt ? common::formatRfc3339(*u.lastLoginAt) : std::string("never"))
        << u.activeSessions << "\n";
  }
  return out.str();
}

common::Result<std::string> removeFormUser(const AgentConfig& config, const std::string& name) {
  auto db = openAgentDatabase(config.outboxPath, OpenMode::mustExist);
  if (!db) return db.error();
  if (auto s = FormAccounts(**db).removeUser(name); !s) return s.error();
  return "Removed " + name + " and ended their sessions.\n";
}

common::Result<std::string> addApiToken(const AgentConfig& config, const std::string& name,
                                        const std::vector<std::string>& units, int64_t nowMs) {
  auto db = openAgentDatabase(config.outboxPath, OpenMode::mustExist);
  if (!db) return db.error();
  auto token = ApiTokens(**db).add(name, units, config, nowMs);
  if (!token) return token.error();
  return *token + "\n";
}

common::Result<std::string> listApiTokens(const AgentConfig& config, bool asJson) {
  auto db = openAgentDatabase(config.outboxPath, OpenMode::mustExist);
  if (!db) return db.error();
  auto tokens = ApiTokens(**db).list();
  if (!tokens) return tokens.error();
  if (asJson) {
    json out = json::array();
    for (const auto& t : *tokens) {
      out.push_back({{"name", t.name},
                     {"units", t.units},
                     {"created_at", common::formatRfc3339(t.createdAt)},
                     {"last_used_at", timeOrNull(t.lastUsedAt)}});
    }
    return out.dump(2) + "\n";
  }
  std::ostringstream out;
  if (tokens->empty()) {
    out << "No API tokens yet. Make one with: samband-agent token add --config "
        << config.configPath << " --name NAME --unit UNIT\n";
    return out.str();
  }
  out << std::left << std::setw(24) << "NAME" << std::setw(28) << "UNITS" << std::setw(26)
      << "CREATED"
      << "LAST USED\n";
  for (const auto& t : *tokens) {
    out << std::left << std::setw(24) << t.name << std::setw(28) << joined(t.units) << std::setw(26)
        << common::formatRfc3339(t.createdAt)
        << (t.lastUsedAt ? common::formatRfc3339(*t.lastUsedAt) : std::string("never")) << "\n";
  }
  return out.str();
}

common::Result<std::string> removeApiToken(const AgentConfig& config, const std::string& name) {
  auto db = openAgentDatabase(config.outboxPath, OpenMode::mustExist);
  if (!db) return db.error();
  if (auto s = ApiTokens(**db).remove(name); !s) return s.error();
  return "Removed the token " + name + ": requests bearing it are refused from now on.\n";
}

}  // namespace samband::agent
