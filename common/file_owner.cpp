// See file_owner.h.
#include "common/file_owner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace samband::common {

Status adoptDirectoryOwner(const std::string& directory, const std::vector<std::string>& files) {
  if (::geteuid() != 0) return {};
  struct stat dir {};
  if (::stat(directory.c_str(), &dir) != 0) {
    return unavailable("cannot read the owner of " + directory + ": " + std::strerror(errno));
  }
  for (const auto& file : files) {
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0) continue;
    if (st.st_uid == dir.st_uid && st.st_gid == dir.st_gid) continue;
    if (::lchown(file.c_str(), dir.st_uid, dir.st_gid) != 0) {
      return unavailable("cannot give " + file + " the owner of " + directory + ": " +
                         std::strerror(errno) + "; run chown --reference=" + directory + " " +
                         file);
    }
  }
  return {};
}

}  // namespace samband::common
