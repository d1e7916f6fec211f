// Offline transfer and key rotation with real processes: an agent that cannot reach the broker
// exports its outbox to a file, the broker imports it (stopped and while serving) through the
// same gate as the network, and the agent later drains its outbox without anything being
// stored twice. Key rotation: announced under the old key, switched only after the broker's
// acknowledgement, also when the rotation itself travels in an offline file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/codec.h"
#include "common/offline_file.h"
#include "tests/integration/process/city_fixture.h"
#include "tests/support/temp_dir.h"

namespace samband::testing {
namespace {

class Offline : public CityFixture {
 protected:
  CommandResult exportTo(const std::string& agent, const std::string& file) {
    return runCommand({agentBin(), "export", "--config", agent, "--out", file});
  }
  CommandResult import(const std::string& file) {
    return runCommand({brokerBin(), "import", "--config", brokerConfig(), file, "--json"});
  }
  nlohmann::json importJson(const std::string& file, int expectedExit = 0) {
    auto r = import(file);
    EXPECT_EQ(r.exitCode, expectedExit) << r.out << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  nlohmann::json provider() {
    auto status = brokerStatus();
    for (const auto& p : status["providers"]) {
      if (p["id"] == kProvider) return p;
    }
    return nullptr;
  }
  std::string brokerLog() {
    std::ifstream in(tmp_.path() + "/broker.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void expectAuditIntact(int64_t frames, int64_t chains) {
    int code = -1;
    auto a = audit(&code);
    EXPECT_EQ(code, 0) << a.dump(2);
    // Plus the city's enrolment and provider name records of the agent, in the city's own chain.
    EXPECT_EQ(a["frames"], frames + 2) << a.dump(2);
    EXPECT_EQ(a["chains"], chains + 1) << a.dump(2);
    EXPECT_EQ(a["duplicates"], 0) << a.dump(2);
    EXPECT_EQ(a["chain_breaks"], 0) << a.dump(2);
    EXPECT_EQ(a["bad_signatures"], 0) << a.dump(2);
  }
};

// Flips one bit inside the signature of the file's last envelope: the container stays valid,
// the envelope still decodes, only the signature no longer verifies.
std::string flipSignatureOfLast(const std::string& file) {
  auto decoded = common::decodeOfflineFile(file);
  EXPECT_TRUE(decoded.ok());
  if (!decoded.ok() || decoded->envelopes.empty()) return file;
  auto parts = common::decodeEnvelope(decoded->envelopes.back());
  EXPECT_TRUE(parts.ok());
  if (!parts.ok()) return file;
  std::string sig(parts->signature.begin(), parts->signature.end());
  size_t at = file.rfind(sig);
  EXPECT_NE(at, std::string::npos);
  std::string out = file;
  out[at + 10] = static_cast<char>(out[at + 10] ^ 0x01);
  return out;
}

TEST_F(Offline, ExportImportDrainsOutboxWithoutStoringTwice) {
  // The broker is unreachable: it is not running.
  std::string agent = makeAgent("a", kProvider, {kUnit});
  for (int i = 1; i <= 3; ++i) {
    report(agent, kUnit, {"--operational", "reduced", "--pupils-present", std::to_string(i)});
  }
  ASSERT_EQ(agentStatus(agent)["outbox_pending"], 3);

  const std::string file = tmp_.path() + "/usb/samband-a.offline";
  std::filesystem::create_directories(tmp_.path() + "/usb");
  auto e = exportTo(agent, file);
  ASSERT_EQ(e.exitCode, 0) << e.out << e.err;
  EXPECT_NE(e.out.find("3 signed message(s), seq 1 to 3"), std::string::npos) << e.out;
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(file + ".tmp"));
  EXPECT_EQ(agentStatus(agent)["outbox_pending"], 3) << "export must not remove anything";

  // Imported while the broker is stopped.
  auto first = importJson(file);
  EXPECT_EQ(first["envelopes"], 3);
  EXPECT_EQ(first["accepted"], 3);
  EXPECT_EQ(first["duplicates"], 0);
  EXPECT_EQ(first["refused_total"], 0);
  EXPECT_EQ(first["provider"], kProvider);
  EXPECT_EQ(unitStatus(kUnit)["operational"], "reduced");
  EXPECT_EQ(unitStatus(kUnit)["pupils_present"], 3);
  EXPECT_EQ(provider()["last_seq"], 3);
  // Carried on a stick, it says nothing about the link.
  EXPECT_EQ(provider()["liveness"], "never");
  expectAuditIntact(3, 1);

  // The same file again: all duplicates, nothing stored twice.
  auto again = importJson(file);
  EXPECT_EQ(again["accepted"], 0);
  EXPECT_EQ(again["duplicates"], 3);
  expectAuditIntact(3, 1);

  // Two more reports, a new export (seq 1..5), imported while the broker serves.
  startBroker();
  for (int i = 4; i <= 5; ++i) {
    report(agent, kUnit, {"--operational", "remote", "--pupils-present", std::to_string(i)});
  }
  ASSERT_EQ(exportTo(agent, file).exitCode, 0);
  auto serving = importJson(file);
  EXPECT_EQ(serving["accepted"], 2);
  EXPECT_EQ(serving["duplicates"], 3);
  EXPECT_EQ(unitStatus(kUnit)["operational"], "remote");
  EXPECT_EQ(unitStatus(kUnit)["pupils_present"], 5);

  // One flipped bit in a signature: refused as bad_signature, counted, non-zero exit.
  const std::string tampered = tmp_.path() + "/usb/tampered.offline";
  std::ofstream(tampered, std::ios::binary) << flipSignatureOfLast(readWhole(file));
  auto bad = importJson(tampered, 1);
  EXPECT_EQ(bad["refused"]["bad_signature"], 1) << bad.dump(2);
  EXPECT_EQ(bad["duplicates"], 4);
  EXPECT_EQ(bad["ok"], false);
  EXPECT_NE(import(tampered).err.find("fresh samband-agent export"), std::string::npos);
  EXPECT_GE(brokerStatus()["rejected"]["bad_signature"], 1);

  // The link comes back: the agent drains its outbox; the broker keeps each report once.
  auto run = runAgent(agent);
  ASSERT_TRUE(waitUntil([&] {
    auto s = agentStatus(agent);
    return s["outbox_pending"] == 0 && s["last_acked_seq"] == 5;
  }));
  EXPECT_EQ(provider()["last_seq"], 5);
  EXPECT_EQ(provider()["liveness"], "online");
  report(agent, kUnit, {"--operational", "normal", "--pupils-present", "6"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["operational"] == "normal"; }));
  expectAuditIntact(6, 1);
  EXPECT_EQ(brokerLog().find("batch not stored"), std::string::npos) << brokerLog();
}

TEST_F(Offline, ImportWhileServingUpdatesTheServingBrokersChainHeads) {
  startBroker();
  std::string agent = makeAgent("a", kProvider, {kUnit});
  {
    auto run = runAgent(agent);
    report(agent, kUnit, {"--operational", "normal", "--pupils-present", "1"});
    ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; }));
    run->terminate();  // the serving broker has this agent's chain head (seq 1) cached
  }
  for (int i = 2; i <= 4; ++i) {
    report(agent, kUnit, {"--operational", "closed", "--pupils-present", std::to_string(i)});
  }
  const std::string file = tmp_.path() + "/a.offline";
  ASSERT_EQ(exportTo(agent, file).exitCode, 0);
  auto imported = importJson(file);
  EXPECT_EQ(imported["accepted"], 3);
  // The agent reconnects and sends 2..4 again: the serving broker must see them as duplicates
  // (not try to store them a second time and fail its batch).
  auto run = runAgent(agent);
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; }));
  report(agent, kUnit, {"--operational", "normal", "--pupils-present", "5"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["pupils_present"] == 5; }));
  expectAuditIntact(5, 1);
  EXPECT_EQ(brokerLog().find("batch not stored"), std::string::npos) << brokerLog();
}

