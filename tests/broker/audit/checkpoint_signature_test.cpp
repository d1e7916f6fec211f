// Tests of which checkpoint signatures the audit verifies: by default the newest checkpoint each
// city key signed, the others bound to it by the hash chain (a damaged header is still found);
// with allCheckpointSignatures every one. On an archive written as the broker writes it (the
// builder writes no picture and no `keys` rows, so only the checkpoints' findings are asserted).
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "broker/audit/audit.h"
#include "tests/broker/picture/archive_builder.h"
#include "tests/support/temp_dir.h"

namespace samband::broker {
namespace {

constexpr int64_t kCheckpointAuditStart = 1'803'800'000'000;

class AuditCheckpointSignatures : public ::testing::Test {
 protected:
  // One provider of 3 units; 12 rounds, a commit (and so a checkpoint) each.
  void SetUp() override {
    builder_ =
        std::make_unique<testing::ArchiveBuilder>(dir_.file("samband.db"), kCheckpointAuditStart);
    builder_->enrol("556677-0041", {"30000041", "30000042", "30000043"});
    for (int r = 0; r < 12; r++) {
      builder_->advance(15 * 60'000);
      for (int u = 1; u <= 3; u++) {
        builder_->report("556677-0041", testing::ArchiveBuilder::status(
                                            "3000004" + std::to_string(u),
                                            common::OperationalState::NORMAL, 100 + r));
      }
      builder_->commit();
    }
    checkpoints_ = builder_->store().db().execAndGet("SELECT count(*) FROM checkpoints").getInt64();
    ASSERT_GE(checkpoints_, 12);
  }

  AuditReport auditWith(bool all) {
    AuditOptions o;
    o.threads = 1;
    o.allCheckpointSignatures = all;
    return auditArchive(builder_->store(), o);
  }
  void exec(const std::string& sql) { builder_->store().db().exec(sql); }
  static bool saysSomewhere(const AuditReport& r, const std::string& text) {
    return std::any_of(r.problems.begin(), r.problems.end(),
                       [&](const std::string& p) { return p.find(text) != std::string::npos; });
  }

  samband::testing::TempDir dir_;
  std::unique_ptr<testing::ArchiveBuilder> builder_;
  int64_t checkpoints_ = 0;
};

TEST_F(AuditCheckpointSignatures, ByDefaultOnlyTheNewestOfTheKeyIsVerifiedAndTheArchiveIsIntact) {
  AuditReport r = auditWith(false);
  EXPECT_EQ(r.checkpointProblems, 0) << r.toText();
  EXPECT_EQ(r.checkpoints, checkpoints_);
  EXPECT_EQ(r.checkpointSignaturesChecked, 1) << r.toText();
  EXPECT_NE(r.toText().find("--all-checkpoint-signatures verifies each"), std::string::npos);
  AuditReport all = auditWith(true);
  EXPECT_EQ(all.checkpointProblems, 0) << all.toText();
  EXPECT_EQ(all.checkpointSignaturesChecked, checkpoints_);
  EXPECT_EQ(all.toJson()["checkpoint_signatures_checked"], checkpoints_);
}

TEST_F(AuditCheckpointSignatures, ADamagedNewestSignatureIsFound) {
  exec(
      "UPDATE checkpoints SET signature=zeroblob(64) WHERE number=(SELECT max(number) FROM "
      "checkpoints)");
  AuditReport r = auditWith(false);
  EXPECT_EQ(r.checkpointProblems, 1) << r.toText();
  EXPECT_TRUE(saysSomewhere(r, "does not verify with city key")) << r.toText();
}

TEST_F(AuditCheckpointSignatures, AnAlteredEarlierHeaderIsFoundWithoutItsSignature) {
  // Checkpoint 5's header with one byte of its digest changed: its successor no longer chains to
  // it, whatever its own signature.
  SQLite::Statement get(builder_->store().db(), "SELECT header FROM checkpoints WHERE number=5");
  ASSERT_TRUE(get.executeStep());
  const auto* p = static_cast<const uint8_t*>(get.getColumn(0).getBlob());
  common::Bytes header(p, p + get.getColumn(0).getBytes());
  get.reset();
  header[header.size() / 2] ^= 0x01;
  SQLite::Statement set(builder_->store().db(), "UPDATE checkpoints SET header=? WHERE number=5");
  set.bind(1, header.data(), static_cast<int>(header.size()));
  ASSERT_EQ(set.exec(), 1);
  AuditReport r = auditWith(false);
  EXPECT_GE(r.checkpointProblems, 1) << r.toText();
}

TEST_F(AuditCheckpointSignatures, ADamagedEarlierSignatureNeedsAllCheckpointSignatures) {
  // The header is intact, so the chain and the newest signature still hold: only the full check
  // finds a signature damaged on its own (what the default gives up, docs/operations.md).
  exec("UPDATE checkpoints SET signature=zeroblob(64) WHERE number=5");
  EXPECT_EQ(auditWith(false).checkpointProblems, 0);
  AuditReport all = auditWith(true);
  EXPECT_EQ(all.checkpointProblems, 1) << all.toText();
  EXPECT_TRUE(saysSomewhere(all, "checkpoint 5: the checkpoint signature does not verify"))
      << all.toText();
}

}  // namespace
}  // namespace samband::broker
