// Moved to tests/support/temp_dir.h; the lead removes this forwarding header after merge.
#pragma once

#include "tests/support/temp_dir.h"  // IWYU pragma: export

namespace samband::common::testing {
using samband::testing::permissionBits;
using samband::testing::readWhole;
using samband::testing::ScopedUmask;
using samband::testing::TempDir;
}  // namespace samband::common::testing
