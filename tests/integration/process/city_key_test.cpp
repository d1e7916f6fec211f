// City keys that survive a lost broker (issue 15), with real processes: an offline root
// certifies the broker's key; agents pin only the root; a rotated broker key (certified by the
// same root) needs no change on any agent; a broker key revoked at the root is refused by agents
// afterwards, even after they restart; a certificate of another root is refused; and the
// single-key installation (city.pub pinned) keeps working when it certifies a new key.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "tests/integration/process/city_fixture.h"
#include "tests/support/temp_dir.h"

namespace samband::testing {
namespace {

constexpr const char* kFirstProvider = "556677-0001";

int countOf(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
    ++n;
  }
  return n;
}

class CityKeys : public CityFixture {
 protected:
  void SetUp() override {
    CityFixture::SetUp();
    setTomlKey(brokerConfig(), "ingest", "beacon_interval_s", "1");
  }

  std::string rootDir() const { return tmp_.path() + "/root"; }

  CommandResult broker(std::vector<std::string> args) {
    args.insert(args.begin(), brokerBin());
    return runCommand(args);
  }
  CommandResult agent(const std::string& config, std::vector<std::string> args) {
    args.insert(args.begin(), agentBin());
    args.push_back("--config");
    args.push_back(config);
    return runCommand(args);
  }

  // An agent pinned to `cityKeys` (root.pub with certificates, or city.pub), enrolled.
  std::string makeAgentWith(const std::string& name, const std::string& provider,
                            const std::string& unit, const std::string& cityKeys) {
    const std::string dir = tmp_.path() + "/" + name;
    auto r = runCommand({agentBin(), "init", "--dir", dir, "--provider", provider, "--name",
                         "Skolbolaget " + name, "--broker", endpoint(), "--city-keys", cityKeys,
                         "--unit", unit});
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    const std::string config = dir + "/agent.toml";
    setTomlKey(config, "timing", "heartbeat_interval_s", "1");
    setTomlKey(config, "link", "ack_timeout_ms", "1000");
    setTomlKey(config, "link", "reconnect_min_ms", "50");
    setTomlKey(config, "link", "reconnect_max_ms", "500");
    auto e =
        broker({"enroll", "--config", brokerConfig(), "--request", dir + "/enroll-request.json"});
    EXPECT_EQ(e.exitCode, 0) << e.out << e.err;
    return config;
  }

  // The agent takes newer and newer city beacons (the city's word is believed).
  bool beaconMoves(const std::string& config) {
    std::string first;
    if (!waitUntil([&] {
          auto st = agentStatus(config);
          if (!st["city_last_signed_at"].is_string()) return false;
          first = st["city_last_signed_at"];
          return true;
        })) {
      return false;
    }
    return waitUntil([&] { return agentStatus(config)["city_last_signed_at"] != first; });
  }

  std::string keyIdOf(const std::string& pubPath) {
    std::smatch m;
    std::string text = readWhole(pubPath);
    if (!std::regex_search(text, m, std::regex("key_id = ([0-9a-f]{16})"))) return "";
    return m[1];
  }

  nlohmann::json inboxEntry(const std::string& config, const std::string& ref) {
    auto r = agent(config, {"inbox", "--json"});
    if (r.exitCode != 0) return nullptr;
    auto all = nlohmann::json::parse(r.out, nullptr, false);
    if (!all.is_array()) return nullptr;
    for (const auto& e : all) {
      if (e["id"] == ref) return e;
    }
    return nullptr;
  }

