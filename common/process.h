// Process-level hardening for the daemons: no core dumps (they would contain secret keys).
#pragma once

namespace samband::common {

// Disables core dumps and ptrace attach by unprivileged peers. Call first thing in main().
void hardenProcess();

// Raises the soft limit on open files to the hard limit (a broker holds one descriptor per
// connected agent, and a flood of idle connections must not exhaust the default 1,024). Returns
// the soft limit in force afterwards, or 0 when it cannot be read.
unsigned long raiseOpenFileLimit();

}  // namespace samband::common
