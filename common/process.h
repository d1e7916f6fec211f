// Process-level hardening for the daemons: no core dumps (they would contain secret keys).
#pragma once

namespace samband::common {

// Disables core dumps and ptrace attach by unprivileged peers. Call first thing in main().
void hardenProcess();

}  // namespace samband::common
