// See spool.h.
#include "agent/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "agent/database.h"
#include "agent/report_json.h"
#include "agent/report_log.h"
#include "agent/report_submit.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/log.h"

namespace samband::agent {

namespace {

constexpr int64_t kRescanMs = 60'000;     // a full scan at least this often
constexpr int64_t kBusyRetryMs = 30'000;  // a file left because the outbox was busy

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void syncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

common::Status writeSynced(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) return common::unavailable("cannot write " + tmp + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return common::unavailable("cannot write " + path + ": " + std::strerror(errno));
  }
  return {};
}

// `name` with ".json" replaced by `suffix`.
std::string withSuffix(const std::string& name, const std::string& suffix) {
  return name.substr(0, name.size() - 5) + suffix;
}

// A name in `dir` not taken yet: NAME.json, else NAME-2.json, NAME-3.json, ...
std::string freeName(const std::string& dir, const std::string& name) {
  std::string candidate = name;
  for (int i = 2; i < 10000; ++i) {
    struct stat st {};
    if (::lstat((dir + "/" + candidate).c_str(), &st) != 0 &&
        ::lstat((dir + "/" + withSuffix(candidate, ".reason")).c_str(), &st) != 0) {
      return candidate;
    }
    candidate = withSuffix(name, "-" + std::to_string(i) + ".json");
  }
  return candidate;
}

std::string describeQueued(const std::vector<QueuedMessage>& queued) {
  std::string out = "queued";
  for (size_t i = 0; i < queued.size(); ++i) {
    out += (i ? ", seq " : " seq ") + std::to_string(queued[i].seq) + " (" + queued[i].kind +
           (queued[i].unit.empty() ? "" : " for unit " + queued[i].unit) + ")";
  }
  return out;
}

// The spool_files table: which file (by name and content hash) was queued, written in the
// transaction that queued it. Rows older than 30 days are dropped.
class SpoolRecords {
 public:
  explicit SpoolRecords(SQLite::Database& db) : db_(db) {}

  // What was recorded for this file, or nothing. Errors: unavailable.
  common::Result<std::optional<std::string>> find(const std::string& name,
                                                  const std::string& digest) {
    try {
      SQLite::Statement q(db_, "SELECT outcome FROM spool_files WHERE name = ? AND digest = ?");
      q.bind(1, name);
      q.bind(2, digest);
      if (q.executeStep()) return std::optional<std::string>(q.getColumn(0).getString());
      return std::optional<std::string>();
    } catch (const std::exception& e) {
      return common::unavailable(std::string("cannot read spool_files: ") + e.what());
    }
  }

  // Inside the outbox transaction. Errors: unavailable.
  common::Status record(const std::string& name, const std::string& digest,
                        const std::string& outcome, int64_t nowMs) {
    try {
      SQLite::Statement del(db_, "DELETE FROM spool_files WHERE handled_at < ?");
      del.bind(1, static_cast<int64_t>(nowMs - int64_t{30} * 86'400'000));
      del.exec();
      SQLite::Statement ins(
          db_,
          "INSERT OR REPLACE INTO spool_files (name, digest, outcome, handled_at) "
          "VALUES (?, ?, ?, ?)");
      ins.bind(1, name);
      ins.bind(2, digest);
      ins.bind(3, outcome);
      ins.bind(4, nowMs);
      ins.exec();
      return {};
    } catch (const std::exception& e) {
      return common::unavailable(std::string("cannot record the spooled file: ") + e.what());
    }
  }

 private:
  SQLite::Database& db_;
};

}  // namespace

Spool::Spool(const AgentConfig& config, SQLite::Database& db)
    : config_(config), db_(db), dir_(config.spoolDir.value_or("")) {}

