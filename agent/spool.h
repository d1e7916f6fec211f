// The spool directory ([spool] dir in agent.toml): a file drop for the provider's own systems. A
// school administration system writes one report per file, as JSON (report_json.h), and moves it
// into the directory under a name ending in ".json"; `samband-agent run` picks it up, reports it
// through submitReport() (exactly as `samband-agent report` does), and moves it to done/ or
// refused/ with a NAME.reason file beside it saying what happened.
//
// Nothing is lost when the agent is killed while it handles a file: the outbox transaction that
// queues a report also records the file's name and content hash, so a file found again after a
// restart is moved to done/ without being reported twice, and a file whose transaction never
// committed is simply handled again. The reason file is written (and synced) before the report
// file is renamed next to it, and both directories are synced after the rename.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent_config.h"
#include "common/result.h"

namespace samband::agent {

// A file younger than this (by modification time) may still be being written: it waits.
inline constexpr int64_t kSpoolSettleMs = 1000;
// Larger files are refused unread.
inline constexpr size_t kMaxSpoolFileBytes = 64 * 1024;

struct SpoolOutcome {
  std::string file;      // the name in the spool directory
  std::string movedTo;   // path of the file now (in done/ or refused/); "" when it waits
  bool refused = false;  // moved to refused/
  bool waiting = false;  // left in place: still settling, or the outbox was busy (retried)
  std::string reason;    // what the .reason file says (or why it waits)
};

class Spool {
 public:
  // `db` is a connection of this thread to the agent database.
  Spool(const AgentConfig& config, SQLite::Database& db);

  // Creates `dir`, `dir`/done and `dir`/refused (0750) when missing. Errors: unavailable,
  // naming the directory.
  static common::Status prepare(const std::string& dir);

  // Handles every settled *.json file in the directory once, in name order (a name that sorts
  // first is reported first). Errors: unavailable when the directory cannot be read.
  common::Result<std::vector<SpoolOutcome>> processOnce(int64_t nowMs);

 private:
  SpoolOutcome handle(const std::string& name, int64_t nowMs);

  const AgentConfig& config_;
  SQLite::Database& db_;
  std::string dir_;
};

// Runs a Spool on its own thread while `samband-agent run` runs: at start, whenever a file is
// closed after writing or moved into the directory (inotify), and once a minute in case an event
// was missed. Outcomes are logged.
class SpoolWatcher {
 public:
  SpoolWatcher() = default;
  SpoolWatcher(const SpoolWatcher&) = delete;
  SpoolWatcher& operator=(const SpoolWatcher&) = delete;
  ~SpoolWatcher();

  // Prepares the directory and opens the database; the thread starts only when both work.
  common::Status start(const AgentConfig& config);
  void stop();

 private:
  void loop(const AgentConfig& config);

  std::thread thread_;
  int wakeFd_ = -1;
  int inotifyFd_ = -1;
};

}  // namespace samband::agent
