// BrokerConfig: broker.toml, read once at startup. Every key is documented in
// config/broker.example.toml; errors name the file, table and key.
#pragma once

#include <string>

#include "broker/readiness.h"
#include "broker/server.h"
#include "common/result.h"

namespace samband::broker {

struct LivenessRules {
  int64_t staleAfterMs = 90'000;
  int64_t offlineAfterMs = 300'000;
};

struct BrokerConfig {
  std::string configPath;
  std::string identityPath;  // city.identity
  std::string databasePath;  // samband.db
  ServerOptions server;
  LivenessRules liveness;
  std::string boardListen = "127.0.0.1:8080";
  std::string logLevel = "info";
  ReadinessSchedule readiness;
};

common::Result<BrokerConfig> loadBrokerConfig(const std::string& path);

// verify_threads for a new broker.toml: one per core of this machine, 1 to 8. Spreading the
// signature checks is the fastest setting measured (docs/performance.md).
int defaultVerifyThreads();

// The text of a new broker.toml (used by `samband-broker init`).
std::string defaultBrokerConfigText(const std::string& listen, const std::string& boardListen);

}  // namespace samband::broker
