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

// The provider and unit that the single-provider tests enrol.
inline constexpr const char* kProvider = "556677-8899";
inline constexpr const char* kUnit = "12345678";

// The value of the first `key = value` line of a TOML file ("" when there is none), as written,
// quotes included.
std::string keyLine(const std::string& path, const std::string& key);

// The local calendar date `days` from today, as YYYY-MM-DD.
std::string dayFromToday(int days);

// A python3 that can import PyNaCl (tools/verify.py needs it), or "" when there is none.
std::string pythonWithNacl();

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
