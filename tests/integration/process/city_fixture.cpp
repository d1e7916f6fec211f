// See city_fixture.h.
#include "tests/integration/process/city_fixture.h"

#include "common/clock.h"
#include "common/school_calendar.h"

#include <fstream>
#include <regex>
#include <sstream>

namespace samband::testing {

void setTomlKey(const std::string& path, const std::string& table, const std::string& key,
                const std::string& value) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::regex line("(^|\n)" + key + "[ \t]*=[^\n]*");
  if (std::regex_search(text, line)) {
    text = std::regex_replace(text, line, "$1" + key + " = " + value,
                              std::regex_constants::format_first_only);
  } else {
    std::string header = "[" + table + "]";
    auto pos = text.find(header);
    if (pos == std::string::npos) {
      text += "\n" + header + "\n" + key + " = " + value + "\n";
    } else {
      text.insert(pos + header.size(), "\n" + key + " = " + value);
    }
  }
  std::ofstream(path) << text;
}

std::string CityFixture::brokerBin() const { return SAMBAND_BROKER_BIN; }
std::string CityFixture::agentBin() const { return SAMBAND_AGENT_BIN; }

void CityFixture::SetUp() {
  port_ = freePort();
  int boardPort = freePort();
  auto r = runCommand({brokerBin(), "init", "--dir", brokerDir(), "--listen", endpoint(),
                       "--board-listen", "127.0.0.1:" + std::to_string(boardPort)});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  setTomlKey(brokerConfig(), "liveness", "stale_after_s", "5");
  setTomlKey(brokerConfig(), "liveness", "offline_after_s", "15");
  setTomlKey(brokerConfig(), "ingest", "roster_refresh_ms", "200");
  // No scheduled readiness check: a test running after 07:30 on a weekday would otherwise get
  // one at start, and its agents would answer it into their chains. Tests issue their own.
  setTomlKey(brokerConfig(), "readiness", "enabled", "false");
}

void CityFixture::TearDown() {
  if (broker_) broker_->terminate();
  if (HasFailure()) {
    std::ifstream log(tmp_.path() + "/broker.log");
    std::stringstream ss;
    ss << log.rdbuf();
    std::string text = ss.str();
    if (text.size() > 4000) text = text.substr(text.size() - 4000);
    std::cerr << "--- broker log (tail) ---\n" << text << "\n";
  }
}

void CityFixture::startBroker() {
  broker_ = std::make_unique<Process>(
      std::vector<std::string>{brokerBin(), "serve", "--config", brokerConfig()},
      tmp_.path() + "/broker.log");
  // Ready when status works and the port accepts connections: wait on the log line.
  ASSERT_TRUE(waitUntil([&] {
    std::ifstream log(tmp_.path() + "/broker.log");
    std::stringstream ss;
    ss << log.rdbuf();
    std::string text = ss.str();
    size_t last = text.rfind("listening on");
    size_t lastStop = text.rfind("stopping");
    return last != std::string::npos && (lastStop == std::string::npos || lastStop < last);
  })) << "broker did not start";
}

void CityFixture::stopBroker() {
  if (broker_) broker_->terminate();
  std::ofstream(tmp_.path() + "/broker.log", std::ios::app) << "\n(stopped by test)\nstopping\n";
}

void CityFixture::killBroker() {
  if (broker_) broker_->kill9();
  std::ofstream(tmp_.path() + "/broker.log", std::ios::app) << "\n(killed by test)\nstopping\n";
}

std::string CityFixture::makeAgent(const std::string& name, const std::string& provider,
                                   const std::vector<std::string>& units) {
  std::string dir = tmp_.path() + "/" + name;
  std::vector<std::string> argv{agentBin(),   "init",     "--dir",       dir,
                                "--provider", provider,   "--name",      "Skolbolaget " + name,
                                "--broker",   endpoint(), "--city-keys", brokerDir() + "/city.pub"};
  for (const auto& u : units) {
    argv.push_back("--unit");
    argv.push_back(u);
  }
  auto r = runCommand(argv);
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  std::string config = dir + "/agent.toml";
  setTomlKey(config, "timing", "heartbeat_interval_s", "1");
  setTomlKey(config, "link", "ack_timeout_ms", "1000");
  setTomlKey(config, "link", "reconnect_min_ms", "50");
  setTomlKey(config, "link", "reconnect_max_ms", "500");
  auto e = runCommand({brokerBin(), "enroll", "--config", brokerConfig(), "--request",
                       dir + "/enroll-request.json"});
  EXPECT_EQ(e.exitCode, 0) << e.out << e.err;
  return config;
}

std::unique_ptr<Process> CityFixture::runAgent(const std::string& agentConfig) {
  std::string log = agentConfig.substr(0, agentConfig.rfind('/')) + "/agent.log";
  return std::make_unique<Process>(
      std::vector<std::string>{agentBin(), "run", "--config", agentConfig}, log);
}

nlohmann::json CityFixture::brokerStatus() {
  auto r = runCommand({brokerBin(), "status", "--config", brokerConfig(), "--json"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

nlohmann::json CityFixture::agentStatus(const std::string& agentConfig) {
  auto r = runCommand({agentBin(), "status", "--config", agentConfig, "--json"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

nlohmann::json CityFixture::audit(int* exitCode) {
  auto r = runCommand({brokerBin(), "audit", "--config", brokerConfig(), "--json"});
  if (exitCode) *exitCode = r.exitCode;
  return nlohmann::json::parse(r.out, nullptr, false);
}

void CityFixture::report(const std::string& agentConfig, const std::string& unit,
                         const std::vector<std::string>& extra) {
  std::vector<std::string> argv{agentBin(), "report", "--config", agentConfig, "--unit", unit};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto r = runCommand(argv);
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
}

nlohmann::json CityFixture::unitStatus(const std::string& unit) {
  auto status = brokerStatus();
  if (status.is_discarded()) return nullptr;
  for (const auto& p : status["providers"]) {
    for (const auto& u : p["units"]) {
      if (u["code"] == unit) return u;
    }
  }
  return nullptr;
}

std::string keyLine(const std::string& path, const std::string& key) {
  std::istringstream in(readWhole(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + " = ", 0) == 0) return line.substr(key.size() + 3);
  }
  return "";
}

std::string dayFromToday(int days) {
  const int64_t now = common::SystemClock().nowMs();
  return common::formatCivilDate(
      common::civilFromDays(common::daysFromCivil(common::localDateOf(now)) + days));
}

std::string pythonWithNacl() {
  for (const char* py : {"/usr/bin/python3", "python3"}) {
    if (runCommand({py, "-c", "import nacl.signing"}).exitCode == 0) return py;
  }
  return "";
}

}  // namespace samband::testing