common::Status Spool::prepare(const std::string& dir) {
  for (const std::string& d : {dir, dir + "/done", dir + "/refused"}) {
    if (::mkdir(d.c_str(), 0750) != 0 && errno != EEXIST) {
      return common::unavailable("cannot create the spool directory " + d + ": " +
                                 std::strerror(errno) +
                                 "; create it, or fix [spool] dir in agent.toml");
    }
    struct stat st {};
    if (::stat(d.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return common::unavailable(d + " is not a directory; fix [spool] dir in agent.toml");
    }
  }
  return {};
}

common::Result<std::vector<SpoolOutcome>> Spool::processOnce(int64_t nowMs) {
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) {
    return common::unavailable("cannot read the spool directory " + dir_ + ": " +
                               std::strerror(errno));
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.empty() || name[0] == '.' || !endsWith(name, ".json") || name.size() > 200) continue;
    names.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<SpoolOutcome> out;
  for (const auto& name : names) out.push_back(handle(name, nowMs));
  return out;
}

SpoolOutcome Spool::handle(const std::string& name, int64_t nowMs) {
  SpoolOutcome o;
  o.file = name;
  const std::string path = dir_ + "/" + name;
  // Reads the file (never through a symlink, never more than the limit).
  std::string body;
  std::string unreadable;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  struct stat st {};
  if (fd < 0) {
    if (errno == ENOENT) {  // taken away meanwhile
      o.waiting = true;
      o.reason = "gone";
      return o;
    }
    unreadable = std::string("cannot be read: ") + std::strerror(errno);
  } else if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    unreadable = "is not a regular file";
  } else if (nowMs -
                 (static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000) <
             kSpoolSettleMs) {
    ::close(fd);
    o.waiting = true;
    o.reason = "still being written";
    return o;
  } else if (static_cast<size_t>(st.st_size) > kMaxSpoolFileBytes) {
    unreadable = "is larger than " + std::to_string(kMaxSpoolFileBytes / 1024) +
                 " KiB; write one unit's report per file";
  } else {
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
      body.append(buf, static_cast<size_t>(n));
      if (body.size() > kMaxSpoolFileBytes) break;
    }
    if (n < 0) unreadable = std::string("cannot be read: ") + std::strerror(errno);
  }
  if (fd >= 0) ::close(fd);

  std::string reason;
  bool refused = true;
  if (!unreadable.empty()) {
    reason = "refused: the file " + unreadable;
  } else {
    uint8_t hash[32];
    crypto_generichash(hash, sizeof hash, reinterpret_cast<const uint8_t*>(body.data()),
                       body.size(), nullptr, 0);
    const std::string digest = common::toHex(hash, sizeof hash);
    SpoolRecords records(db_);
    auto earlier = records.find(name, digest);
    if (!earlier) {
      o.waiting = true;
      o.reason = "the agent database is busy: " + earlier.error().message;
      return o;
    }
    if (*earlier) {
      // Queued before the agent stopped; only the move was left to do.
      refused = false;
      reason = **earlier;
    } else {
      auto request = parseReportJson(body);
      common::Result<std::vector<QueuedMessage>> queued =
          request ? submitReport(
                        db_, config_, *request, nowMs,
                        [&](const std::vector<QueuedMessage>& q) -> common::Status {
                          std::vector<int64_t> ids;
                          for (const auto& m : q) ids.push_back(m.rowId);
                          if (common::Status s = setReportSource(db_, ids, "spool:" + name); !s) {
                            return s;
                          }
                          return records.record(name, digest, describeQueued(q), nowMs);
                        })
                  : common::Result<std::vector<QueuedMessage>>(request.error());
      if (queued) {
        refused = false;
        reason = describeQueued(*queued);
      } else if (queued.error().kind == common::ErrorKind::unavailable) {
        o.waiting = true;
        o.reason = queued.error().message;
        return o;
      } else {
        const std::string field = reportFieldOfError(queued.error().message);
        reason = "refused: " + queued.error().message;
        if (!field.empty()) reason += " (field: " + field + ")";
      }
    }
  }
  const std::string target = dir_ + (refused ? "/refused" : "/done");
  const std::string moved = freeName(target, name);
  if (common::Status s = writeSynced(target + "/" + withSuffix(moved, ".reason"), reason + "\n");
      !s) {
    o.waiting = true;
    o.reason = s.error().message;
    return o;
  }
  if (::rename(path.c_str(), (target + "/" + moved).c_str()) != 0) {
    o.waiting = true;
    o.reason = "cannot move " + path + " to " + target + ": " + std::strerror(errno);
    return o;
  }
  syncDir(target);
  syncDir(dir_);
  o.movedTo = target + "/" + moved;
  o.refused = refused;
  o.reason = reason;
  return o;
}

