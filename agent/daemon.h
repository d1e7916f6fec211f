// The `samband-agent run` process: one AgentSession driven by a zmq poll loop in the foreground,
// logging to stderr, stopping cleanly on SIGTERM/SIGINT (read through a signalfd, so no signal
// handler and no global flag). A lock file next to the outbox keeps a second `run` out. With
// [form] listen set it also starts samband-agent-form, which serves the reporting page and POST
// /api/report (agent/form_process.h), and stops it with itself.
#pragma once

#include "agent/agent_config.h"
#include "common/result.h"

namespace samband::agent {

// Runs until SIGTERM or SIGINT. Returns an error when the agent cannot start (identity, outbox,
// lock, the reporting page's address); once running, network and broker problems are retried,
// never fatal.
common::Status runDaemon(const AgentConfig& config);

}  // namespace samband::agent
