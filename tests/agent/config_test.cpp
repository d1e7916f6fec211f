// agent.toml: the example config loads, and every mistake names the file and the key.
#include "agent/agent_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/agent/test_support.h"

namespace samband::agent {
namespace {

using test::TempDir;

const char* kGood = R"(
[agent]
provider = "556677-8899"
name = "Exempelskolan AB"
units = ["12345678", "87654321"]
identity = "agent.identity"
outbox = "data/outbox.db"
duty_contact = "IT on call"

[broker]
endpoint = "tcp://127.0.0.1:7700"
city_sign_public = "0d9a7c9ea7359cfa6180e3eff400543c7b3c3a7c708f384e2b42565df4e06ced"
city_curve_public = "5aededcbc3864f69361c8af47b6cf4b4b28a051dc18fe763d8580117c7a7913e"

[timing]
heartbeat_interval_s = 30
heartbeat_heightened_s = 10
heartbeat_highest_s = 5

[link]
window = 256
ack_timeout_ms = 10000
reconnect_min_ms = 200
reconnect_max_ms = 30000
)";

std::string replaceLine(std::string text, const std::string& key, const std::string& line) {
  auto pos = text.find("\n" + key + " ");
  if (pos == std::string::npos) return text;
  auto end = text.find('\n', pos + 1);
  return text.replace(pos + 1, end - pos - 1, line);
}

class ConfigTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string write(const std::string& text) {
    std::string path = dir.file("agent.toml");
    std::ofstream(path) << text;
    return path;
  }
  std::string errorFor(const std::string& text) {
    auto c = loadAgentConfig(write(text));
    EXPECT_FALSE(c.ok());
    return c.ok() ? "" : c.error().message;
  }
};

TEST_F(ConfigTest, LoadsAGoodConfigAndResolvesPathsAgainstItsDirectory) {
  auto c = loadAgentConfig(write(kGood));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->provider, "556677-8899");
  EXPECT_EQ(c->units.size(), 2u);
  EXPECT_EQ(c->identityPath, dir.path() + "/agent.identity");
  EXPECT_EQ(c->outboxPath, dir.path() + "/data/outbox.db");
  EXPECT_EQ(c->dutyContact.value_or(""), "IT on call");
  EXPECT_EQ(c->heartbeatIntervalMs, 30000);
  EXPECT_EQ(c->heartbeatIntervalFor(common::ReadinessLevel::HIGHEST), 5000);
  EXPECT_EQ(c->citySignPublic[0], 0x0d);
  EXPECT_TRUE(c->ownsUnit("87654321"));
  EXPECT_FALSE(c->ownsUnit("11111111"));
}

TEST_F(ConfigTest, TheSpoolDirectoryIsOffUnlessSetAndResolvesAgainstTheFile) {
  auto c = loadAgentConfig(write(kGood));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->spoolDir.has_value());
  c = loadAgentConfig(write(std::string(kGood) + "\n[spool]\ndir = \"drop\"\n"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->spoolDir.value_or(""), dir.path() + "/drop");
  EXPECT_NE(errorFor(std::string(kGood) + "\n[spool]\ndir = 3\n").find("[spool] dir"),
            std::string::npos);
}

