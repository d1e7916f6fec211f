// Tests of the archive audit: an archive written by the real ingest path is intact, and every
// kind of tampering with the stored rows (done with SQL, as an attacker with the file would) is
// found and named.
#include "broker/audit/audit.h"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "broker/city/city_chain.h"
#include "broker/ingest/committer.h"
#include "broker/ingest/ingress.h"
#include "broker/ingest/roster_cache.h"
#include "broker/metrics/metrics.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "tests/broker/ingest/sender_chain.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using common::Bytes;

using samband::test_time::kNow;

using samband::testing::TempDir;

bool mentions(const AuditReport& r, const std::string& text) {
  return std::any_of(r.problems.begin(), r.problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::open(dir_.file("samband.db"), Store::Access::readWrite);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    CityChain cityChain(*store_, *city_);
    ASSERT_TRUE(cityChain.publishKey().ok());
    for (auto* id : {alpha_.get(), beta_.get()}) {
      // As `samband-broker enroll` does: the city's signed record in the same transaction.
      auto request = common::makeEnrollRequest(
          *id, "Huvudman", {id == alpha_.get() ? "10000001" : "20000001"}, kNow);
      auto r = RosterStore(*store_).enroll(request, false, kNow, [&](const EnrollOutcome&) {
        auto issued = cityChain.record(enrolmentRecord(request, kNow), kNow);
        return issued ? common::Status{} : common::Status{issued.error()};
      });
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
    RosterCache roster(dir_.file("samband.db"), clock_);
    Ingress ingress(roster, clock_);
    Committer committer(*store_, clock_, metrics_, CommitterCity{city_.get()});
    // Alpha: four reports; beta: two. Stored through the real gate and committer.
    std::vector<WorkItem> batch;
    auto chain = [&](const common::Identity& id, const std::string& unit, int n) {
      testing::Chain frames(id);
      for (int i = 1; i <= n; ++i) {
        common::UnitStatusMsg s;
        s.unitCode = unit;
        s.operational = common::OperationalState::NORMAL;
        s.note = "AAAAAAAA";
        common::SealedFrame f = frames.next(s, kNow + i);
        if (&id == alpha_.get()) alphaFrames_.push_back(f);
        InboundFrame in{"route-" + id.id(), id.id(), f.envelope, kNow + i};
        batch.push_back(WorkItem{"route-" + id.id(), ingress.admit(std::move(in))});
      }
    };
    chain(*alpha_, "10000001", 4);
    chain(*beta_, "20000001", 2);
    auto replies = committer.apply(batch);
    ASSERT_EQ(replies.size(), 2u);  // one cumulative ack per connection
    ASSERT_EQ(store_->db().execAndGet("SELECT count(*) FROM frames").getInt64(), 8);
  }

  void setEnvelope(const std::string& sender, uint64_t seq, const Bytes& envelope) {
    SQLite::Statement q(store_->db(), "UPDATE frames SET envelope=? WHERE sender=? AND seq=?");
    q.bind(1, envelope.data(), static_cast<int>(envelope.size()));
    q.bind(2, sender);
    q.bind(3, static_cast<int64_t>(seq));
    ASSERT_EQ(q.exec(), 1);
  }

  TempDir dir_;
  common::FakeClock clock_{kNow};
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<common::Identity> city_ = common::Identity::generate("city");
  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  std::unique_ptr<common::Identity> beta_ = common::Identity::generate("556677-0002");
  std::vector<common::SealedFrame> alphaFrames_;
};

TEST_F(AuditTest, ArchiveWrittenByIngestIsIntact) {
  AuditReport r = auditArchive(*store_);
  EXPECT_TRUE(r.intact()) << r.toText();
  EXPECT_EQ(r.frames, 8);  // six reports and the city's two enrolment records
  EXPECT_EQ(r.senders, 3);
  EXPECT_EQ(r.chains, 3);
  EXPECT_EQ(r.checkpoints, 3);  // one per record, one for the batch
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(r.toJson()["intact"], true);
  EXPECT_NE(r.toText().find("archive intact"), std::string::npos);
}

TEST(Audit, EmptyArchiveIsIntact) {
  TempDir dir;
  auto store = Store::open(dir.file("samband.db"), Store::Access::readWrite);
  ASSERT_TRUE(store.ok());
  AuditReport r = auditArchive(**store);
  EXPECT_TRUE(r.intact());
  EXPECT_EQ(r.frames, 0);
}

TEST_F(AuditTest, FlippedSignatureByteInStoredEnvelopeIsBadSignature) {
  auto parts = common::decodeEnvelope(alphaFrames_[1].envelope);
  ASSERT_TRUE(parts.ok());
  parts->signature[5] ^= 0x20;
  setEnvelope(alpha_->id(), 2, common::encodeEnvelope(parts->body, parts->signature));

  AuditReport r = auditArchive(*store_);
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.badSignatures, 1);
  EXPECT_EQ(r.chainBreaks, 0);
  EXPECT_EQ(r.undecodable, 0);
  EXPECT_TRUE(mentions(r, "seq 2: signature does not verify")) << r.toText();
  EXPECT_EQ(r.toJson()["intact"], false);
}

TEST_F(AuditTest, FlippedByteInStoredBodyIsBadSignature) {
  // Rewrite one letter of the note in the stored bytes, leaving the body decodable.
  Bytes tampered = alphaFrames_[2].envelope;
  auto at = std::search(tampered.begin(), tampered.end(), std::begin("AAAA"), std::end("AAAA") - 1);
  ASSERT_NE(at, tampered.end());
  *at = 'B';
  setEnvelope(alpha_->id(), 3, tampered);

  AuditReport r = auditArchive(*store_);
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.badSignatures, 1);
  EXPECT_TRUE(mentions(r, "seq 3: signature does not verify")) << r.toText();
}

