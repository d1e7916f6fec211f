// The reporting page's API with real processes: `samband-agent token add` and `user add` as the
// administrator runs them, `samband-agent run` serving [form] listen next to its session, a report
// posted to POST /api/report reaching a real broker, and its fate turning to delivered on the
// page's endpoint; a taken [form] listen address stops `run` with a sentence naming the key.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

using nlohmann::json;

constexpr const char* kOtherUnit = "23456789";
constexpr const char* kPassword = "ett långt lösenord för test";

class FormProcess : public CityFixture {
 protected:
  std::string agentWithForm(int* port) {
    std::string agent = makeAgent("a", kProvider, {kUnit, kOtherUnit});
    *port = freePort();
    setTomlKey(agent, "form", "listen", "\"127.0.0.1:" + std::to_string(*port) + "\"");
    return agent;
  }
};

TEST_F(FormProcess, AReportPostedToTheApiReachesTheBrokerAndShowsDelivered) {
  startBroker();
  int port = 0;
  std::string agent = agentWithForm(&port);

  auto token = runCommand(
      {agentBin(), "token", "add", "--config", agent, "--name", "skolsystem", "--unit", kUnit});
  ASSERT_EQ(token.exitCode, 0) << token.err;
  const std::string bearer = token.out.substr(0, token.out.find('\n'));
  ASSERT_EQ(bearer.size(), 43u) << token.out;
  EXPECT_NE(token.err.find("only time the token is shown"), std::string::npos) << token.err;
  auto users =
      runCommand({agentBin(), "user", "add", "--config", agent, "--name", "anna", "--unit", kUnit},
                 std::string(kPassword) + "\n");
  ASSERT_EQ(users.exitCode, 0) << users.err;
  EXPECT_NE(users.out.find("http://127.0.0.1:" + std::to_string(port) + "/"), std::string::npos)
      << users.out;

  auto run = runAgent(agent);
  httplib::Client client("127.0.0.1", port);
  ASSERT_TRUE(waitUntil([&] {
    auto r = client.Get("/healthz");
    return r && r->status == 200;
  })) << run->output();

  auto posted = client.Post("/api/report", {{"Authorization", "Bearer " + bearer}},
                            json{{"unit", kUnit},
                                 {"operational", "reduced"},
                                 {"reason", "Vattenläcka"},
                                 {"pupils_enrolled", 210},
                                 {"pupils_present", 140},
                                 {"resources", {{"water", "down"}}}}
                                .dump(),
                            "application/json");
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 202) << posted->body;
  const int64_t seq = json::parse(posted->body)["seq"].get<int64_t>();
  EXPECT_GE(seq, 1);
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["pupils_present"] == 140; }))
      << run->output();
  json unit = unitStatus(kUnit);
  EXPECT_EQ(unit["operational"], "reduced");
  EXPECT_EQ(unit["reason"], "Vattenläcka");
  EXPECT_EQ(unit["resources"]["water"], "down");

  // A second report names one field; the broker keeps the rest.
  auto second =
      client.Post("/api/report", {{"Authorization", "Bearer " + bearer}},
                  json{{"unit", kUnit}, {"pupils_present", 120}}.dump(), "application/json");
  ASSERT_TRUE(second);
  ASSERT_EQ(second->status, 202) << second->body;
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["pupils_present"] == 120; }));
  EXPECT_EQ(unitStatus(kUnit)["reason"], "Vattenläcka");

  // The token is for one unit only.
  auto other =
      client.Post("/api/report", {{"Authorization", "Bearer " + bearer}},
                  json{{"unit", kOtherUnit}, {"operational", "closed"}}.dump(), "application/json");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);

  // The page's endpoint shows the report as delivered once the broker acknowledged it.
  const std::string origin = "http://127.0.0.1:" + std::to_string(port);
  auto login =
      client.Post("/api/login", {{"Origin", origin}},
                  json{{"name", "anna"}, {"password", kPassword}}.dump(), "application/json");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200) << login->body;
  const std::string setCookie = login->get_header_value("Set-Cookie");
  const std::string cookie = setCookie.substr(0, setCookie.find(';'));
  ASSERT_TRUE(waitUntil([&] {
    auto r = client.Get("/api/units/12345678/reports", {{"Cookie", cookie}});
    if (!r || r->status != 200) return false;
    json reports = json::parse(r->body)["reports"];
    return reports.size() == 2 && reports[1]["seq"] == seq && reports[1]["state"] == "delivered" &&
           reports[0]["state"] == "delivered";
  })) << run->output();
  auto view = client.Get("/api/units/12345678/reports", {{"Cookie", cookie}});
  ASSERT_TRUE(view);
  json v = json::parse(view->body);
  EXPECT_EQ(v["reports"][0]["by"], "api:skolsystem");
  EXPECT_TRUE(v["link"]["connected"].get<bool>());

  auto tokens = runCommand({agentBin(), "token", "list", "--config", agent, "--json"});
  ASSERT_EQ(tokens.exitCode, 0) << tokens.err;
  EXPECT_EQ(tokens.out.find(bearer), std::string::npos) << "the list never shows the token";
  json listed = json::parse(tokens.out);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_FALSE(listed[0]["last_used_at"].is_null());

  // Removing the token stops it at once, in the running agent.
  auto removed =
      runCommand({agentBin(), "token", "remove", "--config", agent, "--name", "skolsystem"});
  ASSERT_EQ(removed.exitCode, 0) << removed.err;
  auto refused =
      client.Post("/api/report", {{"Authorization", "Bearer " + bearer}},
                  json{{"unit", kUnit}, {"pupils_present", 1}}.dump(), "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(run->terminate(), 0) << run->output();
}

