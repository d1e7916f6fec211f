// How samband-agent-form (agent/form_main.cpp) tells `samband-agent run` (agent/form_process.h)
// that the reporting page serves, or why it could not start: one message on a pipe the helper
// finds as descriptor kFormReadyFd and closes after writing.
//   "ready\n"                        it listens on [form] listen
//   "error KIND\nMESSAGE"            it stopped; KIND is the common::ErrorKind number
#pragma once

#include <string>

#include "common/result.h"

namespace samband::agent {

inline constexpr const char* kFormHelperName = "samband-agent-form";
inline constexpr int kFormReadyFd = 3;

// The message for the outcome of FormServer::start().
std::string formReadyMessage(const common::Status& started);
// The outcome a message stands for. Anything but the two forms above (an empty message: the
// helper died before writing) is an internal error naming the helper.
common::Status parseFormReady(const std::string& message);

}  // namespace samband::agent
