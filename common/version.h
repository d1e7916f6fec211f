// The program's version as `--version` prints it: the CMake project version, and the git commit
// the build was configured from when it was built from a checkout.
#pragma once

namespace samband::common {

// E.g. "0.1.0 (git 1a2b3c4)" or "0.1.0". Never null.
const char* versionText();

}  // namespace samband::common
