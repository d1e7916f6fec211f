// `samband-agent setup`, the real binary: the packaged layout from flags (config in one place,
// identity, outbox and request in the state directory), the questions for what the flags leave
// out (a bad answer asked again), --no-input naming what is missing, and no overwriting.
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t modeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

class SetupTest : public CityFixture {
 protected:
  std::string etc() const { return tmp_.path() + "/etc/samband"; }
  std::string state() const { return tmp_.path() + "/var/lib/samband"; }
  std::vector<std::string> setupArgs() const {
    return {agentBin(), "setup", "--config", etc() + "/agent.toml", "--state-dir", state()};
  }
};

TEST_F(SetupTest, WritesThePackagedLayoutFromFlags) {
  auto args = setupArgs();
  for (const char* a :
       {"--provider", "556677-8899", "--name", "Exempelskolan AB", "--broker", "127.0.0.1:17000",
        "--unit", "12345678", "--unit", "87654321", "--no-input"}) {
    args.push_back(a);
  }
  args.push_back("--city-keys");
  args.push_back(brokerDir() + "/city.pub");
  auto r = runCommand(args);
  ASSERT_EQ(r.exitCode, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("Enrolment request: " + state() + "/enroll-request.json"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("systemctl enable --now samband-agent"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("samband-agent doctor --config " + etc() + "/agent.toml"), std::string::npos)
      << r.out;
  EXPECT_EQ(modeOf(state() + "/agent.identity"), 0600u);
  EXPECT_NE(modeOf(state() + "/outbox.db"), 0u);
  const std::string config = slurp(etc() + "/agent.toml");
  EXPECT_NE(config.find("identity = \"" + state() + "/agent.identity\""), std::string::npos)
      << config;
  EXPECT_NE(config.find("outbox = \"" + state() + "/outbox.db\""), std::string::npos) << config;
  EXPECT_NE(config.find("endpoint = \"tcp://127.0.0.1:17000\""), std::string::npos)
      << "HOST:PORT gets tcp:// in front\n"
      << config;
  EXPECT_NE(config.find("# dir = \"" + state() + "/spool\""), std::string::npos)
      << "the spool example points at a writable place, not /etc\n"
      << config;

  // The agent it made is usable as it stands: report, then status, through that config.
  auto report = runCommand({agentBin(), "report", "--config", etc() + "/agent.toml", "--unit",
                            "12345678", "--operational", "normal"});
  EXPECT_EQ(report.exitCode, 0) << report.err;

  // A second setup refuses to replace the identity.
  auto again = runCommand(args);
  EXPECT_EQ(again.exitCode, 2);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("back up the identity"), std::string::npos) << again.err;
}

TEST_F(SetupTest, AsksForWhatTheFlagsLeaveOutAndAsksAgainAfterABadAnswer) {
  auto args = setupArgs();
  args.push_back("--name");
  args.push_back("Flaggskolan AB");
  const std::string answers =
      "55667-88\n"               // not an organisation number
      "556677-8899\n"            // provider
      "tcp://127.0.0.1:17001\n"  // broker
      + brokerDir() + "/city.pub\n" +
      "12345678, 87654321\n"  // units
      "IT-jour 08-123 456 78\n";
  auto r = runCommand(args, answers);
  ASSERT_EQ(r.exitCode, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("is not an organisation number"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Name of the provider"), std::string::npos)
      << "a value given as a flag is not asked\n"
      << r.out;
  const std::string config = slurp(etc() + "/agent.toml");
  EXPECT_NE(config.find("provider = \"556677-8899\""), std::string::npos) << config;
  EXPECT_NE(config.find("name = \"Flaggskolan AB\""), std::string::npos) << config;
  EXPECT_NE(config.find("units = [\"12345678\", \"87654321\"]"), std::string::npos) << config;
  EXPECT_NE(config.find("duty_contact = \"IT-jour 08-123 456 78\""), std::string::npos) << config;
}

TEST_F(SetupTest, EndOfInputOrNoInputNamesTheMissingFlag) {
  auto args = setupArgs();
  for (const char* a :
       {"--provider", "556677-8899", "--name", "X AB", "--broker", "127.0.0.1:17002"}) {
    args.push_back(a);
  }
  args.push_back("--city-keys");
  args.push_back(brokerDir() + "/city.pub");
  auto ended = runCommand(args, "");
  EXPECT_EQ(ended.exitCode, 2);
  EXPECT_NE(ended.err.find("--unit"), std::string::npos) << ended.err;
  args.push_back("--no-input");
  auto noInput = runCommand(args, "12345678\n");
  EXPECT_EQ(noInput.exitCode, 2);
  EXPECT_NE(noInput.err.find("--unit is missing"), std::string::npos) << noInput.err;
  EXPECT_EQ(modeOf(state() + "/agent.identity"), 0u) << "nothing is written on a refusal";
}

TEST_F(SetupTest, RefusesABadFlagWithoutAsking) {
  auto args = setupArgs();
  for (const char* a : {"--provider", "556677-8899", "--name", "X AB", "--broker", "no-port-here",
                        "--unit", "12345678"}) {
    args.push_back(a);
  }
  args.push_back("--city-keys");
  args.push_back(brokerDir() + "/city.pub");
  auto r = runCommand(args, "127.0.0.1:17003\n");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--broker: the broker address 'no-port-here' is not HOST:PORT"),
            std::string::npos)
      << r.err;
}

TEST_F(SetupTest, BrokerInitWritesItsConfigApartFromTheStateDirectory) {
  const std::string state2 = tmp_.path() + "/var/lib/samband2";
  auto r = runCommand({brokerBin(), "init", "--dir", state2, "--config",
                       tmp_.path() + "/etc2/broker.toml", "--listen", "tcp://127.0.0.1:17004"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(modeOf(state2 + "/city.identity"), 0600u);
  const std::string config = slurp(tmp_.path() + "/etc2/broker.toml");
  EXPECT_NE(config.find("identity = \"" + state2 + "/city.identity\""), std::string::npos)
      << config;
  EXPECT_NE(config.find("database = \"" + state2 + "/samband.db\""), std::string::npos) << config;
  auto status = runCommand({brokerBin(), "status", "--config", tmp_.path() + "/etc2/broker.toml"});
  EXPECT_EQ(status.exitCode, 0) << status.err;
}

TEST_F(SetupTest, ReadinessReportForTodayIsQuietOnADayWithoutAScheduledCheck) {
  setTomlKey(brokerConfig(), "readiness", "enabled", "true");
  // Every day skipped: today is not a check day (at the normal level, where skip counts).
  setTomlKey(brokerConfig(), "readiness", "skip", "[\"2000-01-01..2999-12-31\"]");
  auto r = runCommand(
      {brokerBin(), "readiness", "report", "--config", brokerConfig(), "--date", "today"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("No readiness check on"), std::string::npos) << r.out;

  // A check issued today is the one reported.
  auto run =
      runCommand({brokerBin(), "readiness", "run", "--config", brokerConfig(), "--deadline", "1m"});
  ASSERT_EQ(run.exitCode, 0) << run.err;
  auto today = runCommand({brokerBin(), "readiness", "report", "--config", brokerConfig(), "--date",
                           "today", "--format", "json"});
  EXPECT_NE(today.out.find("\"check_id\""), std::string::npos) << today.out << today.err;
}

}  // namespace
}  // namespace samband::testing
