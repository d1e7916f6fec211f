// Tests of batch envelopes (issue 16) through the real gate and committer: one signature check
// per batch, each report archived with its own seq and the batch stored as sent; every hostile
// batch (altered report, bad signature, mixed senders, too many reports or bytes, a gap inside)
// refused as a whole with a counted reason; duplicates of a re-sent batch re-acknowledged; the
// audit re-verifies stored batches and catches a tampered one.
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "broker/audit/audit.h"
#include "broker/city/city_chain.h"
#include "broker/ingest/committer.h"
#include "broker/ingest/ingress.h"
#include "broker/ingest/roster_cache.h"
#include "broker/metrics/metrics.h"
#include "broker/store/archive_store.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/batch_envelope.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/signing.h"
#include "tests/broker/audit/batched_archive_fixture.h"
#include "tests/broker/ingest/sender_chain.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using common::Bytes;
using common::RejectReason;

using samband::testing::TempDir;

using samband::test_time::kNow;
constexpr const char* kBatchUnitA = testing::kBatchedUnitA;
constexpr const char* kBatchUnitB = testing::kBatchedUnitB;

common::UnitStatusMsg batchStatus(const std::string& unit, const std::string& note = "ok") {
  common::UnitStatusMsg s;
  s.unitCode = unit;
  s.operational = common::OperationalState::REDUCED;
  s.reason = "storm";
  s.staffAvailable = 12;
  s.note = note;
  return s;
}

// Bodies of a chain, as an agent with a backlog holds them.
std::vector<Bytes> bodies(testing::Chain& chain, int n, const std::string& unit = kBatchUnitA,
                          const std::string& note = "ok") {
  std::vector<Bytes> out;
  for (int i = 0; i < n; ++i) out.push_back(chain.next(batchStatus(unit, note), kNow + i).body);
  return out;
}

class BatchTest : public testing::BatchedArchiveFixture {
 protected:
  void SetUp() override { openArchive("samband.db"); }

  Bytes batchOf(const common::Identity& signer, const std::vector<Bytes>& bs) {
    return common::encodeBatch(bs, common::signBatch(signer, bs));
  }

  // Admits `frame` (a batch) over alpha's session and commits it; returns the replies.
  std::vector<common::Downlink> send(const Bytes& frame, const common::Identity& session) {
    InboundFrame in{"route-1", session.id(), frame, clock_.nowMs()};
    std::vector<WorkItem> items;
    for (auto& a : ingress_->admitBatch(std::move(in))) items.push_back(WorkItem{"route-1", a});
    std::vector<common::Downlink> out;
    for (const auto& r : committer_->apply(items)) {
      auto d = common::decodeDownlink(r.downlink.data(), r.downlink.size());
      EXPECT_TRUE(d.ok());
      if (d) out.push_back(*d);
    }
    return out;
  }

  int64_t scalar(const std::string& sql) { return store_->db().execAndGet(sql).getInt64(); }
  int64_t reports() { return scalar("SELECT count(*) FROM frames WHERE sender<>'city'"); }
  int64_t rejections(const std::string& reason) {
    return scalar("SELECT coalesce((SELECT count FROM rejections WHERE reason='" + reason +
                  "'), 0)");
  }
  // The batch frame refused as a whole for `reason`, nothing stored, the reason counted.
  void expectRefused(const Bytes& frame, RejectReason reason, const std::string& name) {
    const int64_t before = rejections(name);
    auto replies = send(frame, *alpha_);
    ASSERT_EQ(replies.size(), 1u);
    auto* r = std::get_if<common::RejectMsg>(&replies[0]);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->reason, reason) << r->detail;
    EXPECT_EQ(reports(), 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM batches"), 0);
    EXPECT_EQ(rejections(name), before + 1);
  }
};

