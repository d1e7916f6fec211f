// Tests of the parallel audit and of `--since`: on an archive written as the broker writes it
// (several thousand signed frames, a checkpoint per commit) and then tampered with by SQL, the
// audit verifying on worker threads reports exactly what the serial audit reports, and an audit
// resumed with `since` still finds a frame tampered after the resume point (and a deletion
// before it).
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "broker/audit/audit.h"
#include "broker/audit/seen_bodies.h"
#include "common/codec.h"
#include "tests/broker/picture/archive_builder.h"
#include "tests/support/temp_dir.h"

namespace samband::broker {
namespace {

using common::Bytes;
using samband::testing::TempDir;

bool parallelMentions(const AuditReport& r, const std::string& text) {
  return std::any_of(r.problems.begin(), r.problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

class ParallelAuditTest : public ::testing::Test {
 protected:
  // Three providers, 5 units each, 300 rounds: 4,500 reports in 300 commits (more than four
  // batches of the audit's 1,024 frames).
  void SetUp() override {
    builder_ = std::make_unique<testing::ArchiveBuilder>(dir_.file("samband.db"), kStart);
    const std::vector<std::string> ids = {"556677-0001", "556677-0002", "556677-0003"};
    for (size_t p = 0; p < ids.size(); p++) {
      std::vector<std::string> units;
      for (int u = 0; u < 5; u++) units.push_back(std::to_string(30000000 + p * 5 + u));
      builder_->enrol(ids[p], units);
    }
    for (int r = 0; r < 300; r++) {
      builder_->advance(15 * 60'000);
      for (size_t p = 0; p < ids.size(); p++) {
        for (int u = 0; u < 5; u++) {
          builder_->report(
              ids[p], testing::ArchiveBuilder::status(std::to_string(30000000 + p * 5 + u),
                                                      r % 7 == u ? common::OperationalState::REDUCED
                                                                 : common::OperationalState::NORMAL,
                                                      200 + r % 50));
        }
      }
      builder_->commit();
    }
  }

  Store& store() { return builder_->store(); }
  int64_t frameCount() { return store().db().execAndGet("SELECT count(*) FROM frames").getInt64(); }
  // Flips one bit of the stored signature of frame `id` (the body stays as signed).
  void flipSignature(int64_t id) {
    SQLite::Statement get(store().db(), "SELECT envelope FROM frames WHERE id=?");
    get.bind(1, id);
    ASSERT_TRUE(get.executeStep());
    const auto* p = static_cast<const uint8_t*>(get.getColumn(0).getBlob());
    Bytes envelope(p, p + get.getColumn(0).getBytes());
    auto parts = common::decodeEnvelope(envelope);
    ASSERT_TRUE(parts.ok());
    parts->signature[7] ^= 0x01;
    Bytes tampered = common::encodeEnvelope(parts->body, parts->signature);
    SQLite::Statement set(store().db(), "UPDATE frames SET envelope=? WHERE id=?");
    set.bind(1, tampered.data(), static_cast<int>(tampered.size()));
    set.bind(2, id);
    ASSERT_EQ(set.exec(), 1);
  }
  AuditReport audit(int threads, int64_t since = 0) {
    AuditOptions o;
    o.threads = threads;
    o.since = since;
    return auditArchive(store(), o);
  }

  static constexpr int64_t kStart = 1'803'800'000'000;
  TempDir dir_;
  std::unique_ptr<testing::ArchiveBuilder> builder_;
};

TEST_F(ParallelAuditTest, ParallelAuditReportsExactlyWhatTheSerialAuditReports) {
  ASSERT_GT(frameCount(), 4 * 1024);
  flipSignature(1500);
  flipSignature(3900);
  store().db().exec("DELETE FROM frames WHERE id=2600");
  store().db().exec("UPDATE frames SET sent_at=sent_at+1 WHERE id=4200");
  const AuditReport serial = audit(1);
  EXPECT_EQ(serial.badSignatures, 2) << serial.toText();
  EXPECT_EQ(serial.chainBreaks, 1) << serial.toText();
  EXPECT_EQ(serial.columnMismatches, 1) << serial.toText();
  EXPECT_GE(serial.checkpointProblems, 1) << serial.toText();
  EXPECT_EQ(serial.signaturesChecked, frameCount());
  for (int threads : {2, 3, 8}) {
    const AuditReport parallel = audit(threads);
    EXPECT_EQ(parallel.toJson(), serial.toJson()) << threads << " threads";
  }
}

TEST_F(ParallelAuditTest, ProgressReportsFramesInOrderUpToTheLast) {
  AuditOptions o;
  o.threads = 2;
  std::vector<int64_t> upTo;
  int64_t last = 0, done = 0;
  o.progress = [&](int64_t framesDone, int64_t lastFrameId, int64_t doneUpTo) {
    upTo.push_back(doneUpTo);
    last = lastFrameId;
    done = framesDone;
  };
  AuditReport r = auditArchive(store(), o);
  ASSERT_GE(upTo.size(), 4u);
  EXPECT_TRUE(std::is_sorted(upTo.begin(), upTo.end()));
  EXPECT_EQ(upTo.back(), last);
  EXPECT_EQ(done, r.frames);
}

TEST_F(ParallelAuditTest, ResumedAuditStillFindsAFrameTamperedAfterTheResumePoint) {
  flipSignature(3000);
  const AuditReport resumed = audit(2, 2000);
  EXPECT_FALSE(resumed.intact());
  EXPECT_EQ(resumed.badSignatures, 1) << resumed.toText();
  EXPECT_EQ(resumed.since, 2000);
  EXPECT_EQ(resumed.signaturesChecked, frameCount() - 1999);
  EXPECT_TRUE(parallelMentions(resumed, "signature does not verify")) << resumed.toText();
  EXPECT_EQ(resumed.toJson()["since"], 2000);
}

TEST_F(ParallelAuditTest, ResumedAuditSkipsOnlyTheSignaturesBeforeTheResumePoint) {
  // A replaced signature before the resume point is what --since does not re-check ...
  flipSignature(1000);
  const AuditReport resumed = audit(2, 2000);
  EXPECT_EQ(resumed.badSignatures, 0) << resumed.toText();
  EXPECT_EQ(audit(2).badSignatures, 1);
  // ... but a frame deleted before it still breaks its chain and the city's checkpoints.
  store().db().exec("DELETE FROM frames WHERE id=500");
  const AuditReport afterDelete = audit(2, 2000);
  EXPECT_FALSE(afterDelete.intact());
  EXPECT_EQ(afterDelete.chainBreaks, 1) << afterDelete.toText();
  EXPECT_GE(afterDelete.checkpointProblems, 1) << afterDelete.toText();
}

TEST(SeenBodies, FindsEveryRepeatAmongManyHashesAndNothingElse) {
  SeenBodies seen;
  std::vector<Bytes> hashes;
  for (int i = 0; i < 50'000; i++) {
    Bytes h(8, 0);
    for (int b = 0; b < 8; b++) h[b] = static_cast<uint8_t>(i >> (8 * (b % 4)));
    hashes.push_back(common::hash256(h));
  }
  hashes.push_back(Bytes(32, 0));  // the all-zero prefix, which marks empty slots inside
  for (const auto& h : hashes) EXPECT_TRUE(seen.insert(h));
  EXPECT_EQ(seen.size(), hashes.size());
  for (size_t i = 0; i < hashes.size(); i += 97) EXPECT_FALSE(seen.insert(hashes[i]));
  EXPECT_FALSE(seen.insert(Bytes(32, 0)));
  EXPECT_EQ(seen.size(), hashes.size());
}

}  // namespace
}  // namespace samband::broker
