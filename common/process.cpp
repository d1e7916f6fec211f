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

unsigned long raiseOpenFileLimit() {
  struct rlimit r {};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
  if (r.rlim_cur < r.rlim_max) {
    struct rlimit wanted = r;
    wanted.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) r = wanted;
  }
  return static_cast<unsigned long>(r.rlim_cur);
}

}  // namespace samband::common