TEST_F(AuditTest, GarbageInStoredEnvelopeIsUndecodable) {
  setEnvelope(beta_->id(), 1, Bytes(24, 0xff));
  AuditReport r = auditArchive(*store_);
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.undecodable, 1);
  EXPECT_TRUE(mentions(r, "envelope does not decode")) << r.toText();
}

TEST_F(AuditTest, DeletedMiddleFrameIsChainBreak) {
  store_->db().exec("DELETE FROM frames WHERE sender='" + alpha_->id() + "' AND seq=2");
  AuditReport r = auditArchive(*store_);
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.chainBreaks, 1);
  EXPECT_EQ(r.badSignatures, 0);
  EXPECT_TRUE(mentions(r, "seq 3: gap after seq 1")) << r.toText();
}

TEST_F(AuditTest, DeletedFirstFrameIsChainBreak) {
  store_->db().exec("DELETE FROM frames WHERE sender='" + beta_->id() + "' AND seq=1");
  AuditReport r = auditArchive(*store_);
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.chainBreaks, 1);
}

TEST_F(AuditTest, SecondCopyOfBodyUnderAnotherSeqIsDetected) {
  store_->db().exec(
      "INSERT INTO frames(sender, key_id, seq, kind, mode, sent_at, received_at, body_hash, "
      "envelope) SELECT sender, key_id, 5, kind, mode, sent_at, received_at, body_hash, envelope "
      "FROM frames WHERE sender='" +
      alpha_->id() + "' AND seq=2");
  AuditReport r = auditArchive(*store_);
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.duplicates, 1);
  EXPECT_EQ(r.undecodable, 1);  // the copy's seq column disagrees with its signed body
  EXPECT_TRUE(mentions(r, "seq 5: the same body is stored twice")) << r.toText();
}

TEST_F(AuditTest, StoredColumnsDisagreeingWithSignedBodyAreReported) {
  store_->db().exec("UPDATE frames SET body_hash=zeroblob(32) WHERE sender='" + beta_->id() +
                    "' AND seq=2");
  AuditReport r = auditArchive(*store_);
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.undecodable, 1);
  EXPECT_EQ(r.columnMismatches, 1);
  EXPECT_TRUE(mentions(r, "column body_hash differs from the signed body")) << r.toText();
}

TEST_F(AuditTest, FrameMovedToAnotherSenderIsReported) {
  // Beta's frame relabelled as alpha's seq 5: signed body says beta, seq 1.
  store_->db().exec("UPDATE frames SET sender='" + alpha_->id() + "', seq=5 WHERE sender='" +
                    beta_->id() + "' AND seq=1");
  AuditReport r = auditArchive(*store_);
  EXPECT_FALSE(r.intact());
  EXPECT_GE(r.undecodable, 1);
}

TEST_F(AuditTest, DeletedKeyRowIsReportedWhileItsFramesStillVerifyFromTheCityRecord) {
  store_->db().exec("DELETE FROM keys WHERE provider_id='" + beta_->id() + "'");
  AuditReport r = auditArchive(*store_);
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.badSignatures, 0);
  EXPECT_EQ(r.keyMismatches, 1);
  EXPECT_TRUE(mentions(r, "is recorded but missing from the keys table")) << r.toText();
}

TEST_F(AuditTest, FrameSignedByAKeyNoCityRecordProvesIsBadSignature) {
  store_->db().exec(
      "DELETE FROM frames WHERE kind='enrolment' AND id=(SELECT min(id) FROM frames)");
  AuditReport r = auditArchive(*store_);
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.badSignatures, 4);  // alpha's four reports
  EXPECT_EQ(r.keysWithoutRecord, 1);
  EXPECT_TRUE(mentions(r, "no key proven by a city record")) << r.toText();
}

TEST_F(AuditTest, KeyRecordStoredUnderAnotherKindIsReported) {
  // The first pass reads key records by their kind column; relabelling alpha's enrolment record
  // hides it from that pass, but not from the walk, which checks every kind against the body.
  store_->db().exec(
      "UPDATE frames SET kind='unit_status' WHERE id=(SELECT min(id) FROM frames WHERE "
      "kind='enrolment')");
  AuditReport r = auditArchive(*store_);
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.columnMismatches, 1);
  EXPECT_EQ(r.undecodable, 0);
  EXPECT_TRUE(mentions(r, "column kind differs from the signed body")) << r.toText();
  // And what the hidden record proved is not believed: alpha's key and its four reports.
  EXPECT_EQ(r.keysWithoutRecord, 1);
  EXPECT_EQ(r.badSignatures, 4);
}

TEST_F(AuditTest, ReportStoredUnderAKeyRecordKindIsReported) {
  // The other way round: a report labelled as a key record is read by the first pass, proves
  // nothing there, and the walk names its kind.
  store_->db().exec("UPDATE frames SET kind='enrolment' WHERE sender='" + beta_->id() +
                    "' AND seq=1");
  AuditReport r = auditArchive(*store_);
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.columnMismatches, 1);
  EXPECT_EQ(r.badSignatures, 0);
  EXPECT_EQ(r.keyMismatches, 0);
  EXPECT_TRUE(mentions(r, "seq 1 (frame")) << r.toText();
  EXPECT_TRUE(mentions(r, "column kind differs from the signed body")) << r.toText();
}

}  // namespace
}  // namespace samband::broker