TEST_F(Offline, ImportRefusesUnreadableAndForeignFilesWithAClearMessage) {
  auto missing = import(tmp_.path() + "/nope.offline");
  EXPECT_EQ(missing.exitCode, 2);
  EXPECT_NE(missing.err.find("check the path"), std::string::npos) << missing.err;
  const std::string foreign = tmp_.path() + "/foreign.offline";
  std::ofstream(foreign) << "{\"not\": \"an offline file\"}\n";
  auto r = import(foreign);
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("SAMBAND-OFFLINE"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("copy it again"), std::string::npos) << r.err;
}

TEST_F(Offline, RotatedKeySignsLaterReportsAndAuditStaysIntact) {
  startBroker();
  std::string agent = makeAgent("a", kProvider, {kUnit});
  std::string dir = agent.substr(0, agent.rfind('/'));
  auto run = runAgent(agent);
  report(agent, kUnit, {"--operational", "normal", "--pupils-present", "1"});
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; }));
  const std::string oldKey = agentStatus(agent)["key_id"];

  auto r = runCommand({agentBin(), "rotate-key", "--config", agent});
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("samband-broker revoke --key " + oldKey), std::string::npos) << r.out;
  ASSERT_TRUE(waitUntil([&] {
    auto s = agentStatus(agent);
    return s["key_rotation"].is_object() && s["key_rotation"]["state"] == "done";
  })) << agentStatus(agent).dump(2);
  auto st = agentStatus(agent);
  const std::string newKey = st["key_id"];
  EXPECT_NE(newKey, oldKey);
  EXPECT_EQ(st["key_rotation"]["new_key_id"], newKey);
  EXPECT_FALSE(std::filesystem::exists(dir + "/agent.identity.next"));
  struct stat ist {};
  ASSERT_EQ(::stat((dir + "/agent.identity").c_str(), &ist), 0);
  EXPECT_EQ(ist.st_mode & 0777, 0600u);

  // Reports after the rotation are signed by the new key (a new chain from seq 1) and accepted.
  report(agent, kUnit, {"--operational", "reduced", "--pupils-present", "2"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["pupils_present"] == 2; }));
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; }));
  EXPECT_EQ(agentStatus(agent)["connected"], true);
  // Old chain: report, rotation; new chain: report.
  expectAuditIntact(3, 2);

  // `keys` shows both keys and what each signed, which is how the operator picks the one to
  // revoke; after `revoke` it shows the old one revoked.
  auto keysOf = [&] {
    auto k = runCommand(
        {brokerBin(), "keys", "--config", brokerConfig(), "--provider", kProvider, "--json"});
    EXPECT_EQ(k.exitCode, 0) << k.err;
    return nlohmann::json::parse(k.out, nullptr, false);
  };
  auto keys = keysOf();
  ASSERT_TRUE(keys.is_object() && keys["keys"].size() == 2u) << keys.dump(2);
  for (const auto& k : keys["keys"]) {
    EXPECT_EQ(k["provider"], kProvider);
    EXPECT_EQ(k["revoked"], false);
    EXPECT_EQ(k["frames"], k["key_id"] == oldKey ? 2 : 1) << k.dump();
  }
  ASSERT_EQ(
      runCommand({brokerBin(), "revoke", "--config", brokerConfig(), "--key", oldKey}).exitCode, 0);
  const nlohmann::json afterRevoke = keysOf();  // named: a temporary would dangle in the loop
  for (const auto& k : afterRevoke["keys"]) EXPECT_EQ(k["revoked"], k["key_id"] == oldKey) << k;
  auto unknown =
      runCommand({brokerBin(), "keys", "--config", brokerConfig(), "--provider", "000000-0000"});
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_NE(unknown.err.find("samband-broker status"), std::string::npos) << unknown.err;

  // A restart keeps the new key.
  run->terminate();
  run = runAgent(agent);
  report(agent, kUnit, {"--operational", "closed", "--pupils-present", "3"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["pupils_present"] == 3; }));
  EXPECT_EQ(agentStatus(agent)["key_id"], newKey);
  expectAuditIntact(5, 2);  // and the city's revocation record of the old key

  // A second rotation works the same way.
  ASSERT_EQ(runCommand({agentBin(), "rotate-key", "--config", agent}).exitCode, 0);
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["key_rotation"]["state"] == "done"; }));
  EXPECT_NE(agentStatus(agent)["key_id"], newKey);
  report(agent, kUnit, {"--operational", "normal", "--pupils-present", "4"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["pupils_present"] == 4; }));
  expectAuditIntact(7, 3);  // and the city's revocation record of the first key
}

