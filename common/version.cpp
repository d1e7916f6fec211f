// See version.h. SAMBAND_VERSION_TEXT is defined for this file only, by common/CMakeLists.txt, so
// a new commit recompiles one file.
#include "common/version.h"

#ifndef SAMBAND_VERSION_TEXT
#error "common/CMakeLists.txt defines SAMBAND_VERSION_TEXT"
#endif

namespace samband::common {

const char* versionText() { return SAMBAND_VERSION_TEXT; }

}  // namespace samband::common
