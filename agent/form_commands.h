// The verbs that manage who may use the reporting page and its API: `samband-agent user
// add|list|remove` (staff on duty, agent/form_accounts.h) and `token add|list|remove` (the
// provider's systems, agent/api_tokens.h). They work whether or not `run` is up: accounts live
// in outbox.db, and the running agent reads them at each request.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "common/result.h"

namespace samband::agent {

// Adds an account for `units` with `password` (already read; the caller wipes it). Returns what
// to tell the administrator. Errors as FormAccounts::addUser.
common::Result<std::string> addFormUser(const AgentConfig& config, const std::string& name,
                                        const std::vector<std::string>& units,
                                        const std::string& password, int64_t nowMs);
// The accounts as JSON (an array of {name, units, created_at, last_login_at, active_sessions})
// or a table.
common::Result<std::string> listFormUsers(const AgentConfig& config, bool json, int64_t nowMs);
common::Result<std::string> removeFormUser(const AgentConfig& config, const std::string& name);

// Makes a token and returns the text showing it, once.
common::Result<std::string> addApiToken(const AgentConfig& config, const std::string& name,
                                        const std::vector<std::string>& units, int64_t nowMs);
// The tokens as JSON (an array of {name, units, created_at, last_used_at}) or a table; never
// the tokens themselves.
common::Result<std::string> listApiTokens(const AgentConfig& config, bool json);
common::Result<std::string> removeApiToken(const AgentConfig& config, const std::string& name);

}  // namespace samband::agent
