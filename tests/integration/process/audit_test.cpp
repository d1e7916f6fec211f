// The audit against a real broker's database, tampered with as an attacker holding the file
// would (issue 10 §4): a stopped broker's samband.db is edited with SQL, and `samband-broker
// audit --city-keys city.pub` must exit non-zero naming what changed; an agent's kept receipt
// (`samband-agent receipt --json`) catches the truncation the archive alone cannot show.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/integration/process/city_fixture.h"

namespace samband::testing {
namespace {

constexpr const char* kAlpha = "556677-8899";
constexpr const char* kBeta = "556000-0001";
constexpr const char* kAlphaUnit = "12345678";
constexpr const char* kBetaUnit = "23456789";

class Audit : public CityFixture {
 protected:
  // Two providers report through a running broker; alpha's last report is acknowledged last, so
  // its receipt names the newest checkpoint. The broker is stopped before any edit.
  void SetUp() override {
    CityFixture::SetUp();
    startBroker();
    alpha_ = makeAgent("a", kAlpha, {kAlphaUnit});
    beta_ = makeAgent("b", kBeta, {kBetaUnit});
    auto runA = runAgent(alpha_);
    auto runB = runAgent(beta_);
    for (int i = 1; i <= 3; ++i) {
      report(alpha_, kAlphaUnit,
             {"--operational", "normal", "--pupils-present", std::to_string(i)});
      report(beta_, kBetaUnit,
             {"--operational", "reduced", "--staff-available", std::to_string(i)});
    }
    ASSERT_TRUE(waitUntil([&] {
      return agentStatus(alpha_)["outbox_pending"] == 0 &&
             agentStatus(beta_)["outbox_pending"] == 0;
    }));
    report(alpha_, kAlphaUnit, {"--operational", "closed", "--pupils-present", "0"});
    ASSERT_TRUE(waitUntil([&] { return agentStatus(alpha_)["outbox_pending"] == 0; }));
    ASSERT_TRUE(waitUntil([&] { return receiptSeq() == 4; })) << "no receipt for alpha's seq 4";
    auto r = runCommand({agentBin(), "receipt", "--config", alpha_, "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    receiptFile_ = tmp_.path() + "/receipt.json";
    std::ofstream(receiptFile_) << r.out;
    runA->terminate();
    runB->terminate();
    stopBroker();
  }

  int64_t receiptSeq() {
    auto r = runCommand({agentBin(), "receipt", "--config", alpha_, "--json"});
    if (r.exitCode != 0) return 0;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_object() && j.contains("seq") ? j["seq"].get<int64_t>() : 0;
  }

  // `audit --json --city-keys city.pub`, with alpha's receipt when asked.
  nlohmann::json auditJson(int* exitCode, bool withReceipt = false) {
    std::vector<std::string> argv{brokerBin(),
                                  "audit",
                                  "--config",
                                  brokerConfig(),
                                  "--json",
                                  "--city-keys",
                                  brokerDir() + "/city.pub"};
    if (withReceipt) {
      argv.push_back("--receipt");
      argv.push_back(receiptFile_);
    }
    auto r = runCommand(argv);
    *exitCode = r.exitCode;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  void sql(const std::string& statement) {
    SQLite::Database db(brokerDir() + "/samband.db", SQLite::OPEN_READWRITE);
    db.exec(statement);
  }

  std::string alpha_, beta_, receiptFile_;
};

TEST_F(Audit, UntouchedArchiveWithAReceiptIsIntact) {
  int code = -1;
  auto a = auditJson(&code, true);
  EXPECT_EQ(code, 0) << a.dump(2);
  EXPECT_EQ(a["intact"], true);
  EXPECT_EQ(a["receipts_checked"], 1);
  EXPECT_GE(a["checkpoints"].get<int>(), 1);
  EXPECT_EQ(a["city_key_source"], "city.pub");
  for (const char* key : {"column_mismatches", "picture_mismatches", "keys_without_record",
                          "key_mismatches", "checkpoint_problems", "uncovered_frames",
                          "receipt_problems", "bad_signatures", "chain_breaks"}) {
    EXPECT_EQ(a[key], 0) << key << "\n" << a.dump(2);
  }
}

TEST_F(Audit, DeletedNewestFrameOfAChainIsReported) {
  sql(std::string("DELETE FROM frames WHERE id=(SELECT max(id) FROM frames WHERE sender='") +
      kBeta + "')");
  int code = -1;
  auto a = auditJson(&code);
  EXPECT_NE(code, 0) << a.dump(2);
  EXPECT_GE(a["checkpoint_problems"].get<int>(), 1) << a.dump(2);
}

TEST_F(Audit, ResumedWithSinceStillFindsAFrameTamperedAfterItAndShowsProgressOnStderr) {
  // The newest of alpha's frames: signed body says one sent_at, the stored column another.
  sql(std::string("UPDATE frames SET sent_at=sent_at+1 WHERE id=(SELECT max(id) FROM frames "
                  "WHERE sender='") +
      kAlpha + "')");
  SQLite::Database db(brokerDir() + "/samband.db", SQLite::OPEN_READONLY);
  const int64_t last = db.execAndGet("SELECT max(id) FROM frames").getInt64();
  auto r =
      runCommand({brokerBin(), "audit", "--config", brokerConfig(), "--json", "--city-keys",
                  brokerDir() + "/city.pub", "--since", std::to_string(last), "--threads", "2"});
  EXPECT_NE(r.exitCode, 0) << r.out << r.err;
  auto a = nlohmann::json::parse(r.out, nullptr, false);  // stdout is the JSON report alone
  ASSERT_TRUE(a.is_object()) << r.out;
  EXPECT_EQ(a["since"], last);
  EXPECT_EQ(a["signatures_checked"], 1) << a.dump(2);
  EXPECT_EQ(a["column_mismatches"], 1) << a.dump(2);
  EXPECT_NE(r.err.find("resume with --since " + std::to_string(last + 1)), std::string::npos)
      << r.err;
}

TEST_F(Audit, DeletedProviderIsReported) {
  sql(std::string("DELETE FROM frames WHERE sender='") + kBeta + "'");
  int code = -1;
  auto a = auditJson(&code);
  EXPECT_NE(code, 0) << a.dump(2);
  EXPECT_GE(a["checkpoint_problems"].get<int>(), 1) << a.dump(2);
  EXPECT_GE(a["picture_mismatches"].get<int>(), 1) << a.dump(2);  // its unit still shows
}

TEST_F(Audit, DeletedNewestCheckpointAndItsFramesAreCaughtByTheAgentsReceipt) {
  sql("DELETE FROM frames WHERE id > (SELECT last_frame_id FROM checkpoints WHERE number="
      "(SELECT max(number)-1 FROM checkpoints))");
  sql("DELETE FROM checkpoints WHERE number=(SELECT max(number) FROM checkpoints)");
  int code = -1;
  auto withReceipt = auditJson(&code, true);
  EXPECT_NE(code, 0) << withReceipt.dump(2);
  EXPECT_EQ(withReceipt["receipt_problems"], 1) << withReceipt.dump(2);
  EXPECT_NE(withReceipt.dump().find("truncated"), std::string::npos) << withReceipt.dump(2);
}

TEST_F(Audit, RewrittenUnitStatusIsAPictureMismatch) {
  sql(std::string("UPDATE unit_status SET operational='normal', pupils_present=250 WHERE code='") +
      kAlphaUnit + "'");
  int code = -1;
  auto a = auditJson(&code);
  EXPECT_NE(code, 0) << a.dump(2);
  EXPECT_EQ(a["picture_mismatches"], 1) << a.dump(2);
  EXPECT_NE(a.dump().find("operational stored 'normal'"), std::string::npos) << a.dump(2);
}

TEST_F(Audit, ChangedKindModeAndSentAtColumnsAreColumnMismatches) {
  sql(std::string("UPDATE frames SET kind='capacity', mode='exercise', sent_at=sent_at+1 WHERE "
                  "sender='") +
      kAlpha + "' AND seq=2");
  int code = -1;
  auto a = auditJson(&code);
  EXPECT_NE(code, 0) << a.dump(2);
  EXPECT_EQ(a["column_mismatches"], 3) << a.dump(2);
  for (const char* column : {"column kind", "column mode", "column sent_at"}) {
    EXPECT_NE(a.dump().find(column), std::string::npos) << column << a.dump(2);
  }
}

TEST_F(Audit, KeyInsertedIntoTheDatabaseByHandIsReported) {
  sql(std::string("INSERT INTO keys(key_id, provider_id, sign_public, curve_public, enrolled_at) "
                  "VALUES('00112233445566ff', '") +
      kAlpha + "', randomblob(32), randomblob(32), 0)");
  int code = -1;
  auto a = auditJson(&code);
  EXPECT_NE(code, 0) << a.dump(2);
  EXPECT_EQ(a["keys_without_record"], 1) << a.dump(2);
  EXPECT_NE(a.dump().find("00112233445566ff"), std::string::npos) << a.dump(2);
}

TEST_F(Audit, ARosterTransferIsACitySignedRecordTheAuditAccepts) {
  auto count = [&] {
    SQLite::Database db(brokerDir() + "/samband.db", SQLite::OPEN_READONLY);
    return db.execAndGet("SELECT count(*) FROM frames WHERE kind='enrolment'").getInt();
  };
  const int before = count();
  const std::string csv = tmp_.path() + "/units.csv";
  std::ofstream(csv) << "unit_code,unit_name,provider_id,district,lat,lon,school_forms\n"
                     << kAlphaUnit << ",Ängsskolan," << kBeta
                     << ",Bromma,59.33,18.06,grundskola:1-9\n";
  auto refused = runCommand({brokerBin(), "roster", "import", "--config", brokerConfig(), csv});
  EXPECT_NE(refused.exitCode, 0) << "a transfer needs --transfer";
  EXPECT_EQ(count(), before);
  auto moved =
      runCommand({brokerBin(), "roster", "import", "--config", brokerConfig(), "--transfer", csv});
  ASSERT_EQ(moved.exitCode, 0) << moved.out << moved.err;
  EXPECT_EQ(count(), before + 1) << "one city-signed record of the transfer";
  int code = -1;
  auto a = auditJson(&code);
  EXPECT_EQ(code, 0) << a.dump(2);
  EXPECT_EQ(a["keys_without_record"], 0);
}

TEST_F(Audit, KeysEnrolledBeforeRecordsAreCertifiedOnRequest) {
  // An installation from before records: no enrolment records in the city's chain (nor the
  // provider name records `enroll` writes since issue 15). Removing them (and the checkpoints,
  // which covered them) leaves exactly that.
  sql("DELETE FROM frames WHERE kind IN ('enrolment', 'roster_info')");
  sql("DELETE FROM checkpoints");
  int code = -1;
  auto before = auditJson(&code);
  EXPECT_NE(code, 0);
  EXPECT_EQ(before["keys_without_record"], 2) << before.dump(2);
  EXPECT_NE(before.dump().find("certify-keys"), std::string::npos) << before.dump(2);
  auto certify = runCommand({brokerBin(), "certify-keys", "--config", brokerConfig()});
  ASSERT_EQ(certify.exitCode, 0) << certify.out << certify.err;
  auto after = auditJson(&code);
  EXPECT_EQ(after["keys_without_record"], 0) << after.dump(2);
  EXPECT_EQ(after["bad_signatures"], 0) << after.dump(2);
  EXPECT_EQ(code, 0) << after.dump(2);  // certify-keys' checkpoint covers every frame again
}

}  // namespace
}  // namespace samband::testing