TEST_F(ConfigTest, TheExampleConfigLoads) {
  auto c = loadAgentConfig(std::string(SAMBAND_SOURCE_DIR) + "/config/agent.example.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->window, 256);
  ASSERT_EQ(c->holidays.size(), 1u);
  EXPECT_EQ(c->holidays[0].name, "sportlov");
}

TEST_F(ConfigTest, CalendarHolidaysAreReadAndMistakesNameTheKey) {
  auto c = loadAgentConfig(
      write(std::string(kGood) +
            "\n[calendar]\nholidays = [[\"2027-11-01\", \"2027-11-05\", \"höstlov\"]]\n"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->holidays.size(), 1u);
  EXPECT_EQ(common::formatCivilDate(c->holidays[0].to), "2027-11-05");
  EXPECT_TRUE(loadAgentConfig(write(kGood))->holidays.empty());
  std::string e = errorFor(std::string(kGood) + "\n[calendar]\nholidays = \"sportlov\"\n");
  EXPECT_NE(e.find("agent.toml: [calendar] holidays must be a list like"), std::string::npos) << e;
}

TEST_F(ConfigTest, OptionalKeysHaveDefaults) {
  std::string text = kGood;
  for (const char* key : {"identity", "outbox", "duty_contact", "heartbeat_interval_s", "window",
                          "ack_timeout_ms", "reconnect_min_ms", "reconnect_max_ms"}) {
    text = replaceLine(text, key, "");
  }
  auto c = loadAgentConfig(write(text));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->outboxPath, dir.path() + "/outbox.db");
  EXPECT_EQ(c->ackTimeoutMs, 10000);
  EXPECT_FALSE(c->dutyContact.has_value());
}

TEST_F(ConfigTest, FormIsServedOnlyWhenListenIsSetAndMistakesNameTheKey) {
  auto none = loadAgentConfig(write(kGood));
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->form.has_value());
  auto c = loadAgentConfig(write(std::string(kGood) +
                                 "\n[form]\nlisten = \"[::1]:8090\"\nsecure_cookies = true\n"
                                 "session_ttl_s = 3600\n"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->form.has_value());
  EXPECT_EQ(c->form->host, "::1");
  EXPECT_EQ(c->form->port, 8090);
  EXPECT_TRUE(c->form->secureCookies);
  EXPECT_EQ(c->form->sessionTtlMs, 3'600'000);
  std::string e = errorFor(std::string(kGood) + "\n[form]\nlisten = \"8090\"\n");
  EXPECT_NE(e.find("agent.toml: [form] listen: \"8090\" is not an address; write it as "
                   "\"127.0.0.1:8090\""),
            std::string::npos)
      << e;
  e = errorFor(std::string(kGood) + "\n[form]\nlisten = \"127.0.0.1:99999\"\n");
  EXPECT_NE(e.find("[form] listen: \"127.0.0.1:99999\": the port must be at most 65535"),
            std::string::npos)
      << e;
  e = errorFor(std::string(kGood) + "\n[form]\nsession_ttl_s = 1\n");
  EXPECT_NE(e.find("[form] session_ttl_s must be from 60"), std::string::npos) << e;
}

TEST_F(ConfigTest, MissingKeyNamesFileAndKey) {
  std::string m = errorFor(replaceLine(kGood, "city_sign_public", ""));
  EXPECT_NE(m.find(dir.file("agent.toml")), std::string::npos) << m;
  EXPECT_NE(m.find("[broker] city_sign_public is missing"), std::string::npos) << m;
  m = errorFor(replaceLine(kGood, "provider", ""));
  EXPECT_NE(m.find("[agent] provider is missing"), std::string::npos) << m;
  m = errorFor(replaceLine(kGood, "units", ""));
  EXPECT_NE(m.find("[agent] units is missing"), std::string::npos) << m;
}

TEST_F(ConfigTest, WrongTypesNameTheKey) {
  std::string m = errorFor(replaceLine(kGood, "window", "window = \"many\""));
  EXPECT_NE(m.find("[link] window must be an integer"), std::string::npos) << m;
  m = errorFor(replaceLine(kGood, "units", "units = \"12345678\""));
  EXPECT_NE(m.find("[agent] units must be a list"), std::string::npos) << m;
  m = errorFor(replaceLine(kGood, "heartbeat_interval_s", "heartbeat_interval_s = 0.5"));
  EXPECT_NE(m.find("[timing] heartbeat_interval_s must be an integer"), std::string::npos) << m;
  m = errorFor(replaceLine(kGood, "endpoint", "endpoint = 7700"));
  EXPECT_NE(m.find("[broker] endpoint must be a string"), std::string::npos) << m;
}

TEST_F(ConfigTest, OutOfRangeValuesNameTheKey) {
  std::string m = errorFor(replaceLine(kGood, "window", "window = 0"));
  EXPECT_NE(m.find("[link] window must be from 1"), std::string::npos) << m;
  m = errorFor(replaceLine(kGood, "reconnect_min_ms", "reconnect_min_ms = 60000"));
  EXPECT_NE(m.find("reconnect_min_ms must not be larger than reconnect_max_ms"), std::string::npos)
      << m;
}

TEST_F(ConfigTest, BadHexKeysNameTheKeyAndTheFix) {
  std::string m = errorFor(replaceLine(kGood, "city_curve_public", "city_curve_public = \"zz\""));
  EXPECT_NE(m.find("[broker] city_curve_public must be 64 hex digits"), std::string::npos) << m;
  EXPECT_NE(m.find("city.pub"), std::string::npos) << m;
  m = errorFor(replaceLine(kGood, "city_sign_public",
                           "city_sign_public = \"0d9a7c9ea7359cfa6180e3eff400543c7b3c3a7c708f384e2"
                           "b42565df4e06c\""));
  EXPECT_NE(m.find("[broker] city_sign_public must be 64 hex digits"), std::string::npos) << m;
}

TEST_F(ConfigTest, BadIdentifiersNameTheKey) {
  std::string m = errorFor(replaceLine(kGood, "provider", "provider = \"5566778899\""));
  EXPECT_NE(m.find("[agent] provider must be an organisation number"), std::string::npos) << m;
  m = errorFor(replaceLine(kGood, "units", "units = [\"1234\"]"));
  EXPECT_NE(m.find("[agent] units: '1234' is not an 8-digit"), std::string::npos) << m;
  m = errorFor(replaceLine(kGood, "endpoint", "endpoint = \"127.0.0.1:7700\""));
  EXPECT_NE(m.find("[broker] endpoint must start with tcp://"), std::string::npos) << m;
}

TEST_F(ConfigTest, SyntaxErrorsNameTheLine) {
  std::string m = errorFor("[agent\nprovider = 1\n");
  EXPECT_NE(m.find("line 1"), std::string::npos) << m;
}

TEST_F(ConfigTest, RenderedConfigLoadsBackUnchanged) {
  auto c = loadAgentConfig(write(kGood));
  ASSERT_TRUE(c.ok());
  AgentConfig original = *c;
  original.name = "Skolan \"Norra\" AB";
  std::string path = dir.file("rendered.toml");
  std::ofstream(path) << renderAgentConfig(original);
  auto back = loadAgentConfig(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->name, original.name);
  EXPECT_EQ(back->units, original.units);
  EXPECT_EQ(back->citySignPublic, original.citySignPublic);
  EXPECT_EQ(back->cityCurvePublic, original.cityCurvePublic);
  EXPECT_EQ(back->identityPath, dir.path() + "/agent.identity");
}

}  // namespace
}  // namespace samband::agent
