// `samband-agent doctor` against a real broker process on a free port: each check's line says
// what is wrong and what to do, and the exit status is non-zero exactly when one failed.
#include <sys/stat.h>

#include <fstream>

#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

class DoctorTest : public CityFixture {
 protected:
  // An agent made by setup (the packaged layout in the test's directory), not yet enrolled.
  std::string setupAgent(const std::string& endpointText) {
    const std::string config = tmp_.path() + "/etc/agent.toml";
    auto r = runCommand({agentBin(), "setup", "--config", config, "--state-dir",
                         tmp_.path() + "/state", "--provider", "556677-8899", "--name",
                         "Exempelskolan AB", "--broker", endpointText, "--city-keys",
                         brokerDir() + "/city.pub", "--unit", "12345678", "--no-input"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return config;
  }
  CommandResult doctor(const std::string& config) {
    return runCommand({agentBin(), "doctor", "--config", config, "--timeout-ms", "3000"});
  }
  // The line of one check, e.g. "FAIL  curve    ...".
  static std::string line(const std::string& out, const std::string& check) {
    std::istringstream in(out);
    std::string l;
    while (std::getline(in, l)) {
      if (l.size() > 6 && l.compare(6, check.size() + 1, check + " ") == 0) return l;
    }
    return "";
  }
};

TEST_F(DoctorTest, NamesTheMissingEnrolmentThenPassesOnceEnrolled) {
  startBroker();
  const std::string config = setupAgent(endpoint());
  auto before = doctor(config);
  EXPECT_EQ(before.exitCode, 1) << before.out;
  EXPECT_EQ(line(before.out, "config").rfind("ok", 0), 0u) << before.out;
  EXPECT_EQ(line(before.out, "identity").rfind("ok", 0), 0u) << before.out;
  EXPECT_EQ(line(before.out, "dns").rfind("ok", 0), 0u) << before.out;
  EXPECT_EQ(line(before.out, "tcp").rfind("ok", 0), 0u) << before.out;
  const std::string curve = line(before.out, "curve");
  EXPECT_EQ(curve.rfind("FAIL", 0), 0u) << before.out;
  EXPECT_NE(curve.find("not enrolled"), std::string::npos) << curve;
  EXPECT_NE(curve.find(tmp_.path() + "/state/enroll-request.json"), std::string::npos) << curve;
  EXPECT_EQ(line(before.out, "disk").rfind("ok", 0), 0u) << before.out;

  auto enroll = runCommand({brokerBin(), "enroll", "--config", brokerConfig(), "--request",
                            tmp_.path() + "/state/enroll-request.json"});
  ASSERT_EQ(enroll.exitCode, 0) << enroll.err;
  // The running broker sees the roster within roster_refresh_ms (200 ms in the fixture).
  CommandResult after;
  ASSERT_TRUE(waitUntil([&] {
    after = doctor(config);
    return after.exitCode == 0;
  })) << after.out;
  EXPECT_EQ(line(after.out, "curve").rfind("ok", 0), 0u) << after.out;
  EXPECT_EQ(line(after.out, "last_ack").rfind("warn", 0), 0u)
      << "never acknowledged and the agent not running is a warning, not a failure\n"
      << after.out;

  // With the agent running and a report delivered: the last ack and the clock are known.
  auto agent = runAgent(config);
  auto report = runCommand(
      {agentBin(), "report", "--config", config, "--unit", "12345678", "--operational", "normal"});
  ASSERT_EQ(report.exitCode, 0) << report.err;
  CommandResult delivered;
  ASSERT_TRUE(waitUntil([&] {
    delivered = doctor(config);
    return line(delivered.out, "last_ack").rfind("ok", 0) == 0 &&
           line(delivered.out, "clock").rfind("ok", 0) == 0;
  })) << delivered.out;
  EXPECT_NE(line(delivered.out, "last_ack").find("the agent runs and is connected"),
            std::string::npos)
      << delivered.out;
  EXPECT_EQ(delivered.exitCode, 0) << delivered.out;
}

TEST_F(DoctorTest, SaysWhatToDoAboutAnOpenKeyFile) {
  startBroker();
  const std::string config = setupAgent(endpoint());
  ASSERT_EQ(::chmod((tmp_.path() + "/state/agent.identity").c_str(), 0644), 0);
  auto r = doctor(config);
  EXPECT_EQ(r.exitCode, 1);
  const std::string identity = line(r.out, "identity");
  EXPECT_EQ(identity.rfind("FAIL", 0), 0u) << r.out;
  EXPECT_NE(identity.find("chmod 600 " + tmp_.path() + "/state/agent.identity"), std::string::npos)
      << identity;
  EXPECT_EQ(line(r.out, "curve").rfind("FAIL", 0), 0u) << "no handshake without the key";
}

TEST_F(DoctorTest, ABrokerThatIsNotListeningFailsTheTcpCheck) {
  const std::string config = setupAgent("127.0.0.1:" + std::to_string(freePort()));
  auto r = doctor(config);
  EXPECT_EQ(r.exitCode, 1);
  const std::string tcp = line(r.out, "tcp");
  EXPECT_EQ(tcp.rfind("FAIL", 0), 0u) << r.out;
  EXPECT_NE(tcp.find("Connection refused"), std::string::npos) << tcp;
  EXPECT_NE(line(r.out, "curve").find("skipped"), std::string::npos) << r.out;
}

TEST_F(DoctorTest, ANameThatDoesNotResolveFailsTheDnsCheck) {
  const std::string config = setupAgent("no-such-host.invalid:7000");
  auto r = doctor(config);
  EXPECT_EQ(r.exitCode, 1);
  const std::string dns = line(r.out, "dns");
  EXPECT_EQ(dns.rfind("FAIL", 0), 0u) << r.out;
  EXPECT_NE(dns.find("cannot resolve no-such-host.invalid"), std::string::npos) << dns;
}

TEST_F(DoctorTest, AnUnreadableConfigIsOneLineAndAFailure) {
  auto r = doctor(tmp_.path() + "/missing.toml");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(line(r.out, "config").rfind("FAIL", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("1 check(s) failed"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace samband::testing
