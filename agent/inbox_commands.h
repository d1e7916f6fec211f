// What a person at the provider does with city messages: `samband-agent inbox` (list checks and
// directives and what became of them), `confirm CHECK_ID` (a person is there) and `ack ID` (a
// person read the directive). They work whether or not `run` is up: the signed answer or
// acknowledgement goes into the outbox, and `run` delivers it.
#pragma once

#include <cstdint>
#include <string>

#include "agent/agent_config.h"
#include "common/result.h"

namespace samband::agent {

// The inbox, newest first, as JSON (an array of objects, keys in docs/agent.md) or text.
// Errors: invalidInput when the outbox does not exist (init not run), unavailable on I/O.
common::Result<std::string> inboxListing(const AgentConfig& config, bool json, int64_t wallNowMs);

// Queues a second ReadinessAnswer for `checkId` with confirmed = true and the self-test results
// of the first. Errors: notFound for a check not in the inbox; conflict for one that was refused,
// not yet answered by `run`, or whose deadline has passed; identity and outbox errors as
// `report`. Confirming twice queues nothing the second time. Returns what to tell the person.
common::Result<std::string> confirmCheck(const AgentConfig& config, const std::string& checkId,
                                         int64_t wallNowMs);

// Queues DirectiveAck{acknowledged} for `directiveId`. Errors: notFound for a directive not in
// the inbox; conflict for one that was refused or not yet applied by `run`. Acknowledging twice
// queues nothing the second time. Returns what to tell the person.
common::Result<std::string> acknowledgeDirective(const AgentConfig& config,
                                                 const std::string& directiveId, int64_t wallNowMs);

}  // namespace samband::agent
