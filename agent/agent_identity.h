// Loading the agent's own identity for `run` and `report`: the file named by [agent] identity,
// mode 0600, belonging to [agent] provider. Every refusal says what to do.
#pragma once

#include <memory>

#include "agent/agent_config.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::agent {

common::Result<std::unique_ptr<common::Identity>> loadAgentIdentity(const AgentConfig& config);

}  // namespace samband::agent
