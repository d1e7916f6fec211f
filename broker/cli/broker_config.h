// BrokerConfig: broker.toml, read once at startup. Every key is documented in
// config/broker.example.toml; errors name the file, table and key.
#pragma once

#include <string>

#include "broker/board/board_config.h"
#include "broker/city/readiness.h"
#include "broker/ingest/server.h"
#include "broker/picture/liveness.h"
#include "broker/picture/snapshotter.h"
#include "broker/replication/replication_options.h"
#include "broker/replication/rollup_options.h"
#include "common/result.h"
#include "common/school_calendar.h"

namespace samband::broker {

struct BrokerConfig {
  std::string configPath;
  std::string identityPath;  // city.identity
  std::string databasePath;  // samband.db
  ServerOptions server;
  LivenessRules liveness;
  std::string boardListen = "127.0.0.1:8080";
  std::string logLevel = "info";
  ReadinessSchedule readiness;
  // [calendar]: the city's school holidays from the config (calendar import adds to them in
  // the database).
  std::vector<common::HolidayRange> holidays;
  // [picture] snapshot_every_frames: a picture snapshot every this many frames (0: none).
  int64_t snapshotEveryFrames = kDefaultSnapshotEveryFrames;
  // [replication]: peer brokers of the same city (docs/replication.md).
  ReplicationOptions replication;
  // [broker] tier: "city" (the default: agents report here), "county" or "national" (an
  // upstream: cities relay here, docs/rollup.md).
  Tier tier = Tier::city;
  // [upstream] of a city broker: the county or national broker it relays to.
  UpstreamOptions upstream;
};

common::Result<BrokerConfig> loadBrokerConfig(const std::string& path);

// The text of a new broker.toml for an upstream broker (`init --tier county|national`).
std::string upstreamBrokerConfigText(Tier tier, const std::string& listen,
                                     const std::string& boardListen,
                                     const std::string& identity = "broker.identity",
                                     const std::string& database = "samband.db");

// Reads the [board] table of `broker.configPath` on top of what loadBrokerConfig() read
// (boardListen, databasePath, liveness). Errors name the file, table and key.
common::Result<BoardOptions> loadBoardOptions(const BrokerConfig& broker);

// verify_threads for a new broker.toml: one per core of this machine, 1 to 8. Spreading the
// signature checks is the fastest setting measured (docs/performance.md).
int defaultVerifyThreads();

// The text of a new broker.toml (used by `samband-broker init`); `identity` and `database` as
// written (relative ones resolve against the config's directory).
std::string defaultBrokerConfigText(const std::string& listen, const std::string& boardListen,
                                    const std::string& identity = "city.identity",
                                    const std::string& database = "samband.db");

}  // namespace samband::broker