TEST_F(Offline, RotationCarriedInAnOfflineFileSwitchesWhenTheAgentConnects) {
  std::string agent = makeAgent("a", kProvider, {kUnit});
  report(agent, kUnit, {"--operational", "normal", "--pupils-present", "1"});
  auto rk = runCommand({agentBin(), "rotate-key", "--config", agent});
  ASSERT_EQ(rk.exitCode, 0) << rk.out << rk.err;
  // A second rotate-key before the first is finished is refused with what to do.
  auto twice = runCommand({agentBin(), "rotate-key", "--config", agent});
  EXPECT_EQ(twice.exitCode, 2);
  EXPECT_NE(twice.err.find("not finished yet"), std::string::npos) << twice.err;
  // Signed by the old key, after the announcement.
  report(agent, kUnit, {"--operational", "reduced", "--pupils-present", "2"});
  EXPECT_EQ(agentStatus(agent)["key_rotation"]["state"], "announced");

  const std::string file = tmp_.path() + "/a.offline";
  ASSERT_EQ(exportTo(agent, file).exitCode, 0);
  auto imported = importJson(file);
  EXPECT_EQ(imported["accepted"], 3);  // report, rotation, report

  startBroker();
  auto run = runAgent(agent);
  ASSERT_TRUE(waitUntil([&] {
    auto s = agentStatus(agent);
    return s["key_rotation"]["state"] == "done" && s["outbox_pending"] == 0;
  })) << agentStatus(agent).dump(2);
  // What the file carried was not re-signed under the new key: nothing is stored twice.
  expectAuditIntact(3, 1);
  report(agent, kUnit, {"--operational", "closed", "--pupils-present", "3"});
  ASSERT_TRUE(waitUntil([&] { return unitStatus(kUnit)["pupils_present"] == 3; }));
  expectAuditIntact(4, 2);
}

}  // namespace
}  // namespace samband::testing
