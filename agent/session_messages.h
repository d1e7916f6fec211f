// The texts AgentSession shows as last_error (and logs) for link failures and for the broker's
// refusals: each says what the person on duty can do next. Pure functions of the config and
// the event, so the session's protocol code stays about the protocol.
#pragma once

#include <string>

#include "agent/agent_config.h"
#include "agent/link.h"
#include "common/bytes.h"
#include "common/messages.h"

namespace samband::agent {

// The directory holding agent.toml, "." when the path has none.
std::string configDir(const AgentConfig& config);
// Where init and setup wrote the enrolment request: beside the identity file.
std::string enrollRequestPath(const AgentConfig& config);

// Why the link is down and what to check.
std::string linkFailureMessage(const AgentConfig& config, LinkFailure failure);
// The same for the broker at `endpoint` (one of several; config.endpoint is the preferred one).
std::string linkFailureMessage(const AgentConfig& config, const std::string& endpoint,
                               LinkFailure failure);

// What to do about a row the broker refused for good with `reason` (unit_not_owned, forbidden
// or malformed).
std::string deadLetterAdvice(const AgentConfig& config, common::RejectReason reason);

// The last_error for a refusal that names no row to act on: identity reasons (bad_signature,
// unknown_sender, key_mismatch, revoked), overloaded, oversized and internal. `keyId` is the
// agent's signing key id.
std::string refusalMessage(const AgentConfig& config, const common::Bytes& keyId,
                           const common::RejectMsg& reject);

}  // namespace samband::agent