TEST_F(BatchTest, VerifiedOnceEachReportArchivedWithItsOwnSeqAndTheBatchAsSent) {
  auto bs = bodies(alphaChain_, 5);
  const Bytes frame = batchOf(*alpha_, bs);
  auto replies = send(frame, *alpha_);
  EXPECT_EQ(metrics_.verifySamples.load(), 1u);  // one signature check for five reports
  ASSERT_EQ(replies.size(), 1u);                 // the cumulative ack of the connection
  auto* ack = std::get_if<common::AckMsg>(&replies[0]);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->seq, 5u);
  EXPECT_FALSE(ack->receipt.empty());

  EXPECT_EQ(reports(), 5);
  // Stored once (migration 17): each report's row holds no body of its own (an empty
  // envelope) and points to its index in the batch, which is stored exactly as sent.
  SQLite::Statement q(store_->db(),
                      "SELECT f.seq, length(f.envelope), f.batch_idx, b.frame FROM frames f "
                      "JOIN batches b ON b.id=f.batch_id WHERE f.sender=? ORDER BY f.seq");
  q.bind(1, alpha_->id());
  int n = 0;
  while (q.executeStep()) {
    EXPECT_EQ(q.getColumn(0).getInt64(), n + 1);
    EXPECT_EQ(q.getColumn(1).getInt64(), 0);
    EXPECT_EQ(q.getColumn(2).getInt64(), n);
    auto* b = static_cast<const uint8_t*>(q.getColumn(3).getBlob());
    EXPECT_EQ(Bytes(b, b + q.getColumn(3).getBytes()), frame);  // stored exactly as sent
    ++n;
  }
  EXPECT_EQ(n, 5);
  // Read back, each report's envelope is its body and a batch-member signature, as before.
  std::vector<Bytes> read;
  ASSERT_TRUE(ArchiveStore(*store_)
                  .forEachFrame([&](const ArchivedFrame& f) {
                    if (f.sender != alpha_->id()) return;
                    auto parts = common::decodeEnvelope(f.envelope);
                    ASSERT_TRUE(parts.ok());
                    EXPECT_TRUE(common::isBatchMemberSignature(parts->signature));
                    read.push_back(parts->body);
                  })
                  .ok());
  EXPECT_EQ(read, bs);
  EXPECT_EQ(n, 5);
  EXPECT_EQ(scalar("SELECT count(*) FROM batches"), 1);
  EXPECT_EQ(metrics_.batchesStored.load(), 1u);

  AuditReport audit = auditArchive(*store_);
  EXPECT_TRUE(audit.intact()) << audit.toText();
}

TEST_F(BatchTest, AlteredReportIsBadSignature) {
  auto bs = bodies(alphaChain_, 3);
  const Bytes sig = common::signBatch(*alpha_, bs);
  auto altered = common::decodeBody(bs[1]);
  ASSERT_TRUE(altered.ok());
  std::get<common::UnitStatusMsg>(altered->payload).staffAvailable = 99;
  bs[1] = common::encodeBody(*altered);
  bs[2] = common::encodeBody([&] {  // keep the chain inside the batch whole
    auto m = *common::decodeBody(bs[2]);
    m.prevHash = common::hash256(bs[1]);
    return m;
  }());
  expectRefused(common::encodeBatch(bs, sig), RejectReason::BAD_SIGNATURE, "bad_signature");
}

TEST_F(BatchTest, FlippedSignatureByteIsBadSignature) {
  auto bs = bodies(alphaChain_, 3);
  Bytes sig = common::signBatch(*alpha_, bs);
  sig[7] ^= 1;
  expectRefused(common::encodeBatch(bs, sig), RejectReason::BAD_SIGNATURE, "bad_signature");
}

TEST_F(BatchTest, SignedByAnotherSendersKeyIsBadSignature) {
  auto bs = bodies(alphaChain_, 2);
  expectRefused(batchOf(*beta_, bs), RejectReason::BAD_SIGNATURE, "bad_signature");
}

TEST_F(BatchTest, MixedSendersAreMalformed) {
  auto bs = bodies(alphaChain_, 2);
  bs.push_back(betaChain_.next(batchStatus(kBatchUnitB), kNow).body);
  expectRefused(batchOf(*alpha_, bs), RejectReason::MALFORMED, "malformed");
}

TEST_F(BatchTest, MoreThan64ReportsAreOversized) {
  expectRefused(batchOf(*alpha_, bodies(alphaChain_, 65)), RejectReason::OVERSIZED, "oversized");
}

