// The samband-agent binary as a provider's IT staff use it: init, report, status, run. Runs the
// real executable (SAMBAND_AGENT_BIN) and checks exit status, messages, files and JSON keys.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/config.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tests/agent/fake_broker.h"
#include "tests/agent/test_support.h"
#include "tests/support/process.h"

namespace samband::agent {
namespace {

using ProcessResult = samband::testing::CommandResult;

constexpr std::chrono::milliseconds kDeadline(15000);

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    city = common::Identity::generate("city");
    cityPub = dir.file("city.pub");
    ASSERT_TRUE(city->publicPart().save(cityPub).ok());
  }

  ProcessResult agent(std::vector<std::string> args) {
    args.insert(args.begin(), test::agentBinary());
    return samband::testing::runCommand(args);
  }

  ProcessResult init(const std::string& name, const std::string& broker = "tcp://127.0.0.1:7700",
                     std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"init",
                                     "--dir",
                                     dir.file(name),
                                     "--provider",
                                     "556677-8899",
                                     "--name",
                                     "Exempelskolan AB",
                                     "--broker",
                                     broker,
                                     "--city-keys",
                                     cityPub,
                                     "--unit",
                                     "12345678",
                                     "--unit",
                                     "87654321"};
    args.insert(args.end(), extra.begin(), extra.end());
    return agent(args);
  }

  std::string config(const std::string& name) { return dir.file(name) + "/agent.toml"; }

  nlohmann::json statusJson(const std::string& name) {
    ProcessResult r = agent({"status", "--config", config(name), "--json"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  // One sentence on stderr, nothing on stdout, exit status 2.
  void expectRefused(const ProcessResult& r, const std::string& text) {
    EXPECT_EQ(r.exitCode, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("samband-agent: ", 0), 0u) << r.err;
  }

  test::TempDir dir;
  std::unique_ptr<common::Identity> city;
  std::string cityPub;
};

TEST_F(CliTest, HelpListsTheCommands) {
  ProcessResult r = agent({"--help"});
  EXPECT_EQ(r.exitCode, 0);
  for (const char* cmd : {"init", "run", "report", "status"}) {
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  }
  r = agent({"report", "--help"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find("--operational"), std::string::npos);
  EXPECT_NE(r.out.find("--capacity"), std::string::npos);
  r = agent({});
  EXPECT_EQ(r.exitCode, 2);
}

TEST_F(CliTest, InitWritesAPrivateIdentityAValidEnrollRequestAndAConfig) {
  ProcessResult r = init("A");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("enroll-request.json"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((dir.file("A") + "/agent.identity").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto identity = common::Identity::load(dir.file("A") + "/agent.identity");
  ASSERT_TRUE(identity.ok()) << identity.error().message;

  std::string requestPath = dir.file("A") + "/enroll-request.json";
  auto text = common::readFile(requestPath);
  ASSERT_TRUE(text.ok());
  auto request = common::parseEnrollRequest(*text, requestPath);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->provider, "556677-8899");
  EXPECT_EQ(request->name, "Exempelskolan AB");
  EXPECT_EQ(request->units, (std::vector<std::string>{"12345678", "87654321"}));
  EXPECT_EQ(request->signPublic, (*identity)->signPublic());
  EXPECT_EQ(request->curvePublic, (*identity)->curvePublic());

  auto cfg = loadAgentConfig(config("A"));
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->citySignPublic, city->signPublic());
  EXPECT_EQ(cfg->cityCurvePublic, city->curvePublic());
  EXPECT_EQ(cfg->endpoint, "tcp://127.0.0.1:7700");
  struct stat ob {};
  EXPECT_EQ(::stat((dir.file("A") + "/outbox.db").c_str(), &ob), 0);

  auto j = statusJson("A");
  EXPECT_EQ(j["outbox_pending"], 0);
  EXPECT_EQ(j["head_seq"], 0);
}

TEST_F(CliTest, InitRefusesToOverwriteAnExistingIdentity) {
  ASSERT_EQ(init("A").exitCode, 0);
  auto before = common::readFile(dir.file("A") + "/agent.identity");
  expectRefused(init("A"), "already exists");
  auto after = common::readFile(dir.file("A") + "/agent.identity");
  EXPECT_EQ(*before, *after);
}

TEST_F(CliTest, InitRefusesBadInputWithOneSentence) {
  std::vector<std::string> base = {"init", "--dir",    dir.file("B"),         "--name",
                                   "X AB", "--broker", "tcp://127.0.0.1:7700"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return agent(args);
  };
  expectRefused(with({"--provider", "5566778899", "--city-keys", cityPub, "--unit", "12345678"}),
                "--provider must be an organisation number");
  expectRefused(with({"--provider", "556677-8899", "--city-keys", cityPub, "--unit", "1234"}),
                "--unit: '1234' is not an 8-digit");
  expectRefused(with({"--provider", "556677-8899", "--city-keys", dir.file("nope.pub"), "--unit",
                      "12345678"}),
                "--city-keys must be the city.pub file");
  auto other = common::Identity::generate("556677-8899");
  ASSERT_TRUE(other->publicPart().save(dir.file("agent.pub")).ok());
  expectRefused(with({"--provider", "556677-8899", "--city-keys", dir.file("agent.pub"), "--unit",
                      "12345678"}),
                "not of the city");
  expectRefused(with({"--provider", "556677-8899", "--city-keys", cityPub}), "--unit is required");
  struct stat st {};
  EXPECT_NE(::stat((dir.file("B") + "/agent.identity").c_str(), &st), 0);
}

TEST_F(CliTest, ReportJsonFromAFileOrStdinCarriesForwardLikeTheFlags) {
  ASSERT_EQ(init("J").exitCode, 0);
  ProcessResult r =
      agent({"report", "--config", config("J"), "--unit", "12345678", "--operational", "reduced",
             "--pupils-present", "180", "--note", "Strömavbrott", "--heating", "degraded"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // Stdin: two fields change, the rest carries forward.
  r = samband::testing::runCommand(
      {test::agentBinary(), "report", "--config", config("J"), "--json", "-"},
      R"({"unit": "12345678", "pupils_present": 150, "resources": {"water": "down"}})");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("queued seq 2: unit_status for unit 12345678"), std::string::npos) << r.out;
  ProcessResult last = agent({"last", "--config", config("J"), "--unit", "12345678", "--json"});
  ASSERT_EQ(last.exitCode, 0) << last.err;
  auto j = nlohmann::json::parse(last.out);
  EXPECT_EQ(j["operational"], "reduced");
  EXPECT_EQ(j["pupils_present"], 150);
  EXPECT_EQ(j["note"], "Strömavbrott");
  EXPECT_EQ(j["resources"]["heating"], "degraded");
  EXPECT_EQ(j["resources"]["water"], "down");
  // A file: the output of `last --json` is itself a report (a round trip changes nothing).
  const std::string file = dir.file("last.json");
  std::ofstream(file) << last.out;
  r = agent({"report", "--config", config("J"), "--json", file});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ProcessResult again = agent({"last", "--config", config("J"), "--unit", "12345678", "--json"});
  auto k = nlohmann::json::parse(again.out);
  k.erase("reported_at");
  j.erase("reported_at");
  EXPECT_EQ(k, j);
}

TEST_F(CliTest, ReportJsonRefusalsNameTheFieldAndQueueNothing) {
  ASSERT_EQ(init("K").exitCode, 0);
  auto json = [&](const std::string& body) {
    return samband::testing::runCommand(
        {test::agentBinary(), "report", "--config", config("K"), "--json", "-"}, body);
  };
  expectRefused(json(R"({"unit": "12345678", "operational": "normal", "pupils": 3})"),
                "stdin: field 'pupils': is not a report field");
  expectRefused(json(R"({"unit": "12345678", "operational": "normal", "food_days": "x"})"),
                "field 'food_days': must be a whole number");
  expectRefused(json("not json"), "stdin: the report is not valid JSON");
  expectRefused(agent({"report", "--config", config("K"), "--json", dir.file("missing.json")}),
                "cannot read the JSON report");
  expectRefused(agent({"report", "--config", config("K"), "--json", "-", "--unit", "12345678"}),
                "--unit cannot be combined with --json");
  auto status = statusJson("K");
  EXPECT_EQ(status["outbox_pending"], 0) << status.dump();
  EXPECT_EQ(status["head_seq"], 0) << status.dump();
}

TEST_F(CliTest, ConcurrentReportsEachKeepTheOthersFields) {
  ASSERT_EQ(init("C").exitCode, 0);
  ASSERT_EQ(
      agent({"report", "--config", config("C"), "--unit", "12345678", "--operational", "normal"})
          .exitCode,
      0);
  // Each process changes one field at the same moment; every change must survive, because
  // each builds on the last report inside the transaction that queues its own.
  const std::vector<std::pair<std::string, std::string>> changes = {
      {"--pupils-enrolled", "300"}, {"--pupils-present", "200"}, {"--staff-total", "40"},
      {"--staff-available", "30"},  {"--backup-hours", "12"},    {"--food-days", "5"},
      {"--heating", "down"},        {"--water", "degraded"},     {"--it", "down"},
      {"--electricity", "backup"}};
  std::vector<std::thread> threads;
  std::vector<ProcessResult> results(changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = agent({"report", "--config", config("C"), "--unit", "12345678", changes[i].first,
                          changes[i].second});
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) ASSERT_EQ(r.exitCode, 0) << r.err;
  ProcessResult last = agent({"last", "--config", config("C"), "--unit", "12345678", "--json"});
  auto j = nlohmann::json::parse(last.out);
  EXPECT_EQ(j["pupils_enrolled"], 300);
  EXPECT_EQ(j["pupils_present"], 200);
  EXPECT_EQ(j["staff_total"], 40);
  EXPECT_EQ(j["staff_available"], 30);
  EXPECT_EQ(j["backup_hours"], 12);
  EXPECT_EQ(j["food_days"], 5);
  EXPECT_EQ(j["resources"]["heating"], "down");
  EXPECT_EQ(j["resources"]["water"], "degraded");
  EXPECT_EQ(j["resources"]["it"], "down");
  EXPECT_EQ(j["electricity"], "backup");
}

TEST_F(CliTest, ANoteAloneUpdatesTheUnitStatus) {
  ASSERT_EQ(init("N").exitCode, 0);
  ASSERT_EQ(agent({"report", "--config", config("N"), "--unit", "12345678", "--operational",
                   "reduced", "--pupils-present", "90"})
                .exitCode,
            0);
  ProcessResult r = agent({"report", "--config", config("N"), "--unit", "12345678", "--note",
                           "Reservkraft till 14:00"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto j = nlohmann::json::parse(
      agent({"last", "--config", config("N"), "--unit", "12345678", "--json"}).out);
  EXPECT_EQ(j["note"], "Reservkraft till 14:00");
  EXPECT_EQ(j["operational"], "reduced");
  EXPECT_EQ(j["pupils_present"], 90);
}

TEST_F(CliTest, ReportRefusesBadFlagsAndQueuesNothing) {
  ASSERT_EQ(init("A").exitCode, 0);
  std::vector<std::string> base = {"report", "--config", config("A"), "--unit", "12345678"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return agent(args);
  };
  expectRefused(with({"--operational", "sideways"}), "--operational 'sideways' is not one of");
  expectRefused(with({"--operational", "reduced", "--pupils-present", "-3"}),
                "--pupils-present must be a whole number from 0");
  expectRefused(with({"--operational", "reduced", "--staff-available", "many"}),
                "--staff-available 'many' is not a whole number");
  expectRefused(with({"--operational", "reduced", "--heating", "cold"}), "--heating 'cold'");
  expectRefused(with({"--operational", "reduced", "--critical-care", "perhaps"}),
                "--critical-care 'perhaps'");
  expectRefused(with({"--operational", "reduced", "--mode", "drill"}), "--mode 'drill'");
  expectRefused(with({"--operational", "reduced", "--valid-until", "next week"}),
                "--valid-until 'next week' is not a date");
  expectRefused(with({"--capacity", "grundskola:4"}), "--capacity 'grundskola:4'");
  expectRefused(with({"--continuity", "wobbly"}), "--continuity 'wobbly'");
  expectRefused(with({"--operational", "reduced", "--no-such-flag", "1"}), "--no-such-flag");
  expectRefused(
      agent({"report", "--config", config("A"), "--unit", "99999999", "--operational", "reduced"}),
      "unit '99999999' is not one of this agent's units");
  expectRefused(agent({"report", "--config", dir.file("missing.toml"), "--unit", "12345678",
                       "--operational", "normal"}),
                "cannot read config file");
  EXPECT_EQ(statusJson("A")["outbox_pending"], 0);
}

TEST_F(CliTest, ReportQueuesOfflineAndStatusShowsIt) {
  ASSERT_EQ(init("A").exitCode, 0);
  ProcessResult r = agent({"report",
                           "--config",
                           config("A"),
                           "--unit",
                           "12345678",
                           "--operational",
                           "reduced",
                           "--pupils-present",
                           "180",
                           "--staff-available",
                           "14",
                           "--electricity",
                           "backup",
                           "--backup-hours",
                           "18",
                           "--note",
                           "Strömavbrott sedan 06:10",
                           "--reason",
                           "Strömavbrott",
                           "--expected-reopen",
                           "2026-11-27",
                           "--pupils-enrolled",
                           "210",
                           "--staff-total",
                           "20",
                           "--critical-care",
                           "yes",
                           "--special-support",
                           "unknown",
                           "--heating",
                           "degraded",
                           "--water",
                           "ok",
                           "--food",
                           "ok",
                           "--it",
                           "down",
                           "--telephony",
                           "ok",
                           "--food-days",
                           "4",
                           "--valid-until",
                           "2099-01-01T00:00:00Z",
                           "--mode",
                           "exercise",
                           "--capacity",
                           "grundskola:4:52:3:6",
                           "--capacity",
                           "fritidshem:0:40:0:10",
                           "--continuity",
                           "at_risk",
                           "--continuity-from",
                           "2026-12-01"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("queued seq 1: unit_status for unit 12345678"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("queued seq 2: capacity"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("queued seq 3: continuity"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not running"), std::string::npos) << r.out;

  auto j = statusJson("A");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["connected"], false);
  EXPECT_EQ(j["running"], false);
  EXPECT_EQ(j["outbox_pending"], 3);
  EXPECT_EQ(j["last_acked_seq"], 0);
  EXPECT_EQ(j["head_seq"], 3);
  EXPECT_TRUE(j["last_error"].is_null());
  EXPECT_TRUE(j["last_connected_at"].is_null());
  EXPECT_TRUE(j["last_ack_at"].is_null());
  EXPECT_EQ(j["provider"], "556677-8899");
  EXPECT_EQ(j["broker"], "tcp://127.0.0.1:7700");
  EXPECT_EQ(j["dead_letters"], 0);

  ProcessResult text = agent({"status", "--config", config("A")});
  EXPECT_EQ(text.exitCode, 0);
  EXPECT_NE(text.out.find("3 waiting"), std::string::npos) << text.out;
}

TEST_F(CliTest, ReportWithoutAUsableIdentitySaysWhatToDo) {
  ASSERT_EQ(init("A").exitCode, 0);
  std::string identity = dir.file("A") + "/agent.identity";
  std::vector<std::string> args = {"report",   "--config",      config("A"), "--unit",
                                   "12345678", "--operational", "normal"};
  ASSERT_EQ(::chmod(identity.c_str(), 0644), 0);
  expectRefused(agent(args), "chmod 600");
  ASSERT_EQ(::rename(identity.c_str(), (identity + ".moved").c_str()), 0);
  expectRefused(agent(args), "restore it from your backup");
  EXPECT_EQ(statusJson("A")["outbox_pending"], 0);
}

TEST_F(CliTest, StatusOfAMissingAgentSaysWhatToDo) {
  expectRefused(agent({"status", "--config", dir.file("nowhere/agent.toml")}), "init");
}

TEST_F(CliTest, RunDeliversReportsReportsStatusAndStopsCleanlyOnSigterm) {
  test::FakeBroker broker(*city);
  ASSERT_EQ(init("A", broker.endpoint()).exitCode, 0);
  auto request =
      common::parseEnrollRequest(*common::readFile(dir.file("A/enroll-request.json")), "request");
  ASSERT_TRUE(request.ok());
  broker.allow({request->provider, request->signPublic, request->curvePublic});
  // Short heartbeats so the test does not wait 30 s for one.
  auto toml = *common::readFile(config("A"));
  toml.replace(toml.find("heartbeat_interval_s = 30"), 25, "heartbeat_interval_s = 1");
  std::ofstream(config("A")) << toml;

  ASSERT_EQ(
      agent({"report", "--config", config("A"), "--unit", "12345678", "--operational", "normal"})
          .exitCode,
      0);
  samband::testing::Process run({test::agentBinary(), "run", "--config", config("A")},
                                dir.file("run.log"));
  ASSERT_TRUE(test::waitUntil([&] { return broker.stored().size() == 1; }, kDeadline))
      << run.output();
  ASSERT_TRUE(test::waitUntil(
      [&] {
        auto j = statusJson("A");
        return j["connected"] == true && j["outbox_pending"] == 0 && j["last_acked_seq"] == 1;
      },
      kDeadline))
      << statusJson("A").dump();

  // A report while running goes out without a restart.
  ProcessResult r = agent({"report", "--config", config("A"), "--unit", "87654321", "--operational",
                           "closed", "--reason", "Vattenläcka"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(test::waitUntil([&] { return broker.stored().size() == 2; }, kDeadline));
  EXPECT_EQ(broker.stored()[1].unit, "87654321");

  // A second `run` on the same directory is refused.
  ProcessResult second = agent({"run", "--config", config("A")});
  EXPECT_EQ(second.exitCode, 2);
  EXPECT_NE(second.err.find("already"), std::string::npos) << second.err;

  EXPECT_EQ(run.terminate(kDeadline), 0) << run.output();
  auto j = statusJson("A");
  EXPECT_EQ(j["connected"], false);
  EXPECT_EQ(j["running"], false);
  EXPECT_FALSE(j["last_connected_at"].is_null());
  EXPECT_FALSE(j["last_ack_at"].is_null());
}

}  // namespace
}  // namespace samband::agent
