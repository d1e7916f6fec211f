// See broker_config.h.
#include "broker/broker_config.h"

#include <algorithm>
#include <thread>

#include "common/config.h"

namespace samband::broker {

common::Result<BrokerConfig> loadBrokerConfig(const std::string& path) {
  auto file = common::ConfigFile::load(path);
  if (!file) return file.error();
  const auto& f = **file;
  BrokerConfig c;
  c.configPath = path;
#define SAMBAND_TAKE(dst, expr)  \
  do {                           \
    auto r_ = (expr);            \
    if (!r_) return r_.error();  \
    dst = std::move(r_).value(); \
  } while (0)
  SAMBAND_TAKE(c.server.listen, f.text("broker", "listen", "tcp://127.0.0.1:7700"));
  SAMBAND_TAKE(c.identityPath, f.path("broker", "identity", "city.identity"));
  SAMBAND_TAKE(c.databasePath, f.path("broker", "database", "samband.db"));
  SAMBAND_TAKE(c.logLevel, f.text("broker", "log_level", "info"));
  int64_t v = 0;
  SAMBAND_TAKE(v, f.integer("ingest", "batch_max", 1024, 1, 100000));
  c.server.batchMax = static_cast<size_t>(v);
  SAMBAND_TAKE(v, f.integer("ingest", "batch_delay_ms", 0, 0, 1000));
  c.server.batchDelayMs = static_cast<int>(v);
  SAMBAND_TAKE(v, f.integer("ingest", "verify_threads", 1, 0, 64));
  c.server.verifyThreads = static_cast<int>(v);
  SAMBAND_TAKE(v, f.integer("ingest", "max_queued_frames", 200000, 100, 10000000));
  c.server.maxQueuedFrames = static_cast<size_t>(v);
  SAMBAND_TAKE(v, f.integer("ingest", "roster_refresh_ms", 2000, 100, 600000));
  c.server.rosterRefreshMs = v;
  SAMBAND_TAKE(v, f.integer("liveness", "stale_after_s", 90, 1, 86400));
  c.liveness.staleAfterMs = v * 1000;
  SAMBAND_TAKE(v, f.integer("liveness", "offline_after_s", 300, 1, 86400 * 30));
  c.liveness.offlineAfterMs = v * 1000;
  if (c.liveness.offlineAfterMs <= c.liveness.staleAfterMs) {
    return common::invalidInput(path +
                                ": [liveness] offline_after_s must be larger than "
                                "stale_after_s");
  }
  SAMBAND_TAKE(c.boardListen, f.text("board", "listen", "127.0.0.1:8080"));
  SAMBAND_TAKE(c.readiness, loadReadinessSchedule(f));
#undef SAMBAND_TAKE
  c.server.databasePath = c.databasePath;
  return c;
}

int defaultVerifyThreads() {
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
}

std::string defaultBrokerConfigText(const std::string& listen, const std::string& boardListen) {
  return "# Samband broker configuration. Every key is explained in config/broker.example.toml.\n"
         "[broker]\n"
         "listen = \"" +
         listen +
         "\"\n"
         "identity = \"city.identity\"\n"
         "database = \"samband.db\"\n"
         "log_level = \"info\"\n\n"
         "[ingest]\n"
         "batch_max = 1024\n"
         "batch_delay_ms = 0\n"
         "verify_threads = " +
         std::to_string(defaultVerifyThreads()) +
         "\n"
         "max_queued_frames = 200000\n"
         "roster_refresh_ms = 2000\n\n"
         "[liveness]\n"
         "stale_after_s = 90\n"
         "offline_after_s = 300\n\n"
         "[readiness]\n"
         "enabled = true\n"
         "time = \"07:30\"\n"
         "weekdays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n"
         "skip = []\n"
         "deadline_minutes = 60\n"
         "time_zone = \"Europe/Stockholm\"\n"
         "require_confirmation = false\n\n"
         "[board]\n"
         "listen = \"" +
         boardListen + "\"\n";
}

}  // namespace samband::broker
