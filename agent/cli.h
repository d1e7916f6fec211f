// The samband-agent command line: parses argv with CLI11 and runs init, run, report, status,
// inbox, confirm, ack, export or rotate-key.
// Exit status: 0 done, 1 the environment failed (disk, I/O), 2 bad input or config (the message
// says what to fix).
#pragma once

namespace samband::agent {

int runAgentCli(int argc, char** argv);

}  // namespace samband::agent
