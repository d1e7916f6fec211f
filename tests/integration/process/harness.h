// Moved to the shared test-support library; the lead removes this forwarding header after merge.
#pragma once

#include "tests/support/process.h"   // IWYU pragma: export
#include "tests/support/temp_dir.h"  // IWYU pragma: export
#include "tests/support/wait.h"      // IWYU pragma: export