  std::string sendDirective(const std::string& text) {
    auto r =
        broker({"directive", "send", "--config", brokerConfig(), "--to", "all", "--text", text});
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    std::smatch m;
    if (!std::regex_search(r.out, m, std::regex("directive (D-[0-9]+)"))) {
      ADD_FAILURE() << "no directive id in: " << r.out;
      return "";
    }
    return m[1];
  }
};

TEST_F(CityKeys, RotationNeedsNoAgentChangeAndARevokedKeyIsRefusedAfterwards) {
  // The root, kept offline, certifies the broker's first key.
  auto init = broker({"city-key", "init", "--out", rootDir()});
  ASSERT_EQ(init.exitCode, 0) << init.err;
  EXPECT_EQ(permissionBits(rootDir() + "/root.identity"), 0600);
  auto cert = broker({"city-key", "certify", "--root", rootDir() + "/root.identity", "--config",
                      brokerConfig(), "--label", "primary", "--out", tmp_.path() + "/k1.cert"});
  ASSERT_EQ(cert.exitCode, 0) << cert.out << cert.err;
  // What the city gives providers: root.pub with the certificate appended.
  std::ofstream(tmp_.path() + "/city-keys.pub")
      << readWhole(rootDir() + "/root.pub") << readWhole(tmp_.path() + "/k1.cert");
  const std::string k1 = keyIdOf(brokerDir() + "/city.pub");
  ASSERT_FALSE(k1.empty());

  startBroker();
  const std::string a =
      makeAgentWith("a", kFirstProvider, "10000001", tmp_.path() + "/city-keys.pub");
  {
    // The agent pins the root's signing key, not the broker's.
    std::smatch m;
    const std::string rootPub = readWhole(rootDir() + "/root.pub");
    ASSERT_TRUE(std::regex_search(rootPub, m, std::regex("sign_public = ([0-9a-f]{64})")));
    EXPECT_NE(readWhole(a).find("city_sign_public = \"" + m[1].str() + "\""), std::string::npos);
  }
  auto runA = runAgent(a);
  ASSERT_TRUE(beaconMoves(a)) << agentStatus(a).dump(2);

  // Rotation: a new broker key that keeps the transport key, certified by the same root.
  stopBroker();
  auto fresh = broker({"city-key", "new", "--out", brokerDir() + "/city2.identity",
                       "--transport-from", brokerDir() + "/city.identity"});
  ASSERT_EQ(fresh.exitCode, 0) << fresh.err;
  auto cert2 =
      broker({"city-key", "certify", "--root", rootDir() + "/root.identity", "--key",
              brokerDir() + "/city2.pub", "--label", "primary-2027", "--config", brokerConfig()});
  ASSERT_EQ(cert2.exitCode, 0) << cert2.out << cert2.err;
  const std::string k2 = keyIdOf(brokerDir() + "/city2.pub");
  setTomlKey(brokerConfig(), "broker", "identity", "\"city2.identity\"");
  const std::string agentTomlBefore = readWhole(a);
  startBroker();
  // The agent learns the new certificate from the broker and believes the new key's beacons and
  // directives; nothing on the agent was touched.
  ASSERT_TRUE(waitUntil([&] {
    return countOf(readWhole(tmp_.path() + "/a/city-keys.txt"), "certificate = ") == 2;
  })) << readWhole(tmp_.path() + "/a/city-keys.txt");
  ASSERT_TRUE(beaconMoves(a)) << agentStatus(a).dump(2);
  const std::string d1 = sendDirective("Signerad med den nya nyckeln");
  ASSERT_TRUE(waitUntil([&] { return inboxEntry(a, d1).is_object(); }));
  EXPECT_EQ(inboxEntry(a, d1)["verified"], true) << inboxEntry(a, d1).dump(2);
  EXPECT_EQ(readWhole(a), agentTomlBefore);

  // The old key is revoked at the root (the old machine was stolen); agents learn it in-band.
  auto revoke = broker({"city-key", "revoke", "--root", rootDir() + "/root.identity", "--key-id",
                        k1, "--label", "stolen", "--config", brokerConfig()});
  ASSERT_EQ(revoke.exitCode, 0) << revoke.out << revoke.err;
  ASSERT_TRUE(waitUntil(
      [&] { return countOf(readWhole(tmp_.path() + "/a/city-keys.txt"), "revocation = ") == 1; }));
  auto list = broker({"city-key", "list", "--config", brokerConfig(), "--json"});
  ASSERT_EQ(list.exitCode, 0) << list.out << list.err;
  auto keys = nlohmann::json::parse(list.out)["keys"];
  ASSERT_EQ(keys.size(), 3u) << list.out;
  for (const auto& k : keys) {
    if (k["key_id"] == k1) {
      EXPECT_EQ(k["state"], "revoked");
    }
    if (k["key_id"] == k2) {
      EXPECT_EQ(k["state"], "certified");
      EXPECT_EQ(k["this_broker"], true);
    }
  }
  // The whole archive, both city chains included, proves out from root.pub alone.
  auto audit = broker(
      {"audit", "--config", brokerConfig(), "--json", "--city-keys", rootDir() + "/root.pub"});
  EXPECT_EQ(audit.exitCode, 0) << audit.out;
  // So does an inquiry export of it, with the broker's verifier given root.pub and with the
  // stand-alone script (which reads the root.pub the export carries).
  const std::string out = tmp_.path() + "/inquiry";
  auto exported = broker({"inquiry", "export", "--config", brokerConfig(), "--from",
                          "2020-01-01T00:00Z", "--to", "now", "--out", out});
  ASSERT_EQ(exported.exitCode, 0) << exported.out << exported.err;
  EXPECT_TRUE(std::ifstream(out + "/root.pub").good());
  auto verified = broker({"inquiry", "verify", out, "--city-keys", rootDir() + "/root.pub"});
  EXPECT_EQ(verified.exitCode, 0) << verified.out;
  auto otherRoot = broker({"city-key", "init", "--out", tmp_.path() + "/other"});
  ASSERT_EQ(otherRoot.exitCode, 0);
  auto wrongRoot =
      broker({"inquiry", "verify", out, "--city-keys", tmp_.path() + "/other/root.pub"});
  EXPECT_EQ(wrongRoot.exitCode, 1) << wrongRoot.out;
  if (runCommand({"/usr/bin/python3", "-c", "import nacl.signing"}).exitCode == 0) {
    auto script = runCommand({"/usr/bin/python3", out + "/verify.py", out});
    EXPECT_EQ(script.exitCode, 0) << script.out << script.err;
  }

  // The thief's broker signs with the revoked key; the agent (restarted: it must not forget)
  // refuses its beacons and its directives.
  stopBroker();
  runA.reset();
  setTomlKey(brokerConfig(), "broker", "identity", "\"city.identity\"");
  startBroker();
  // The broker itself says so at start.
  EXPECT_NE(readWhole(tmp_.path() + "/broker.log").find("is not certified (or is revoked)"),
            std::string::npos);
  runA = runAgent(a);
  const std::string forged = sendDirective("Utrym alla skolor");
  ASSERT_TRUE(waitUntil([&] { return inboxEntry(a, forged).is_object(); }));
  auto e = inboxEntry(a, forged);
  EXPECT_EQ(e["state"], "refused") << e.dump(2);
  EXPECT_EQ(e["verified"], false);
  EXPECT_NE(e["reason"].get<std::string>().find("revoked"), std::string::npos) << e.dump(2);
  ASSERT_TRUE(waitUntil([&] {
    auto st = agentStatus(a);
    return st["last_error"].is_string() &&
           st["last_error"].get<std::string>().find("revoked") != std::string::npos;
  })) << agentStatus(a).dump(2);
  // And the audit, given the root, now names the revoked key's late frames.
  auto late = broker(
      {"audit", "--config", brokerConfig(), "--json", "--city-keys", rootDir() + "/root.pub"});
  EXPECT_NE(late.exitCode, 0) << late.out;
}

TEST_F(CityKeys, ACertificateOfAnotherRootIsRefusedEverywhere) {
  ASSERT_EQ(broker({"city-key", "init", "--out", rootDir()}).exitCode, 0);
  ASSERT_EQ(broker({"city-key", "init", "--out", tmp_.path() + "/evil"}).exitCode, 0);
  ASSERT_EQ(broker({"city-key", "certify", "--root", rootDir() + "/root.identity", "--config",
                    brokerConfig(), "--label", "primary"})
                .exitCode,
            0);
  // A certificate by another root is not archived by the broker...
  auto evil = broker({"city-key", "certify", "--root", tmp_.path() + "/evil/root.identity",
                      "--config", brokerConfig(), "--label", "evil"});
  EXPECT_NE(evil.exitCode, 0);
  EXPECT_NE(evil.err.find("another city root"), std::string::npos) << evil.err;
  auto other =
      broker({"city-key", "certify", "--root", tmp_.path() + "/evil/root.identity", "--key",
              brokerDir() + "/city.pub", "--label", "evil", "--out", tmp_.path() + "/evil.cert"});
  ASSERT_EQ(other.exitCode, 0) << other.err;
  auto add = broker({"city-key", "add", "--config", brokerConfig(), tmp_.path() + "/evil.cert"});
  EXPECT_NE(add.exitCode, 0);
  EXPECT_NE(add.err.find("another root"), std::string::npos) << add.err;
  // ...nor by an agent that pins the right root.
  std::ofstream(tmp_.path() + "/mixed.pub")
      << readWhole(rootDir() + "/root.pub") << readWhole(tmp_.path() + "/evil.cert");
  auto r = runCommand({agentBin(), "init", "--dir", tmp_.path() + "/x", "--provider",
                       kFirstProvider, "--name", "X", "--broker", endpoint(), "--city-keys",
                       tmp_.path() + "/mixed.pub", "--unit", "10000001"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("another root"), std::string::npos) << r.err;
}

TEST_F(CityKeys, ASingleKeyInstallationKeepsWorkingAndCertifiesANewKey) {
  // The agent pins the old city.pub: the current city.identity is a root that certified itself.
  startBroker();
  const std::string a = makeAgentWith("a", kFirstProvider, "10000001", brokerDir() + "/city.pub");
  auto runA = runAgent(a);
  ASSERT_TRUE(beaconMoves(a)) << agentStatus(a).dump(2);
  const std::string d1 = sendDirective("Gamla nyckeln");
  ASSERT_TRUE(waitUntil([&] { return inboxEntry(a, d1).is_object(); }));
  EXPECT_EQ(inboxEntry(a, d1)["verified"], true);
  // Nothing new is sent to agents of a single-key installation.
  EXPECT_FALSE(std::ifstream(tmp_.path() + "/a/city-keys.txt").good());
  auto plainAudit = broker(
      {"audit", "--config", brokerConfig(), "--json", "--city-keys", brokerDir() + "/city.pub"});
  EXPECT_EQ(plainAudit.exitCode, 0) << plainAudit.out;

  // The upgrade: city.identity (the root) certifies a new operational key that keeps the
  // transport key; the broker switches to it; the agent follows without a change.
  stopBroker();
  ASSERT_EQ(broker({"city-key", "new", "--out", brokerDir() + "/op.identity", "--transport-from",
                    brokerDir() + "/city.identity"})
                .exitCode,
            0);
  auto cert = broker({"city-key", "certify", "--root", brokerDir() + "/city.identity", "--key",
                      brokerDir() + "/op.pub", "--label", "primary", "--config", brokerConfig()});
  ASSERT_EQ(cert.exitCode, 0) << cert.out << cert.err;
  setTomlKey(brokerConfig(), "broker", "identity", "\"op.identity\"");
  startBroker();
  ASSERT_TRUE(waitUntil(
      [&] { return countOf(readWhole(tmp_.path() + "/a/city-keys.txt"), "certificate = ") == 1; }));
  ASSERT_TRUE(beaconMoves(a)) << agentStatus(a).dump(2);
  const std::string d2 = sendDirective("Nya nyckeln");
  ASSERT_TRUE(waitUntil([&] { return inboxEntry(a, d2).is_object(); }));
  EXPECT_EQ(inboxEntry(a, d2)["verified"], true) << inboxEntry(a, d2).dump(2);
  auto audit = broker(
      {"audit", "--config", brokerConfig(), "--json", "--city-keys", brokerDir() + "/city.pub"});
  EXPECT_EQ(audit.exitCode, 0) << audit.out;
}

}  // namespace
}  // namespace samband::testing
