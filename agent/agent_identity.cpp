// See agent_identity.h.
#include "agent/agent_identity.h"

#include <sys/stat.h>

namespace samband::agent {

common::Result<std::unique_ptr<common::Identity>> loadAgentIdentity(const AgentConfig& config) {
  struct stat st {};
  if (::stat(config.identityPath.c_str(), &st) != 0) {
    return common::invalidInput(
        "the identity file " + config.identityPath + " ([agent] identity in " +
        (config.configPath.empty() ? std::string("agent.toml") : config.configPath) +
        ") does not exist; restore it from your backup (it cannot be recreated), or create a new "
        "agent with samband-agent init and have the city enroll it");
  }
  auto identity = common::Identity::load(config.identityPath);
  if (!identity) return identity.error();
  if ((*identity)->id() != config.provider) {
    return common::invalidInput("the identity " + config.identityPath + " belongs to '" +
                                (*identity)->id() + "' but [agent] provider in " +
                                config.configPath + " is '" + config.provider +
                                "'; point [agent] identity at this provider's identity");
  }
  return identity;
}

}  // namespace samband::agent
