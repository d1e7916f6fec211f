// samband-agent: wiring only; see agent/cli.h.
#include "agent/cli.h"

int main(int argc, char** argv) { return samband::agent::runAgentCli(argc, argv); }
