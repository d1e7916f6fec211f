// See process.h.
#include "common/process.h"

#include <sys/prctl.h>
#include <sys/resource.h>

namespace samband::common {

void hardenProcess() {
  struct rlimit none {
    0, 0
  };
  setrlimit(RLIMIT_CORE, &none);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

}  // namespace samband::common
