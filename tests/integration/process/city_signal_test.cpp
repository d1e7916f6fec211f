// The city's signal end to end (issue 10, §5): a real broker signs a time beacon on its heartbeat
// replies and a real agent's `status --json` shows city_last_signed_at moving; a real agent whose
// broker withholds the beacons (a fake broker holding the same city key, answering heads bare)
// says so in `status` in words, while an agent of the real broker stays served.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tests/agent/fake_broker.h"
#include "tests/integration/process/city_fixture.h"
#include "tests/support/temp_dir.h"

namespace samband::testing {
namespace {

class CitySignal : public CityFixture {
 protected:
  void SetUp() override {
    CityFixture::SetUp();
    setTomlKey(brokerConfig(), "ingest", "beacon_interval_s", "1");
  }
  CommandResult agentCommand(const std::string& config, std::vector<std::string> args) {
    args.insert(args.begin(), agentBin());
    args.push_back("--config");
    args.push_back(config);
    return runCommand(args);
  }
};

TEST_F(CitySignal, StatusShowsCityLastSignedAtMovingWithARealBroker) {
  startBroker();
  std::string config = makeAgent("a", "556677-0001", {"10000001"});
  auto agent = runAgent(config);
  std::string first;
  ASSERT_TRUE(waitUntil([&] {
    auto st = agentStatus(config);
    if (!st["city_last_signed_at"].is_string()) return false;
    first = st["city_last_signed_at"];
    return true;
  })) << agentStatus(config).dump();
  // The city signs a new beacon every second here; the agent takes each newer one.
  ASSERT_TRUE(waitUntil([&] { return agentStatus(config)["city_last_signed_at"] != first; }));
  auto st = agentStatus(config);
  EXPECT_EQ(st["city_signal"]["ok"], true) << st.dump();
  auto text = agentCommand(config, {"status"});
  EXPECT_NE(text.out.find("last signed word from the city"), std::string::npos) << text.out;
}

TEST_F(CitySignal, AnAgentWhoseBrokerWithholdsBeaconsSaysSoWhileAWellServedOneDoesNot) {
  startBroker();
  std::string served = makeAgent("served", "556677-0001", {"10000001"});
  std::string starved = makeAgent("starved", "556677-0002", {"10000002"});
  // The attacker's broker holds the city's keys (a compromised broker host) and answers every
  // heartbeat, but without the city's beacon.
  auto city = common::Identity::load(brokerDir() + "/city.identity");
  ASSERT_TRUE(city.ok()) << city.error().message;
  agent::test::FakeBroker withholding(**city);
  auto request = common::parseEnrollRequest(readWhole(tmp_.path() + "/starved/enroll-request.json"),
                                            "enroll-request.json");
  ASSERT_TRUE(request.ok()) << request.error().message;
  withholding.allow({request->provider, request->signPublic, request->curvePublic});
  setTomlKey(starved, "broker", "endpoint", "\"" + withholding.endpoint() + "\"");
  setTomlKey(starved, "selftest", "city_signal_max_age_s", "2");
  setTomlKey(served, "selftest", "city_signal_max_age_s", "2");

  auto a = runAgent(served);
  auto b = runAgent(starved);
  nlohmann::json st;
  ASSERT_TRUE(waitUntil([&] {
    st = agentStatus(starved);
    return st["connected"] == true && st["city_signal"]["ok"] == false;
  })) << st.dump();
  EXPECT_TRUE(st["city_last_signed_at"].is_null());
  const std::string problem = st["city_signal"]["problems"][0];
  EXPECT_NE(problem.find("no signed word from the city for"), std::string::npos) << problem;
  EXPECT_NE(problem.find("although connected: the broker or the network may be withholding the "
                         "city's messages; call the city's duty officer"),
            std::string::npos)
      << problem;
  auto text = agentCommand(starved, {"status"});
  EXPECT_NE(text.out.find("WARNING: no signed word from the city"), std::string::npos) << text.out;
  EXPECT_GE(withholding.heartbeats(), 2u);

  // The agent of the real broker keeps hearing the city.
  auto good = agentStatus(served);
  EXPECT_EQ(good["connected"], true);
  EXPECT_EQ(good["city_signal"]["ok"], true) << good.dump();
  EXPECT_TRUE(good["city_last_signed_at"].is_string());
}

}  // namespace
}  // namespace samband::testing
