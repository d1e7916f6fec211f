// TempDir: a fresh directory under $TMPDIR for one test, removed with everything in it when the
// test ends (kept when SAMBAND_KEEP_TEST_DIRS is set, for a post-mortem). Part of the shared
// test-support library; every test that needs files uses this one.
#pragma once

#include <sys/types.h>

#include <string>

namespace samband::testing {

class TempDir {
 public:
  // Throws std::runtime_error when the directory cannot be made (the test then fails).
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Absolute path of `name` inside the directory.
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `text` to `name` (creating parent directories) and returns its path.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

// The whole content of `path`, or "" when it cannot be read.
std::string readWhole(const std::string& path);

// The permission bits of `path`, or 010000 (never a real mode) when it cannot be stat'ed.
unsigned permissionBits(const std::string& path);

// Sets the process umask for the lifetime of the object (tests run on one thread).
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask);
  ~ScopedUmask();
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t previous_;
};

}  // namespace samband::testing