SpoolWatcher::~SpoolWatcher() { stop(); }

common::Status SpoolWatcher::start(const AgentConfig& config) {
  if (!config.spoolDir) return {};
  if (common::Status s = Spool::prepare(*config.spoolDir); !s) return s;
  inotifyFd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (inotifyFd_ < 0 || wakeFd_ < 0 ||
      ::inotify_add_watch(inotifyFd_, config.spoolDir->c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
    return common::unavailable("cannot watch the spool directory " + *config.spoolDir + ": " +
                               std::strerror(errno));
  }
  thread_ = std::thread([this, config] { loop(config); });
  common::logInfo("agent", "spool: reporting the *.json files dropped in " + *config.spoolDir);
  return {};
}

void SpoolWatcher::stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    if (::write(wakeFd_, &one, sizeof one) < 0) {
      // The thread also checks the descriptor on its next timeout.
    }
    thread_.join();
  }
  if (wakeFd_ >= 0) ::close(wakeFd_);
  if (inotifyFd_ >= 0) ::close(inotifyFd_);
  wakeFd_ = inotifyFd_ = -1;
}

void SpoolWatcher::loop(const AgentConfig& config) {
  auto db = openAgentDatabase(config.outboxPath, OpenMode::createIfMissing);
  if (!db) {
    common::logError("agent", "spool: " + db.error().message + "; spooled files wait");
    return;
  }
  Spool spool(config, **db);
  common::SystemClock clock;
  common::RateLimiter limiter(1);
  auto mayLog = [&limiter, &clock] {
    uint64_t suppressed = 0;
    return limiter.allow(clock.nowMs(), &suppressed);
  };
  int64_t nextScan = common::monotonicMs();
  while (true) {
    const int64_t now = common::monotonicMs();
    pollfd fds[2] = {{wakeFd_, POLLIN, 0}, {inotifyFd_, POLLIN, 0}};
    int timeout = static_cast<int>(std::clamp<int64_t>(nextScan - now, 0, kRescanMs));
    if (::poll(fds, 2, timeout) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) break;
    if (fds[1].revents & POLLIN) {
      alignas(inotify_event) char buf[4096];
      while (::read(inotifyFd_, buf, sizeof buf) > 0) {
      }
      // Files whose writer just closed them are settled a moment later.
      nextScan = std::min(nextScan, common::monotonicMs() + kSpoolSettleMs + 50);
      continue;
    }
    if (common::monotonicMs() < nextScan) continue;
    nextScan = common::monotonicMs() + kRescanMs;
    auto outcomes = spool.processOnce(clock.nowMs());
    if (!outcomes) {
      if (mayLog()) common::logWarn("agent", "spool: " + outcomes.error().message);
      nextScan = common::monotonicMs() + kBusyRetryMs;
      continue;
    }
    for (const auto& o : *outcomes) {
      if (o.waiting) {
        if (o.reason == "gone") continue;
        const bool settling = o.reason == "still being written";
        nextScan = std::min(
            nextScan, common::monotonicMs() + (settling ? kSpoolSettleMs + 50 : kBusyRetryMs));
        if (!settling && mayLog()) {
          common::logWarn("agent", "spool: " + o.file + " waits: " + o.reason);
        }
      } else if (o.refused) {
        common::logWarn("agent", "spool: " + o.file + " " + o.reason + "; moved to " + o.movedTo);
      } else {
        common::logInfo("agent", "spool: " + o.file + " " + o.reason);
      }
    }
  }
}

}  // namespace samband::agent
