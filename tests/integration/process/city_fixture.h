// A city for integration tests: a broker directory served by a real samband-broker process on
// free loopback ports, and helpers to create, enroll and run real samband-agent processes.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace samband::testing {

// Replaces the value of `key = ...` in a TOML file (the first such line), or appends the key
// under `[table]` when it is not there.
void setTomlKey(const std::string& path, const std::string& table, const std::string& key,
                const std::string& value);

class CityFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::string brokerBin() const;
  std::string agentBin() const;
  std::string brokerDir() const { return tmp_.path() + "/D"; }
  std::string brokerConfig() const { return brokerDir() + "/broker.toml"; }
  std::string endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

  void startBroker();
  void stopBroker();  // SIGTERM
  void killBroker();  // SIGKILL
  bool brokerRunning() { return broker_ && broker_->running(); }

  // Creates and enrolls an agent directory; returns its agent.toml path.
  std::string makeAgent(const std::string& name, const std::string& provider,
                        const std::vector<std::string>& units);
  std::unique_ptr<Process> runAgent(const std::string& agentConfig);

  nlohmann::json brokerStatus();
  nlohmann::json agentStatus(const std::string& agentConfig);
  nlohmann::json audit(int* exitCode = nullptr);
  // Queues one unit report through the CLI; asserts success.
  void report(const std::string& agentConfig, const std::string& unit,
              const std::vector<std::string>& extra);
  // The unit object from `status --json`, or null.
  nlohmann::json unitStatus(const std::string& unit);

  TempDir tmp_;
  int port_ = 0;
  std::unique_ptr<Process> broker_;
};

}  // namespace samband::testing
