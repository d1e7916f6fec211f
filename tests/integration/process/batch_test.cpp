// Batch envelopes (issue 16) with real processes: an agent that queued a backlog while the broker
// was down sends it as signed batches when the broker returns; every report is stored once with
// its own seq, the batches are stored as sent, and the audit, the inquiry export's verifier and
// the stand-alone verify.py re-verify them.
#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

class Batches : public CityFixture {
 protected:
  CommandResult broker(std::vector<std::string> args) {
    args.insert(args.begin(), brokerBin());
    args.push_back("--config");
    args.push_back(brokerConfig());
    return runCommand(args);
  }
  int64_t scalar(const std::string& sql) {
    SQLite::Database db(brokerDir() + "/samband.db", SQLite::OPEN_READONLY);
    return db.execAndGet(sql).getInt64();
  }
};

TEST_F(Batches, BacklogAfterAnOutageGoesOutAsBatchesAndVerifiesEverywhere) {
  startBroker();
  const std::string from = brokerStatus()["generated_at"];
  std::string agent = makeAgent("a", kProvider, {kUnit});
  auto run = runAgent(agent);
  report(agent, kUnit, {"--operational", "normal", "--pupils-present", "1"});
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; }));
  EXPECT_EQ(scalar("SELECT count(*) FROM batches"), 0);  // a single report stays single
  stopBroker();
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["connected"] == false; }));
  const int total = 150;
  for (int i = 2; i <= total; ++i) {
    report(agent, kUnit, {"--operational", "reduced", "--pupils-present", std::to_string(i)});
  }
  EXPECT_EQ(agentStatus(agent)["outbox_pending"], total - 1);
  startBroker();
  ASSERT_TRUE(waitUntil([&] { return agentStatus(agent)["outbox_pending"] == 0; },
                        std::chrono::seconds(30)));
  EXPECT_EQ(unitStatus(kUnit)["pupils_present"], total);
  EXPECT_EQ(scalar("SELECT count(*) FROM frames WHERE sender='" + std::string(kProvider) + "'"),
            total);
  // 149 pending reports: at most 64 per batch, so at least three batches carry them.
  const int64_t batches = scalar("SELECT count(*) FROM batches");
  EXPECT_GE(batches, 3);
  // Each batched report points into its batch and keeps no body of its own (migration 17).
  EXPECT_GE(scalar("SELECT count(*) FROM frames WHERE batch_id IS NOT NULL AND length(envelope)=0"),
            128);
  EXPECT_EQ(scalar("SELECT max(seq) FROM frames WHERE sender='" + std::string(kProvider) + "'"),
            total);

  int code = -1;
  auto a = audit(&code);
  EXPECT_EQ(code, 0) << a.dump(2);
  EXPECT_EQ(a["bad_signatures"], 0);
  EXPECT_EQ(a["chain_breaks"], 0);

  const std::string to = brokerStatus()["generated_at"];
  const std::string out = tmp_.path() + "/inquiry";
  auto exported = broker({"inquiry", "export", "--from", from, "--to", to, "--out", out});
  ASSERT_EQ(exported.exitCode, 0) << exported.out << exported.err;
  auto verified = runCommand({brokerBin(), "inquiry", "verify", out, "--json"});
  EXPECT_EQ(verified.exitCode, 0) << verified.out;
  const std::string py = pythonWithNacl();
  if (!py.empty()) {
    auto script = runCommand({py, out + "/verify.py", out});
    EXPECT_EQ(script.exitCode, 0) << script.out << script.err;
  }
  // A batch's signature flipped in the export: both verifiers refuse it.
  {
    std::ifstream in(out + "/inquiry.json");
    auto meta = nlohmann::json::parse(in, nullptr, false);
    ASSERT_TRUE(meta.is_object());
    bool tampered = false;
    for (const auto& rel : meta["frame_files"]) {
      const std::string file = out + "/" + rel.get<std::string>();
      std::ifstream f(file, std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      std::string text = ss.str();
      std::string rewritten;
      std::istringstream lines(text);
      std::string line;
      while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!tampered && j.is_object() && j.contains("batch") && j["batch"].is_string()) {
          std::string b64 = j["batch"];
          // The signature is the batch's last bytes: flip a character near the end.
          char& c = b64[b64.size() - 6];
          c = c == 'A' ? 'B' : 'A';
          j["batch"] = b64;
          tampered = true;
          line = j.dump();
        }
        rewritten += line + "\n";
      }
      std::ofstream(file, std::ios::binary | std::ios::trunc) << rewritten;
      if (tampered) break;
    }
    ASSERT_TRUE(tampered);
    auto refused = runCommand({brokerBin(), "inquiry", "verify", out});
    EXPECT_EQ(refused.exitCode, 1) << refused.out;
    EXPECT_NE(refused.out.find("batch"), std::string::npos) << refused.out;
    if (!py.empty()) {
      auto script = runCommand({py, out + "/verify.py", out});
      EXPECT_EQ(script.exitCode, 1) << script.out << script.err;
    }
  }
}

}  // namespace
}  // namespace samband::testing
