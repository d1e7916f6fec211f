// samband-agent: wiring only; see agent/cli.h. Hardening comes first: `run` and `report` both
// hold secret keys, so no core dumps and no ptrace by unprivileged peers.
#include "agent/cli.h"
#include "common/process.h"

int main(int argc, char** argv) {
  samband::common::hardenProcess();
  return samband::agent::runAgentCli(argc, argv);
}
