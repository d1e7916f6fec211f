// Reading TOML config files with errors that name the file, the table and the key.
// Relative paths in a config are resolved against the directory of the config file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace samband::common {

class ConfigFile {
 public:
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;
  ~ConfigFile();

  // Parses `path`. A syntax error names the line and column.
  static Result<std::unique_ptr<ConfigFile>> load(const std::string& path);

  const std::string& path() const { return path_; }
  // Directory holding the config file (for resolving relative paths).
  const std::string& dir() const { return dir_; }

  // `table` may be empty for top-level keys. A missing key yields the default, or an error
  // when there is none; a key of the wrong type or out of range always yields an error.
  Result<std::string> text(const std::string& table, const std::string& key,
                           std::optional<std::string> fallback = std::nullopt) const;
  Result<int64_t> integer(const std::string& table, const std::string& key,
                          std::optional<int64_t> fallback, int64_t min, int64_t max) const;
  Result<bool> boolean(const std::string& table, const std::string& key,
                       std::optional<bool> fallback) const;
  Result<std::vector<std::string>> textList(const std::string& table, const std::string& key,
                                            bool required) const;
  // A list of lists of strings (`[["a", "b"], ["c", "d"]]`); each inner list must hold `width`
  // strings. A missing key is an empty list. `shape` shows the operator one element.
  Result<std::vector<std::vector<std::string>>> textRows(const std::string& table,
                                                         const std::string& key, size_t width,
                                                         const std::string& shape) const;
  // A path key, resolved against dir().
  Result<std::string> path(const std::string& table, const std::string& key,
                           std::optional<std::string> fallback = std::nullopt) const;

  std::string resolve(const std::string& p) const;
  // "FILE: [table] key", for messages about a key.
  std::string where(const std::string& table, const std::string& key) const;

 private:
  ConfigFile() = default;
  std::string path_;
  std::string dir_;
  std::unique_ptr<toml::table> root_;
};

// Writes `text` to `path` atomically (temp file + rename), with `mode`.
Status writeFileAtomic(const std::string& path, const std::string& text, unsigned mode = 0644);
// Reads a whole file (at most `maxBytes`).
Result<std::string> readFile(const std::string& path, size_t maxBytes = 16 * 1024 * 1024);

}  // namespace samband::common
