// Files that a setup command run as root creates in a service's state directory must belong to
// the service's user, or the service cannot open them. The rule, without naming any user: such
// files take the owner and group of the directory they are created in (the package made
// /var/lib/samband the `samband` user's).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace samband::common {

// When this process runs as root, gives each of `files` that exists the owner and group of
// `directory` (lchown: a symlink is not followed). Not root: nothing to do. Errors: unavailable,
// naming the file and what to run instead.
Status adoptDirectoryOwner(const std::string& directory, const std::vector<std::string>& files);

}  // namespace samband::common
