// The delivery promise with real processes: nothing acknowledged is lost, nothing is stored
// twice, across kill -9 of the broker, agent restarts, broker outages and restored backups.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

class Delivery : public CityFixture {};

int64_t lastSeqOf(const nlohmann::json& status, const std::string& provider) {
  for (const auto& p : status["providers"]) {
    if (p["id"] == provider) return p["last_seq"].get<int64_t>();
  }
  return -1;
}

TEST_F(Delivery, ReportReachesStatus) {
  startBroker();
  std::string agent = makeAgent("a", kProvider, {kUnit, "87654321"});
  auto run = runAgent(agent);
  report(agent, kUnit,
         {"--operational", "reduced", "--pupils-present", "180", "--staff-available", "14",
          "--electricity", "backup", "--backup-hours", "18", "--note", "Reservkraft i drift"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["operational"] == "reduced"; }));
  auto unit = unitStatus(kUnit);
  EXPECT_EQ(unit["pupils_present"], 180);
  EXPECT_EQ(unit["staff_available"], 14);
  EXPECT_TRUE(unit["reported_at"].is_string());
  auto status = brokerStatus();
  ASSERT_EQ(status["providers"].size(), 1u);
  EXPECT_EQ(status["providers"][0]["id"], kProvider);
  EXPECT_EQ(status["providers"][0]["liveness"], "online");
  EXPECT_TRUE(status["providers"][0]["last_seen"].is_string());
  EXPECT_EQ(status["providers"][0]["last_seq"], 1);
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; }));
  auto a = agentStatus(agent);
  EXPECT_EQ(a["connected"], true);
  EXPECT_EQ(a["last_acked_seq"], 1);
}

TEST_F(Delivery, BrokerKilledMidStreamStoresEveryReportExactlyOnceInOrder) {
  startBroker();
  std::string agent = makeAgent("a", kProvider, {kUnit});
  auto run = runAgent(agent);
  const int total = 120;
  for (int i = 1; i <= total; ++i) {
    report(agent, kUnit, {"--operational", "normal", "--pupils-present", std::to_string(i)});
    if (i == 40) killBroker();
    if (i == 70) startBroker();
  }
  ASSERT_TRUE(waitUntil(
      [&] {
        auto s = agentStatus(agent);
        return s["outbox_pending"] == 0 && s["last_acked_seq"] == total;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(lastSeqOf(brokerStatus(), kProvider), total);
  EXPECT_EQ(unitStatus(kUnit)["pupils_present"], total);
  int code = -1;
  auto a = audit(&code);
  EXPECT_EQ(code, 0) << a.dump(2);
  EXPECT_EQ(a["frames"], total + 2);  // and the city's enrolment and provider name records
  EXPECT_EQ(a["chain_breaks"], 0);
  EXPECT_EQ(a["duplicates"], 0);
  EXPECT_EQ(a["bad_signatures"], 0);
}

TEST_F(Delivery, AgentRestartedWithReportsPendingDeliversThem) {
  startBroker();
  std::string agent = makeAgent("a", kProvider, {kUnit});
  for (int i = 1; i <= 10; ++i) {
    report(agent, kUnit, {"--operational", "reduced", "--pupils-present", std::to_string(i)});
  }
  EXPECT_EQ(agentStatus(agent)["outbox_pending"], 10);
  EXPECT_EQ(agentStatus(agent)["connected"], false);
  {
    auto run = runAgent(agent);
    ASSERT_TRUE(waitUntil([&] { return lastSeqOf(brokerStatus(), kProvider) >= 3; }));
    run->kill9();  // killed mid-delivery
  }
  for (int i = 11; i <= 20; ++i) {
    report(agent, kUnit, {"--operational", "reduced", "--pupils-present", std::to_string(i)});
  }
  auto run = runAgent(agent);
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; }));
  EXPECT_EQ(lastSeqOf(brokerStatus(), kProvider), 20);
  EXPECT_EQ(unitStatus(kUnit)["pupils_present"], 20);
  int code = -1;
  auto a = audit(&code);
  EXPECT_EQ(code, 0) << a.dump(2);
  EXPECT_EQ(a["frames"], 22);  // 20 reports and the city's enrolment and name records
}

TEST_F(Delivery, ReportsQueueWhileBrokerIsDownAndFlushInOrderOnReturn) {
  startBroker();
  std::string agent = makeAgent("a", kProvider, {kUnit});
  auto run = runAgent(agent);
  report(agent, kUnit, {"--operational", "normal", "--pupils-present", "1"});
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; }));
  stopBroker();
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["connected"] == false; }));
  for (int i = 2; i <= 30; ++i) {
    report(agent, kUnit, {"--operational", "remote", "--pupils-present", std::to_string(i)});
  }
  EXPECT_EQ(agentStatus(agent)["outbox_pending"], 29);
  startBroker();
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; },
                        std::chrono::seconds(30)));
  EXPECT_EQ(lastSeqOf(brokerStatus(), kProvider), 30);
  auto unit = unitStatus(kUnit);
  EXPECT_EQ(unit["operational"], "remote");
  EXPECT_EQ(unit["pupils_present"], 30);
  int code = -1;
  auto a = audit(&code);
  EXPECT_EQ(code, 0) << a.dump(2);
}

TEST_F(Delivery, AgentRestoredFromOlderBackupNeitherRewritesHistoryNorStaysStuck) {
  startBroker();
  std::string agent = makeAgent("a", kProvider, {kUnit});
  std::string dir = agent.substr(0, agent.rfind('/'));
  std::string backup = tmp_.path() + "/backup";
  {
    auto run = runAgent(agent);
    for (int i = 1; i <= 3; ++i) {
      report(agent, kUnit, {"--operational", "normal", "--pupils-present", std::to_string(i)});
    }
    ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; }));
    run->terminate();
  }
  std::filesystem::copy(dir, backup, std::filesystem::copy_options::recursive);
  {
    auto run = runAgent(agent);
    for (int i = 4; i <= 6; ++i) {
      report(agent, kUnit, {"--operational", "normal", "--pupils-present", std::to_string(i)});
    }
    ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; }));
    run->terminate();
  }
  ASSERT_EQ(lastSeqOf(brokerStatus(), kProvider), 6);
  // The provider restores its server from the older backup.
  std::filesystem::remove_all(dir);
  std::filesystem::copy(backup, dir, std::filesystem::copy_options::recursive);
  report(agent, kUnit, {"--operational", "closed", "--pupils-present", "0"});
  auto run = runAgent(agent);
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["operational"] == "closed"; },
                        std::chrono::seconds(30)));
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; }));
  EXPECT_EQ(lastSeqOf(brokerStatus(), kProvider), 7);
  // And it keeps going from there.
  report(agent, kUnit, {"--operational", "relocated", "--pupils-present", "5"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["operational"] == "relocated"; }));
  int code = -1;
  auto a = audit(&code);
  EXPECT_EQ(code, 0) << a.dump(2);
  EXPECT_EQ(a["frames"], 10);  // 8 reports and the city's enrolment and name records
  EXPECT_EQ(a["chain_breaks"], 0);
}

}  // namespace
}  // namespace samband::testing
