// TOML config access through toml++ with messages that tell the operator what to fix.
#include "common/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace samband::common {

ConfigFile::~ConfigFile() = default;

Result<std::unique_ptr<ConfigFile>> ConfigFile::load(const std::string& path) {
  std::unique_ptr<ConfigFile> cfg(new ConfigFile());
  cfg->path_ = path;
  auto slash = path.find_last_of('/');
  cfg->dir_ = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  std::ifstream probe(path);
  if (!probe) {
    return invalidInput("cannot read config file " + path + ": " + std::strerror(errno) +
                        " (create one with the 'init' command, or pass --config)");
  }
  try {
    cfg->root_ = std::make_unique<toml::table>(toml::parse_file(path));
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path << " line " << e.source().begin.line << ", column " << e.source().begin.column
        << ": " << e.description();
    return invalidInput(msg.str());
  }
  return cfg;
}

std::string ConfigFile::where(const std::string& table, const std::string& key) const {
  return path_ + ": " + (table.empty() ? "" : "[" + table + "] ") + key;
}

namespace {
const toml::node* lookup(const toml::table& root, const std::string& table,
                         const std::string& key) {
  const toml::table* t = &root;
  if (!table.empty()) {
    t = root[table].as_table();
    if (t == nullptr) return nullptr;
  }
  return t->get(key);
}
}  // namespace

Result<std::string> ConfigFile::text(const std::string& table, const std::string& key,
                                     std::optional<std::string> fallback) const {
  const toml::node* n = lookup(*root_, table, key);
  if (n == nullptr) {
    if (fallback) return *fallback;
    return invalidInput(where(table, key) + " is missing; add it (see config/*.example.toml)");
  }
  if (auto v = n->value<std::string>()) return *v;
  return invalidInput(where(table, key) + " must be a string in quotes");
}

Result<int64_t> ConfigFile::integer(const std::string& table, const std::string& key,
                                    std::optional<int64_t> fallback, int64_t min,
                                    int64_t max) const {
  const toml::node* n = lookup(*root_, table, key);
  if (n == nullptr) {
    if (fallback) return *fallback;
    return invalidInput(where(table, key) + " is missing; add it (see config/*.example.toml)");
  }
  auto v = n->value<int64_t>();
  if (!v || !n->is_integer()) return invalidInput(where(table, key) + " must be an integer");
  if (*v < min || *v > max) {
    return invalidInput(where(table, key) + " must be from " + std::to_string(min) + " to " +
                        std::to_string(max) + " (it is " + std::to_string(*v) + ")");
  }
  return *v;
}

Result<bool> ConfigFile::boolean(const std::string& table, const std::string& key,
                                 std::optional<bool> fallback) const {
  const toml::node* n = lookup(*root_, table, key);
  if (n == nullptr) {
    if (fallback) return *fallback;
    return invalidInput(where(table, key) + " is missing");
  }
  if (auto v = n->value<bool>(); v && n->is_boolean()) return *v;
  return invalidInput(where(table, key) + " must be true or false");
}

Result<std::vector<std::string>> ConfigFile::textList(const std::string& table,
                                                      const std::string& key, bool required) const {
  const toml::node* n = lookup(*root_, table, key);
  std::vector<std::string> out;
  if (n == nullptr) {
    if (!required) return out;
    return invalidInput(where(table, key) + " is missing; add it as a list of strings");
  }
  const toml::array* arr = n->as_array();
  if (arr == nullptr) return invalidInput(where(table, key) + " must be a list of strings");
  for (const auto& el : *arr) {
    auto v = el.value<std::string>();
    if (!v) return invalidInput(where(table, key) + " must contain only strings");
    out.push_back(*v);
  }
  return out;
}

Result<std::vector<std::vector<std::string>>> ConfigFile::textRows(const std::string& table,
                                                                   const std::string& key,
                                                                   size_t width,
                                                                   const std::string& shape) const {
  const toml::node* n = lookup(*root_, table, key);
  std::vector<std::vector<std::string>> out;
  if (n == nullptr) return out;
  const std::string must = where(table, key) + " must be a list like [" + shape + ", ...]";
  const toml::array* arr = n->as_array();
  if (arr == nullptr) return invalidInput(must);
  for (const auto& el : *arr) {
    const toml::array* row = el.as_array();
    if (row == nullptr || row->size() != width) {
      return invalidInput(must + "; element " + std::to_string(out.size() + 1) + " is not");
    }
    std::vector<std::string> cells;
    for (const auto& cell : *row) {
      auto v = cell.value<std::string>();
      if (!v || !cell.is_string()) {
        return invalidInput(must + "; element " + std::to_string(out.size() + 1) +
                            " holds something that is not a string in quotes");
      }
      cells.push_back(*v);
    }
    out.push_back(std::move(cells));
  }
  return out;
}

Result<std::string> ConfigFile::path(const std::string& table, const std::string& key,
                                     std::optional<std::string> fallback) const {
  auto t = text(table, key, std::move(fallback));
  if (!t) return t;
  return resolve(*t);
}

std::string ConfigFile::resolve(const std::string& p) const {
  if (p.empty() || p[0] == '/') return p;
  return dir_ + "/" + p;
}

Status writeFileAtomic(const std::string& path, const std::string& text, unsigned mode) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return unavailable("cannot write " + tmp + ": " + std::strerror(errno));
  ::fchmod(fd, mode);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return unavailable("cannot write " + path + ": " + std::strerror(errno));
  }
  return {};
}

Result<std::string> readFile(const std::string& path, size_t maxBytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalidInput("cannot read " + path + ": " + std::strerror(errno));
  std::string out;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > maxBytes) return invalidInput(path + " is too large");
  }
  return out;
}

}  // namespace samband::common