TEST_F(FormProcess, UserCommandsCheckUnitsAndPasswordsAndListWithoutHashes) {
  int port = 0;
  std::string agent = agentWithForm(&port);
  auto foreign = runCommand(
      {agentBin(), "user", "add", "--config", agent, "--name", "anna", "--unit", "99999999"},
      std::string(kPassword) + "\n");
  EXPECT_EQ(foreign.exitCode, 2);
  EXPECT_NE(foreign.err.find("--unit '99999999' is not one of this agent's units"),
            std::string::npos)
      << foreign.err;
  auto weak = runCommand(
      {agentBin(), "user", "add", "--config", agent, "--name", "anna", "--unit", kUnit}, "kort\n");
  EXPECT_EQ(weak.exitCode, 2);
  EXPECT_NE(weak.err.find("too short"), std::string::npos) << weak.err;
  auto empty = runCommand(
      {agentBin(), "user", "add", "--config", agent, "--name", "anna", "--unit", kUnit}, "");
  EXPECT_EQ(empty.exitCode, 2);
  EXPECT_NE(empty.err.find("no password on standard input"), std::string::npos) << empty.err;
  auto ok = runCommand({agentBin(), "user", "add", "--config", agent, "--name", "anna", "--unit",
                        kUnit, "--unit", kOtherUnit},
                       std::string(kPassword) + "\n");
  ASSERT_EQ(ok.exitCode, 0) << ok.err;
  auto list = runCommand({agentBin(), "user", "list", "--config", agent, "--json"});
  ASSERT_EQ(list.exitCode, 0) << list.err;
  json users = json::parse(list.out);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0]["name"], "anna");
  EXPECT_EQ(users[0]["units"], json::array({kUnit, kOtherUnit}));
  EXPECT_EQ(list.out.find("argon2"), std::string::npos);
  auto text = runCommand({agentBin(), "user", "list", "--config", agent});
  EXPECT_NE(text.out.find("anna"), std::string::npos) << text.out;
  auto gone = runCommand({agentBin(), "user", "remove", "--config", agent, "--name", "anna"});
  ASSERT_EQ(gone.exitCode, 0) << gone.err;
  auto again = runCommand({agentBin(), "user", "remove", "--config", agent, "--name", "anna"});
  EXPECT_EQ(again.exitCode, 2);
  EXPECT_NE(again.err.find("there is no user anna"), std::string::npos) << again.err;
}

TEST_F(FormProcess, ATakenListenAddressStopsRunWithASentenceNamingTheKey) {
  int port = 0;
  std::string agent = agentWithForm(&port);
  // Someone else holds the port.
  int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  auto r = runCommand({agentBin(), "run", "--config", agent}, "", std::chrono::seconds(20));
  ::close(holder);
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot listen on " + agent +
                       ": [form] listen = \"127.0.0.1:" + std::to_string(port) + "\""),
            std::string::npos)
      << r.err;

  setTomlKey(agent, "form", "listen", "\"localhost\"");
  auto bad = runCommand({agentBin(), "run", "--config", agent});
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_NE(bad.err.find("[form] listen: \"localhost\" is not an address"), std::string::npos)
      << bad.err;
}

}  // namespace
}  // namespace samband::testing
