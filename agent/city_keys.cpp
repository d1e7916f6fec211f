// See city_keys.h. The file is rewritten whole (atomically) when a statement is learned: it holds
// a handful of lines, and each is checked against the root again when read.
#include "agent/city_keys.h"

#include <sys/stat.h>

#include <filesystem>

#include "common/config.h"
#include "common/log.h"

namespace samband::agent {

std::string CityKeys::pathFor(const std::string& outboxPath) {
  const auto dir = std::filesystem::path(outboxPath).parent_path();
  return (dir.empty() ? std::filesystem::path("city-keys.txt") : dir / "city-keys.txt").string();
}

common::Result<std::unique_ptr<CityKeys>> CityKeys::open(const common::PublicKey& root,
                                                         std::string path) {
  std::unique_ptr<CityKeys> keys(new CityKeys(root, std::move(path)));
  struct stat st {};
  if (::stat(keys->path_.c_str(), &st) != 0) return keys;  // nothing learned yet
  auto lines = common::loadCityKeyLines(keys->path_);
  if (!lines) {
    return common::unavailable(lines.error().message +
                               "; move the file away and restart (the "
                               "brokers send the statements again)");
  }
  for (const auto& line : *lines) {
    if (auto added = keys->keyring_.add(line); !added) {
      common::logWarn("agent", keys->path_ + ": " + added.error().message + " (line skipped)");
    }
  }
  return keys;
}

common::Result<bool> CityKeys::learn(const common::CityKeyMsg& statement) {
  auto added = keyring_.add(statement);
  if (!added || !*added) return added;
  if (auto s = save(path_, keyring_.statements()); !s) return s.error();
  return true;
}

common::Status CityKeys::save(const std::string& path,
                              const std::vector<common::SignedCityKey>& statements) {
  std::string text =
      "# City key statements this agent learned (root-signed certificates and revocations).\n"
      "# Written by samband-agent; each line is checked against the pinned root when read.\n";
  for (const auto& s : statements) text += s.toText();
  return common::writeFileAtomic(path, text, 0644);
}

}  // namespace samband::agent