TEST_F(BatchTest, MoreThan48KiBAreOversized) {
  const auto bs = bodies(alphaChain_, 50, kBatchUnitA, std::string(900, 'x'));
  const Bytes frame = batchOf(*alpha_, bs);
  ASSERT_GT(frame.size(), common::kMaxBatchBytes);
  ASSERT_LE(frame.size(), common::kMaxFrameBytes);
  expectRefused(frame, RejectReason::OVERSIZED, "oversized");
}

TEST_F(BatchTest, GapInsideIsMalformed) {
  auto bs = bodies(alphaChain_, 4);
  bs.erase(bs.begin() + 2);
  expectRefused(batchOf(*alpha_, bs), RejectReason::MALFORMED, "malformed");
}

TEST_F(BatchTest, BrokenPrevHashInsideIsMalformed) {
  auto bs = bodies(alphaChain_, 3);
  auto m = *common::decodeBody(bs[2]);
  m.prevHash = common::hash256(bs[0]);
  bs[2] = common::encodeBody(m);
  expectRefused(batchOf(*alpha_, bs), RejectReason::MALFORMED, "malformed");
}

TEST_F(BatchTest, HeartbeatInsideIsMalformed) {
  auto bs = bodies(alphaChain_, 2);
  bs.push_back(alphaChain_.heartbeat(kNow, 1).body);
  expectRefused(batchOf(*alpha_, bs), RejectReason::MALFORMED, "malformed");
}

TEST_F(BatchTest, OverAnotherProvidersSessionIsKeyMismatch) {
  const int64_t before = rejections("key_mismatch");
  auto replies = send(batchOf(*alpha_, bodies(alphaChain_, 2)), *beta_);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(std::get<common::RejectMsg>(replies[0]).reason, RejectReason::KEY_MISMATCH);
  EXPECT_EQ(reports(), 0);
  EXPECT_EQ(rejections("key_mismatch"), before + 1);
}

TEST_F(BatchTest, GarbageAfterTheMagicIsMalformed) {
  Bytes frame(common::kBatchMagic, common::kBatchMagic + 8);
  frame.resize(64, 0xAB);
  expectRefused(frame, RejectReason::MALFORMED, "malformed");
}

TEST_F(BatchTest, DuplicatesInAResentBatchAreReackedNotStoredTwice) {
  auto bs = bodies(alphaChain_, 5);
  std::vector<Bytes> first(bs.begin(), bs.begin() + 3);
  send(batchOf(*alpha_, first), *alpha_);
  ASSERT_EQ(reports(), 3);
  // The agent lost the ack and resends from seq 1, now with two more.
  auto replies = send(batchOf(*alpha_, bs), *alpha_);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(std::get<common::AckMsg>(replies[0]).seq, 5u);
  EXPECT_EQ(reports(), 5);
  EXPECT_EQ(metrics_.duplicates.load(), 3u);
  EXPECT_EQ(scalar("SELECT count(*) FROM batches"), 2);
  // The whole batch again: all duplicates, nothing stored, no batch stored.
  replies = send(batchOf(*alpha_, bs), *alpha_);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(std::get<common::AckMsg>(replies[0]).duplicate);
  EXPECT_EQ(reports(), 5);
  EXPECT_EQ(scalar("SELECT count(*) FROM batches"), 2);
  AuditReport audit = auditArchive(*store_);
  EXPECT_TRUE(audit.intact()) << audit.toText();
}

TEST_F(BatchTest, ReportForAnotherUnitIsRefusedAloneAndTheChainRuleHoldsTheRest) {
  std::vector<Bytes> bs = bodies(alphaChain_, 2);
  bs.push_back(alphaChain_.next(batchStatus(kBatchUnitB), kNow).body);  // beta's unit
  auto more = bodies(alphaChain_, 2);
  bs.insert(bs.end(), more.begin(), more.end());
  auto replies = send(batchOf(*alpha_, bs), *alpha_);
  ASSERT_EQ(replies.size(), 4u);  // ack 2, unit_not_owned 3, out_of_order 4 and 5
  EXPECT_EQ(std::get<common::AckMsg>(replies[0]).seq, 2u);
  EXPECT_EQ(std::get<common::RejectMsg>(replies[1]).reason, RejectReason::UNIT_NOT_OWNED);
  EXPECT_EQ(std::get<common::RejectMsg>(replies[1]).seq, 3u);
  EXPECT_EQ(std::get<common::RejectMsg>(replies[2]).reason, RejectReason::OUT_OF_ORDER);
  EXPECT_EQ(reports(), 2);
}

TEST_F(BatchTest, KeyRotationInsideIsMalformed) {
  auto bs = bodies(alphaChain_, 1);
  auto next = common::Identity::generate(alpha_->id());
  bs.push_back(alphaChain_.next(common::keyRotationTo(*next), kNow, common::Mode::SYSTEM).body);
  expectRefused(batchOf(*alpha_, bs), RejectReason::MALFORMED, "malformed");
}

TEST_F(BatchTest, AuditCatchesATamperedStoredBatch) {
  send(batchOf(*alpha_, bodies(alphaChain_, 4)), *alpha_);
  ASSERT_EQ(reports(), 4);
  ASSERT_TRUE(auditArchive(*store_).intact());
  // Flip one byte of the stored batch's signature (the last 64 bytes hold body data or the
  // signature; flip inside the signature, found from the decoded frame).
  auto* stored = store_.get();
  SQLite::Statement read(stored->db(), "SELECT frame FROM batches");
  ASSERT_TRUE(read.executeStep());
  auto* p = static_cast<const uint8_t*>(read.getColumn(0).getBlob());
  Bytes frame(p, p + read.getColumn(0).getBytes());
  read.reset();
  auto parts = common::decodeBatch(frame);
  ASSERT_TRUE(parts.ok());
  Bytes sig = parts->signature;
  sig[0] ^= 0x01;
  Bytes tampered = common::encodeBatch(parts->bodies, sig);
  SQLite::Statement w(stored->db(), "UPDATE batches SET frame=?");
  w.bind(1, tampered.data(), static_cast<int>(tampered.size()));
  ASSERT_EQ(w.exec(), 1);
  AuditReport audit = auditArchive(*store_);
  EXPECT_FALSE(audit.intact());
  EXPECT_EQ(audit.badSignatures, 4) << audit.toText();
}

TEST_F(BatchTest, AuditCatchesABodySwappedOutOfItsBatch) {
  send(batchOf(*alpha_, bodies(alphaChain_, 3)), *alpha_);
  // Point report 2 at index 0 of its batch: the body read for it is no longer its own. Since
  // migration 17 the row holds no body of its own, so the batch's signature still covers what
  // is read; the audit finds the row disagreeing with that body and the body stored twice.
  store_->db().exec("UPDATE frames SET batch_idx=0 WHERE batch_idx=1");
  AuditReport audit = auditArchive(*store_);
  EXPECT_FALSE(audit.intact());
  EXPECT_GE(audit.columnMismatches, 1) << audit.toText();
  EXPECT_EQ(audit.duplicates, 1) << audit.toText();
}

TEST_F(BatchTest, AuditCatchesABodySwappedOutOfItsBatchInARowStoredBeforeMigration17) {
  send(batchOf(*alpha_, bodies(alphaChain_, 3)), *alpha_);
  // As schema 16 stored it: report 2's row holds its body (and a zero signature) itself. Point
  // it at index 0 of its batch: the batch does not hold that body there.
  SQLite::Statement q(store_->db(),
                      "SELECT b.frame FROM frames f JOIN batches b ON b.id=f.batch_id "
                      "WHERE f.batch_idx=1");
  ASSERT_TRUE(q.executeStep());
  auto* p = static_cast<const uint8_t*>(q.getColumn(0).getBlob());
  auto parts = common::decodeBatch(Bytes(p, p + q.getColumn(0).getBytes()));
  q.reset();
  ASSERT_TRUE(parts.ok());
  const Bytes own = common::batchMemberEnvelope(parts->bodies[1]);
  SQLite::Statement w(store_->db(), "UPDATE frames SET envelope=?, batch_idx=0 WHERE batch_idx=1");
  w.bind(1, own.data(), static_cast<int>(own.size()));
  ASSERT_EQ(w.exec(), 1);
  AuditReport audit = auditArchive(*store_);
  EXPECT_FALSE(audit.intact());
  EXPECT_EQ(audit.badSignatures, 1) << audit.toText();
}

}  // namespace
}  // namespace samband::broker
