// Tests of the Committer: the sequence and hash-chain rules, heartbeat freshness, durable writes
// with acks only after commit, persistent refusal counters, and the current picture (unit status,
// capacity, continuity per mode). Frames pass the real Ingress with real keys; the database is a
// temporary SQLite file.
// Over 500 lines on purpose: one fixture walked through every chain, heartbeat, durability and
// projection rule of the commit.
#include "broker/ingest/committer.h"

#include "broker/city/city_chain.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

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
using common::RejectReason;
using testing::Chain;

using samband::test_time::kNow;
constexpr const char* kUnitA = "10000001";
constexpr const char* kUnitB = "10000002";

using samband::testing::TempDir;

common::UnitStatusMsg status(const std::string& unit, common::OperationalState state,
                             int32_t pupilsPresent = 100) {
  common::UnitStatusMsg s;
  s.unitCode = unit;
  s.operational = state;
  s.pupilsPresent = pupilsPresent;
  s.staffAvailable = 12;
  return s;
}

common::CapacityMsg capacity(const std::string& unit, std::vector<common::CapacityEntryMsg> e) {
  return common::CapacityMsg{unit, std::move(e)};
}

void expectAck(const common::Downlink& d, uint64_t seq, bool duplicate) {
  auto* a = std::get_if<common::AckMsg>(&d);
  ASSERT_NE(a, nullptr) << "not an ack; downlink kind " << d.index();
  EXPECT_EQ(a->seq, seq);
  EXPECT_EQ(a->duplicate, duplicate);
}

common::RejectMsg rejectOf(const common::Downlink& d) {
  if (auto* r = std::get_if<common::RejectMsg>(&d)) return *r;
  ADD_FAILURE() << "not a reject; downlink kind " << d.index();
  return {};
}

class CommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = openStore();
    ASSERT_NE(store_, nullptr);
    enroll(*alpha_, {kUnitA, kUnitB});
    enroll(*beta_, {"20000001"});
    roster_ = std::make_unique<RosterCache>(dbPath(), clock_);
    ingress_ = std::make_unique<Ingress>(*roster_, clock_);
    committer_ = std::make_unique<Committer>(*store_, clock_, metrics_);
  }

  std::string dbPath() const { return dir_.file("samband.db"); }

  std::unique_ptr<Store> openStore() {
    auto s = Store::open(dbPath(), Store::Access::readWrite);
    if (!s) {
      ADD_FAILURE() << s.error().message;
      return nullptr;
    }
    return std::move(s).value();
  }

  void enroll(const common::Identity& id, const std::vector<std::string>& units) {
    auto r = RosterStore(*store_).enroll(
        common::makeEnrollRequest(id, "Huvudman " + id.id(), units, kNow), false, kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  WorkItem item(const Bytes& envelope, const common::Identity& session,
                const std::string& routingId) {
    InboundFrame in{routingId, session.id(), envelope, clock_.nowMs()};
    return WorkItem{routingId, ingress_->admit(std::move(in))};
  }

  // Applies `envelopes` (all over `session`'s transport) as one batch; returns the decoded
  // replies in order, checking each goes back to the frame it answers.
  std::vector<common::Downlink> applyBatch(const std::vector<Bytes>& envelopes,
                                           const common::Identity& session) {
    std::vector<WorkItem> batch;
    for (size_t i = 0; i < envelopes.size(); ++i) {
      batch.push_back(item(envelopes[i], session, "route-" + std::to_string(i)));
    }
    return decode(committer_->apply(batch));
  }
  std::vector<common::Downlink> applyItems(std::vector<WorkItem> batch) {
    return decode(committer_->apply(batch));
  }
  common::Downlink applyOne(const Bytes& envelope, const common::Identity& session) {
    auto replies = applyBatch({envelope}, session);
    if (replies.size() != 1) {
      ADD_FAILURE() << "expected one reply, got " << replies.size();
      return common::RejectMsg{0, RejectReason::INTERNAL, 0, {}, "no reply"};
    }
    return replies[0];
  }

  std::vector<common::Downlink> decode(const std::vector<Reply>& replies) {
    std::vector<common::Downlink> out;
    for (size_t i = 0; i < replies.size(); ++i) {
      auto d = common::decodeDownlink(replies[i].downlink.data(), replies[i].downlink.size());
      if (!d) {
        ADD_FAILURE() << "reply " << i << " does not decode: " << d.error().message;
        continue;
      }
      out.push_back(*d);
    }
    return out;
  }

  int64_t scalar(const std::string& sql) { return store_->db().execAndGet(sql).getInt64(); }
  int64_t frameCount() { return scalar("SELECT count(*) FROM frames"); }
  int64_t rejections(const std::string& reason) {
    return scalar("SELECT coalesce((SELECT count FROM rejections WHERE reason='" + reason +
                  "'), 0)");
  }
  Bytes storedEnvelope(const std::string& sender, uint64_t seq) {
    SQLite::Statement q(store_->db(), "SELECT envelope FROM frames WHERE sender=? AND seq=?");
    q.bind(1, sender);
    q.bind(2, static_cast<int64_t>(seq));
    if (!q.executeStep()) return {};
    auto* p = static_cast<const uint8_t*>(q.getColumn(0).getBlob());
    return Bytes(p, p + q.getColumn(0).getBytes());
  }
  // (operational, sent_at, pupils_present) of a unit in `mode`, or ("", 0, 0) when absent.
  std::tuple<std::string, int64_t, int64_t> unitRow(const std::string& mode,
                                                    const std::string& code) {
    SQLite::Statement q(store_->db(),
                        "SELECT operational, sent_at, pupils_present FROM unit_status "
                        "WHERE mode=? AND code=?");
    q.bind(1, mode);
    q.bind(2, code);
    if (!q.executeStep()) return {"", 0, 0};
    return {q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64()};
  }
  // (form, year, seats_now) rows of a unit's capacity in `mode`.
  std::vector<std::tuple<std::string, int, int>> capacityRows(const std::string& mode,
                                                              const std::string& code) {
    std::vector<std::tuple<std::string, int, int>> out;
    SQLite::Statement q(store_->db(),
                        "SELECT form, year, seats_now FROM capacity WHERE mode=? AND code=? "
                        "ORDER BY form, year");
    q.bind(1, mode);
    q.bind(2, code);
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt(),
                       q.getColumn(2).getInt());
    }
    return out;
  }

  TempDir dir_;
  common::FakeClock clock_{kNow};
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  std::unique_ptr<common::Identity> beta_ = common::Identity::generate("556677-0002");
  std::unique_ptr<RosterCache> roster_;
  std::unique_ptr<Ingress> ingress_;
  std::unique_ptr<Committer> committer_;
  Chain alphaChain_{*alpha_};
  Chain betaChain_{*beta_};
};

TEST_F(CommitterTest, StoresConsecutiveFramesAndAcksEachAfterCommit) {
  std::vector<common::SealedFrame> frames;
  for (int i = 0; i < 5; ++i) {
    frames.push_back(
        alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL, i), kNow + i));
  }
  std::vector<Bytes> envelopes;
  for (const auto& f : frames) envelopes.push_back(f.envelope);
  std::vector<WorkItem> batch;
  for (size_t i = 0; i < envelopes.size(); ++i) {
    batch.push_back(item(envelopes[i], *alpha_, "route-" + std::to_string(i)));
  }
  std::vector<Reply> replies = committer_->apply(batch);
  ASSERT_EQ(replies.size(), 5u);
  for (size_t i = 0; i < replies.size(); ++i) {
    EXPECT_EQ(replies[i].routingId, "route-" + std::to_string(i));
  }

  // Every acknowledged frame is visible to another connection: it was committed before the ack.
  SQLite::Database reader(dbPath(), SQLite::OPEN_READONLY);
  EXPECT_EQ(reader.execAndGet("SELECT count(*) FROM frames").getInt64(), 5);
  auto downlinks = decode(replies);
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    expectAck(downlinks[seq - 1], seq, false);
    EXPECT_EQ(storedEnvelope(alpha_->id(), seq), frames[seq - 1].envelope) << seq;
  }
  EXPECT_EQ(metrics_.framesAccepted.load(), 5u);
  EXPECT_EQ(metrics_.batches.load(), 1u);
}

TEST_F(CommitterTest, ContinuesChainAcrossBatches) {
  expectAck(
      applyOne(alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow).envelope,
               *alpha_),
      1, false);
  expectAck(
      applyOne(alphaChain_.next(status(kUnitB, common::OperationalState::NORMAL), kNow).envelope,
               *alpha_),
      2, false);
  expectAck(
      applyOne(betaChain_.next(status("20000001", common::OperationalState::NORMAL), kNow).envelope,
               *beta_),
      1, false);
  EXPECT_EQ(frameCount(), 3);
}

TEST_F(CommitterTest, ReacknowledgesDuplicateWithoutStoringTwice) {
  auto f1 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow);
  auto f2 = alphaChain_.next(status(kUnitA, common::OperationalState::REDUCED), kNow + 1);
  auto replies = applyBatch({f1.envelope, f2.envelope}, *alpha_);
  ASSERT_EQ(replies.size(), 2u);

  expectAck(applyOne(f1.envelope, *alpha_), 1, true);
  expectAck(applyOne(f2.envelope, *alpha_), 2, true);
  EXPECT_EQ(frameCount(), 2);
  EXPECT_EQ(metrics_.duplicates.load(), 2u);
}

TEST_F(CommitterTest, ReacknowledgesDuplicateWithinOneBatch) {
  auto f1 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow);
  auto replies = applyBatch({f1.envelope, f1.envelope}, *alpha_);
  ASSERT_EQ(replies.size(), 2u);
  expectAck(replies[0], 1, false);
  expectAck(replies[1], 1, true);
  EXPECT_EQ(frameCount(), 1);
}

TEST_F(CommitterTest, RefusesSameSeqWithDifferentBodyAsReplayWithHead) {
  auto f1 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow);
  Chain forkPoint = alphaChain_;
  auto f2 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow + 1);
  ASSERT_EQ(applyBatch({f1.envelope, f2.envelope}, *alpha_).size(), 2u);

  auto forged = forkPoint.next(status(kUnitA, common::OperationalState::CLOSED), kNow + 2);
  common::RejectMsg r = rejectOf(applyOne(forged.envelope, *alpha_));
  EXPECT_EQ(r.reason, RejectReason::REPLAY);
  EXPECT_EQ(r.seq, 2u);
  EXPECT_EQ(r.headSeq, 2u);
  EXPECT_EQ(r.headHash, f2.bodyHash);
  EXPECT_EQ(frameCount(), 2);
  EXPECT_EQ(storedEnvelope(alpha_->id(), 2), f2.envelope);
  EXPECT_EQ(std::get<0>(unitRow("actual", kUnitA)), "normal");
}

TEST_F(CommitterTest, RefusesGapAsOutOfOrderWithHead) {
  auto f1 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow);
  expectAck(applyOne(f1.envelope, *alpha_), 1, false);

  alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow + 1);  // never sent
  auto f3 = alphaChain_.next(status(kUnitA, common::OperationalState::CLOSED), kNow + 2);
  common::RejectMsg r = rejectOf(applyOne(f3.envelope, *alpha_));
  EXPECT_EQ(r.reason, RejectReason::OUT_OF_ORDER);
  EXPECT_EQ(r.seq, 3u);
  EXPECT_EQ(r.headSeq, 1u);
  EXPECT_EQ(r.headHash, f1.bodyHash);
  EXPECT_EQ(frameCount(), 1);
}

TEST_F(CommitterTest, RefusesChainNotStartingAtOneAsOutOfOrder) {
  common::Message m = alphaChain_.draft(status(kUnitA, common::OperationalState::NORMAL), kNow);
  m.seq = 2;
  m.prevHash = Bytes(32, 0x5a);
  common::RejectMsg r = rejectOf(applyOne(common::seal(*alpha_, m).envelope, *alpha_));
  EXPECT_EQ(r.reason, RejectReason::OUT_OF_ORDER);
  EXPECT_EQ(r.headSeq, 0u);
  EXPECT_TRUE(r.headHash.empty());
  EXPECT_EQ(frameCount(), 0);
}

TEST_F(CommitterTest, RefusesPrevHashMismatchAsOutOfOrder) {
  auto f1 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow);
  expectAck(applyOne(f1.envelope, *alpha_), 1, false);
  common::Message m = alphaChain_.draft(status(kUnitA, common::OperationalState::CLOSED), kNow);
  m.prevHash = Bytes(32, 0x5a);
  common::RejectMsg r = rejectOf(applyOne(common::seal(*alpha_, m).envelope, *alpha_));
  EXPECT_EQ(r.reason, RejectReason::OUT_OF_ORDER);
  EXPECT_EQ(r.seq, 2u);
  EXPECT_EQ(r.headSeq, 1u);
  EXPECT_EQ(r.headHash, f1.bodyHash);
  EXPECT_NE(r.detail.find("prevHash"), std::string::npos) << r.detail;
  EXPECT_EQ(frameCount(), 1);
}

TEST_F(CommitterTest, AnswersHeartbeatWithChainHeadAndServerTime) {
  auto empty = applyOne(alphaChain_.heartbeat(kNow).envelope, *alpha_);
  auto* h0 = std::get_if<common::HeadMsg>(&empty);
  ASSERT_NE(h0, nullptr);
  EXPECT_EQ(h0->headSeq, 0u);
  EXPECT_TRUE(h0->headHash.empty());

  auto f1 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow);
  auto f2 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow + 1);
  ASSERT_EQ(applyBatch({f1.envelope, f2.envelope}, *alpha_).size(), 2u);

  clock_.setMs(kNow + 777);
  auto reply = applyOne(alphaChain_.heartbeat(kNow + 10).envelope, *alpha_);
  auto* h = std::get_if<common::HeadMsg>(&reply);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->headSeq, 2u);
  EXPECT_EQ(h->headHash, f2.bodyHash);
  EXPECT_EQ(h->serverTime, kNow + 777);
  EXPECT_EQ(frameCount(), 2);  // heartbeats are outside the archive
  EXPECT_EQ(scalar("SELECT last_heartbeat_sent_at FROM keys"), kNow + 10);
}

TEST_F(CommitterTest, RefusesReplayedHeartbeatAsReplay) {
  auto hb = alphaChain_.heartbeat(kNow + 100);
  ASSERT_TRUE(std::holds_alternative<common::HeadMsg>(applyOne(hb.envelope, *alpha_)));

  common::RejectMsg same = rejectOf(applyOne(hb.envelope, *alpha_));
  EXPECT_EQ(same.reason, RejectReason::REPLAY);
  EXPECT_EQ(same.seq, 0u);
  common::RejectMsg older = rejectOf(applyOne(alphaChain_.heartbeat(kNow + 99).envelope, *alpha_));
  EXPECT_EQ(older.reason, RejectReason::REPLAY);

  EXPECT_TRUE(std::holds_alternative<common::HeadMsg>(
      applyOne(alphaChain_.heartbeat(kNow + 101).envelope, *alpha_)));
  EXPECT_EQ(rejections("replay"), 2);
}

TEST_F(CommitterTest, RefusesHeartbeatReplayedAfterRestart) {
  auto hb = alphaChain_.heartbeat(kNow + 100);
  ASSERT_TRUE(std::holds_alternative<common::HeadMsg>(applyOne(hb.envelope, *alpha_)));
  committer_.reset();
  store_ = openStore();
  committer_ = std::make_unique<Committer>(*store_, clock_, metrics_);
  EXPECT_EQ(rejectOf(applyOne(hb.envelope, *alpha_)).reason, RejectReason::REPLAY);
}

TEST_F(CommitterTest, HeartbeatWithCounterIsJudgedByItsCounterNotItsClock) {
  constexpr int64_t kThreeDays = 3 * 86'400'000;
  ASSERT_TRUE(std::holds_alternative<common::HeadMsg>(
      applyOne(alphaChain_.heartbeat(kNow + kThreeDays, 10).envelope, *alpha_)));
  EXPECT_TRUE(std::holds_alternative<common::HeadMsg>(
      applyOne(alphaChain_.heartbeat(kNow, 11).envelope, *alpha_)))
      << "a heartbeat after one stamped days ahead is fresh by its counter";
  EXPECT_EQ(rejectOf(applyOne(alphaChain_.heartbeat(kNow + 5, 11).envelope, *alpha_)).reason,
            RejectReason::REPLAY);
  EXPECT_EQ(
      rejectOf(applyOne(alphaChain_.heartbeat(kNow + kThreeDays * 2, 9).envelope, *alpha_)).reason,
      RejectReason::REPLAY);
  // The counter survives a restart of the broker.
  committer_.reset();
  store_ = openStore();
  committer_ = std::make_unique<Committer>(*store_, clock_, metrics_);
  EXPECT_EQ(rejectOf(applyOne(alphaChain_.heartbeat(kNow + 6, 11).envelope, *alpha_)).reason,
            RejectReason::REPLAY);
  EXPECT_TRUE(std::holds_alternative<common::HeadMsg>(
      applyOne(alphaChain_.heartbeat(kNow + 7, 12).envelope, *alpha_)));
  EXPECT_EQ(
      scalar("SELECT last_heartbeat_counter FROM keys WHERE provider_id='" + alpha_->id() + "'"),
      12);
}

TEST_F(CommitterTest, MeasuresEachProvidersClockOffsetFromItsNewestHeartbeat) {
  EXPECT_EQ(scalar("SELECT count(*) FROM providers WHERE clock_offset_ms IS NOT NULL"), 0);
  applyOne(alphaChain_.heartbeat(kNow + 300'000, 1).envelope, *alpha_);
  EXPECT_EQ(scalar("SELECT clock_offset_ms FROM providers WHERE id='" + alpha_->id() + "'"),
            300'000);
  clock_.advanceMs(1000);
  applyOne(alphaChain_.heartbeat(kNow - 4000, 2).envelope, *alpha_);
  EXPECT_EQ(scalar("SELECT clock_offset_ms FROM providers WHERE id='" + alpha_->id() + "'"), -5000)
      << "positive when the provider's clock is ahead, from the newest heartbeat";
  EXPECT_EQ(scalar("SELECT clock_offset_at FROM providers WHERE id='" + alpha_->id() + "'"),
            kNow + 1000);
}

TEST_F(CommitterTest, LogsRefusalsByReasonAndProviderWithoutDetails) {
  std::vector<std::string> lines;
  committer_ = std::make_unique<Committer>(
      *store_, clock_, metrics_, CommitterCity{},
      [&](const std::string& l, const common::LogFields&) { lines.push_back(l); });
  auto hb = alphaChain_.heartbeat(kNow + 100, 1);
  applyOne(hb.envelope, *alpha_);
  for (int i = 0; i < 5; ++i) applyOne(hb.envelope, *alpha_);
  ASSERT_EQ(lines.size(), 1u) << "one line at once, the rest counted";
  EXPECT_NE(lines[0].find("replay"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(alpha_->id()), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find("counter"), std::string::npos) << "no detail text: " << lines[0];
  clock_.advanceMs(10'000);
  applyOne(hb.envelope, *alpha_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find("refused 5 frames more"), std::string::npos) << lines[1];
}

TEST_F(CommitterTest, HeartbeatsOfDifferentKeysAreIndependent) {
  ASSERT_TRUE(std::holds_alternative<common::HeadMsg>(
      applyOne(alphaChain_.heartbeat(kNow + 100).envelope, *alpha_)));
  EXPECT_TRUE(std::holds_alternative<common::HeadMsg>(
      applyOne(betaChain_.heartbeat(kNow + 50).envelope, *beta_)));
}

TEST_F(CommitterTest, CountsRefusalsPersistentlyByReason) {
  auto good = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow);
  auto parts = common::decodeEnvelope(good.envelope);
  ASSERT_TRUE(parts.ok());
  parts->signature[0] ^= 0xff;
  Bytes badSignature = common::encodeEnvelope(parts->body, parts->signature);
  Bytes notOwned = betaChain_.next(status(kUnitA, common::OperationalState::CLOSED), kNow).envelope;

  std::vector<WorkItem> batch;
  batch.push_back(item(Bytes(64, 0xee), *alpha_, "r0"));
  batch.push_back(item(badSignature, *alpha_, "r1"));
  batch.push_back(item(badSignature, *alpha_, "r2"));
  batch.push_back(item(notOwned, *beta_, "r3"));
  batch.push_back(item(good.envelope, *alpha_, "r4"));
  // A handshake refused by ZAP: counted, nobody to answer.
  batch.push_back(
      WorkItem{"", Refusal{RejectReason::UNKNOWN_SENDER, "handshake refused", "", "", 0}});
  auto replies = applyItems(std::move(batch));
  ASSERT_EQ(replies.size(), 5u);
  EXPECT_EQ(rejectOf(replies[0]).reason, RejectReason::MALFORMED);
  EXPECT_EQ(rejectOf(replies[1]).reason, RejectReason::BAD_SIGNATURE);
  EXPECT_EQ(rejectOf(replies[3]).reason, RejectReason::UNIT_NOT_OWNED);
  expectAck(replies[4], 1, false);

  expectAck(applyOne(good.envelope, *alpha_), 1, true);  // duplicates are not refusals
  EXPECT_EQ(rejectOf(applyOne(badSignature, *alpha_)).reason, RejectReason::BAD_SIGNATURE);

  // The counters survive a restart: they are in the database, not only in memory.
  committer_.reset();
  store_ = openStore();
  std::map<std::string, int64_t> counts;
  auto stored = store_->rejectionCounts();
  ASSERT_TRUE(stored.ok());
  for (const auto& [reason, n] : *stored) counts[reason] = n;
  EXPECT_EQ(
      counts,
      (std::map<std::string, int64_t>{
          {"bad_signature", 3}, {"malformed", 1}, {"unit_not_owned", 1}, {"unknown_sender", 1}}));
  EXPECT_EQ(metrics_.rejected[static_cast<size_t>(RejectReason::BAD_SIGNATURE)].load(), 3u);
}

TEST_F(CommitterTest, UnitStatusFollowsTheSendersSequenceNotItsClock) {
  constexpr int64_t kThreeDays = 3 * 86'400'000;
  expectAck(
      applyOne(
          alphaChain_.next(status(kUnitA, common::OperationalState::CLOSED, 0), kNow + kThreeDays)
              .envelope,
          *alpha_),
      1, false);
  // Stamped three days earlier than the first by a clock put right since: the later seq wins,
  // or one wrong clock reading would freeze the unit's picture for three days.
  expectAck(
      applyOne(
          alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL, 300), kNow).envelope,
          *alpha_),
      2, false);
  EXPECT_EQ(unitRow("actual", kUnitA), std::make_tuple(std::string("normal"), kNow, int64_t{300}));
  EXPECT_EQ(frameCount(), 2);

  expectAck(
      applyOne(alphaChain_.next(status(kUnitA, common::OperationalState::REMOTE, 5), kNow + 1000)
                   .envelope,
               *alpha_),
      3, false);
  EXPECT_EQ(unitRow("actual", kUnitA),
            std::make_tuple(std::string("remote"), kNow + 1000, int64_t{5}));
}

TEST_F(CommitterTest, ManyStatusesOfAUnitInOneBatchLeaveTheNewestAndEveryFrame) {
  // Issue 16: a backlog brings many statuses of one unit in one commit; only the newest is
  // written to the picture, whatever the clocks say, and every frame is still archived.
  expectAck(
      applyOne(alphaChain_.next(status(kUnitA, common::OperationalState::CLOSED, 1), kNow).envelope,
               *alpha_),
      1, false);
  std::vector<Bytes> backlog;
  backlog.push_back(
      alphaChain_.next(status(kUnitA, common::OperationalState::REDUCED, 2), kNow + 5000).envelope);
  backlog.push_back(
      alphaChain_.next(status(kUnitB, common::OperationalState::CLOSED, 3), kNow + 10).envelope);
  backlog.push_back(alphaChain_
                        .next(status(kUnitA, common::OperationalState::CLOSED, 4), kNow + 20,
                              common::Mode::EXERCISE)
                        .envelope);
  // Stamped before the others: the sequence decides, not the clock.
  backlog.push_back(
      alphaChain_.next(status(kUnitA, common::OperationalState::REMOTE, 5), kNow + 1).envelope);
  backlog.push_back(
      alphaChain_.next(status(kUnitB, common::OperationalState::NORMAL, 6), kNow + 30).envelope);
  auto replies = applyBatch(backlog, *alpha_);
  ASSERT_EQ(replies.size(), 5u);
  EXPECT_EQ(frameCount(), 6);
  EXPECT_EQ(unitRow("actual", kUnitA),
            std::make_tuple(std::string("remote"), kNow + 1, int64_t{5}));
  EXPECT_EQ(unitRow("actual", kUnitB),
            std::make_tuple(std::string("normal"), kNow + 30, int64_t{6}));
  EXPECT_EQ(unitRow("exercise", kUnitA),
            std::make_tuple(std::string("closed"), kNow + 20, int64_t{4}));
  // The picture row points at the newest frame of the unit.
  EXPECT_EQ(scalar("SELECT frame_id FROM unit_status WHERE mode='actual' AND code='" +
                   std::string(kUnitA) + "'"),
            scalar("SELECT id FROM frames WHERE seq=5"));
}

TEST_F(CommitterTest, ExerciseTrafficLeavesActualPictureAlone) {
  applyOne(alphaChain_.next(status(kUnitA, common::OperationalState::REDUCED, 80), kNow).envelope,
           *alpha_);
  applyOne(alphaChain_.next(capacity(kUnitA, {{common::SchoolForm::GRUNDSKOLA, 3, 25, 2, 4}}), kNow)
               .envelope,
           *alpha_);
  applyOne(
      alphaChain_.next(common::ContinuityMsg{common::ContinuityState::OK, 0, ""}, kNow).envelope,
      *alpha_);

  auto replies = applyBatch(
      {alphaChain_
           .next(status(kUnitA, common::OperationalState::CLOSED, 0), kNow + 10,
                 common::Mode::EXERCISE)
           .envelope,
       alphaChain_
           .next(capacity(kUnitA, {{common::SchoolForm::FORSKOLA, 0, 10, 0, 0}}), kNow + 10,
                 common::Mode::EXERCISE)
           .envelope,
       alphaChain_
           .next(common::ContinuityMsg{common::ContinuityState::CANNOT_CONTINUE, 0, "övning"},
                 kNow + 10, common::Mode::EXERCISE)
           .envelope,
       alphaChain_
           .next(status(kUnitB, common::OperationalState::CLOSED, 0), kNow + 10, common::Mode::TEST)
           .envelope},
      *alpha_);
  ASSERT_EQ(replies.size(), 4u);
  for (uint64_t i = 0; i < 4; ++i) expectAck(replies[i], 4 + i, false);

  EXPECT_EQ(unitRow("actual", kUnitA), std::make_tuple(std::string("reduced"), kNow, int64_t{80}));
  EXPECT_EQ(unitRow("actual", kUnitB), std::make_tuple(std::string(""), int64_t{0}, int64_t{0}));
  EXPECT_EQ(capacityRows("actual", kUnitA),
            (std::vector<std::tuple<std::string, int, int>>{{"grundskola", 3, 2}}));
  EXPECT_EQ(scalar("SELECT count(*) FROM continuity WHERE mode='actual' AND state='ok'"), 1);

  EXPECT_EQ(std::get<0>(unitRow("exercise", kUnitA)), "closed");
  EXPECT_EQ(std::get<0>(unitRow("test", kUnitB)), "closed");
  EXPECT_EQ(capacityRows("exercise", kUnitA),
            (std::vector<std::tuple<std::string, int, int>>{{"forskola", 0, 0}}));
  EXPECT_EQ(scalar("SELECT count(*) FROM continuity WHERE mode='exercise' AND "
                   "state='cannot_continue'"),
            1);
}

TEST_F(CommitterTest, CapacityReportReplacesEntriesInSequenceWhateverItsSentAt) {
  applyOne(alphaChain_
               .next(capacity(kUnitA, {{common::SchoolForm::GRUNDSKOLA, 3, 25, 2, 4},
                                       {common::SchoolForm::GRUNDSKOLA, 4, 27, 1, 3}}),
                     kNow)
               .envelope,
           *alpha_);
  EXPECT_EQ(capacityRows("actual", kUnitA), (std::vector<std::tuple<std::string, int, int>>{
                                                {"grundskola", 3, 2}, {"grundskola", 4, 1}}));

  applyOne(
      alphaChain_.next(capacity(kUnitA, {{common::SchoolForm::FORSKOLA, 0, 40, 6, 9}}), kNow + 1000)
          .envelope,
      *alpha_);
  EXPECT_EQ(capacityRows("actual", kUnitA),
            (std::vector<std::tuple<std::string, int, int>>{{"forskola", 0, 6}}));

  auto late = applyOne(
      alphaChain_
          .next(capacity(kUnitA, {{common::SchoolForm::GRUNDSKOLA, 9, 30, 3, 3}}), kNow + 500)
          .envelope,
      *alpha_);
  expectAck(late, 3, false);
  EXPECT_EQ(capacityRows("actual", kUnitA),
            (std::vector<std::tuple<std::string, int, int>>{{"grundskola", 9, 3}}))
      << "the later seq wins although stamped earlier";

  applyOne(alphaChain_.next(capacity(kUnitA, {}), kNow + 2000).envelope, *alpha_);
  EXPECT_TRUE(capacityRows("actual", kUnitA).empty());
}

TEST_F(CommitterTest, ContinuityIsKeptPerProviderAndFollowsTheSequence) {
  applyOne(alphaChain_
               .next(common::ContinuityMsg{common::ContinuityState::AT_RISK, kNow + 86'400'000,
                                           "personalbrist"},
                     kNow + 100)
               .envelope,
           *alpha_);
  applyOne(
      betaChain_.next(common::ContinuityMsg{common::ContinuityState::OK, 0, ""}, kNow).envelope,
      *beta_);
  applyOne(alphaChain_.next(common::ContinuityMsg{common::ContinuityState::OK, 0, "löst"}, kNow)
               .envelope,
           *alpha_);
  SQLite::Statement q(store_->db(),
                      "SELECT provider_id, state, note, sent_at FROM continuity "
                      "WHERE mode='actual' ORDER BY provider_id");
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getString(), alpha_->id());
  EXPECT_EQ(q.getColumn(1).getString(), "ok");
  EXPECT_EQ(q.getColumn(2).getString(), "löst");
  EXPECT_EQ(q.getColumn(3).getInt64(), kNow);
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getString(), beta_->id());
  EXPECT_FALSE(q.executeStep());
}

TEST_F(CommitterTest, FailedCommitAcknowledgesNothingAndForgetsUncommittedState) {
  auto f1 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow);
  expectAck(applyOne(f1.envelope, *alpha_), 1, false);
  const int64_t rejectedBefore = rejections("malformed");

  // The disk "fails" halfway through the next batch: the second frame's view write aborts after
  // the first frame of the batch was already written inside the transaction.
  store_->db().exec(
      "CREATE TRIGGER fail_status BEFORE INSERT ON unit_status "
      "BEGIN SELECT RAISE(ABORT, 'simulated I/O failure'); END");
  auto f2 =
      alphaChain_.next(capacity(kUnitA, {{common::SchoolForm::GRUNDSKOLA, 3, 25, 2, 4}}), kNow + 1);
  auto f3 = alphaChain_.next(status(kUnitB, common::OperationalState::CLOSED), kNow + 2);
  auto hb = alphaChain_.heartbeat(kNow + 3);
  std::vector<Bytes> batch{f2.envelope, f3.envelope, hb.envelope, Bytes(64, 0xee)};
  EXPECT_TRUE(applyBatch(batch, *alpha_).empty());
  EXPECT_EQ(metrics_.commitFailures.load(), 1u);
  EXPECT_EQ(frameCount(), 1);
  EXPECT_TRUE(capacityRows("actual", kUnitA).empty());
  EXPECT_EQ(rejections("malformed"), rejectedBefore);
  EXPECT_EQ(
      scalar("SELECT last_heartbeat_sent_at FROM keys WHERE provider_id='" + alpha_->id() + "'"),
      0);

  // Once the disk is back, the agent's resend of the same frames is stored and acknowledged: the
  // in-memory head and heartbeat time of the failed batch were forgotten.
  store_->db().exec("DROP TRIGGER fail_status");
  auto replies = applyBatch(batch, *alpha_);
  ASSERT_EQ(replies.size(), 4u);
  expectAck(replies[0], 2, false);
  expectAck(replies[1], 3, false);
  auto* head = std::get_if<common::HeadMsg>(&replies[2]);
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->headSeq, 3u);
  EXPECT_EQ(head->headHash, f3.bodyHash);
  EXPECT_EQ(rejectOf(replies[3]).reason, RejectReason::MALFORMED);
  EXPECT_EQ(frameCount(), 3);
}

TEST_F(CommitterTest, FailedCommitOnDroppedTableAcknowledgesNothing) {
  auto f1 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow);
  {
    // Another connection breaks the schema under the running committer.
    SQLite::Database other(dbPath(), SQLite::OPEN_READWRITE);
    other.exec("DROP TABLE unit_status");
  }
  EXPECT_TRUE(applyBatch({f1.envelope}, *alpha_).empty());
  EXPECT_EQ(frameCount(), 0);
  EXPECT_EQ(metrics_.commitFailures.load(), 1u);
}

TEST_F(CommitterTest, ChainContinuesAcrossRestart) {
  auto f1 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow);
  auto f2 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow + 1);
  ASSERT_EQ(applyBatch({f1.envelope, f2.envelope}, *alpha_).size(), 2u);

  committer_.reset();
  store_ = openStore();
  committer_ = std::make_unique<Committer>(*store_, clock_, metrics_);
  auto f3 = alphaChain_.next(status(kUnitA, common::OperationalState::REDUCED), kNow + 2);
  auto replies = applyBatch({f2.envelope, f3.envelope}, *alpha_);
  ASSERT_EQ(replies.size(), 2u);
  expectAck(replies[0], 2, true);
  expectAck(replies[1], 3, false);
  EXPECT_EQ(frameCount(), 3);
}

TEST_F(CommitterTest, RecordsLastSeenOnlyForAcceptedFrames) {
  EXPECT_EQ(scalar("SELECT count(*) FROM providers WHERE last_seen IS NOT NULL"), 0);
  clock_.setMs(kNow + 5000);
  Bytes notOwned =
      common::seal(*alpha_,
                   alphaChain_.draft(status("20000001", common::OperationalState::NORMAL), kNow))
          .envelope;
  EXPECT_EQ(rejectOf(applyOne(notOwned, *alpha_)).reason, RejectReason::UNIT_NOT_OWNED);
  EXPECT_EQ(scalar("SELECT count(*) FROM providers WHERE last_seen IS NOT NULL"), 0);

  applyOne(betaChain_.heartbeat(kNow).envelope, *beta_);
  EXPECT_EQ(scalar("SELECT last_seen FROM providers WHERE id='" + beta_->id() + "'"), kNow + 5000);
  clock_.setMs(kNow + 6000);
  applyOne(alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow).envelope,
           *alpha_);
  EXPECT_EQ(scalar("SELECT last_seen FROM providers WHERE id='" + alpha_->id() + "'"), kNow + 6000);
}

TEST_F(CommitterTest, KeyRotationEnrollsNewKeyForSameProvider) {
  auto next = common::Identity::generate(alpha_->id());
  expectAck(applyOne(alphaChain_.next(common::keyRotationTo(*next), kNow).envelope, *alpha_), 1,
            false);

  auto keys = RosterStore(*store_).loadKeys().value();
  ASSERT_EQ(keys.size(), 3u);
  bool found = false;
  for (const auto& k : keys) {
    if (k.keyId != common::toHex(next->keyId())) continue;
    found = true;
    EXPECT_EQ(k.providerId, alpha_->id());
    EXPECT_EQ(k.signPublic, next->signPublic());
    EXPECT_EQ(k.curvePublic, next->curvePublic());
    EXPECT_FALSE(k.revokedAt.has_value());
  }
  EXPECT_TRUE(found);
}

// A city message queued while the agent is connected goes out at once (not behind its next
// heartbeat), to the connection the agent last used; one for a provider never seen waits for
// that provider's first heartbeat.
TEST_F(CommitterTest, PushesNewCityMessagesToConnectedProvidersOnly) {
  EXPECT_TRUE(committer_->pushNewOutbound().empty());  // nothing queued yet
  std::vector<WorkItem> batch;
  batch.push_back(item(alphaChain_.heartbeat(kNow).envelope, *alpha_, "alpha-connection"));
  ASSERT_FALSE(committer_->apply(batch).empty());

  auto city = common::Identity::generate("city");
  auto& db = store_->db();
  db.exec("BEGIN IMMEDIATE");
  CityChain chain(*store_, *city);
  auto issued = chain.issue(common::ReadinessCheckMsg{"rc-1", kNow, kNow + 60000, false, {}},
                            common::Mode::ACTUAL, kNow, {alpha_->id(), beta_->id()},
                            "readiness_check", "rc-1");
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  db.exec("COMMIT");

  clock_.setMs(kNow + 500);
  auto pushed = committer_->pushNewOutbound();
  ASSERT_EQ(pushed.size(), 1u);
  EXPECT_EQ(pushed[0].routingId, "alpha-connection");
  auto d = common::decodeDownlink(pushed[0].downlink.data(), pushed[0].downlink.size());
  ASSERT_TRUE(d.ok());
  EXPECT_NE(std::get_if<common::CityEnvelopeMsg>(&*d), nullptr);
  // Not marked as sent: if alpha had just stopped, its next heartbeat still brings it at once.
  EXPECT_TRUE(
      db.execAndGet("SELECT last_sent_at FROM outbound WHERE provider_id='556677-0001'").isNull());
  EXPECT_TRUE(
      db.execAndGet("SELECT last_sent_at FROM outbound WHERE provider_id='556677-0002'").isNull());
  EXPECT_TRUE(committer_->pushNewOutbound().empty());  // each row is pushed once
}

TEST_F(CommitterTest, SendsOneCumulativeAckPerConnectionPerBatch) {
  // Two agents' frames interleaved in one batch, as two verify threads hand them on.
  std::vector<WorkItem> batch;
  for (int i = 0; i < 4; ++i) {
    batch.push_back(item(
        alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL, i), kNow + i).envelope,
        *alpha_, "alpha-connection"));
    batch.push_back(item(
        betaChain_.next(status("20000001", common::OperationalState::NORMAL, i), kNow + i).envelope,
        *beta_, "beta-connection"));
  }
  std::vector<Reply> replies = committer_->apply(batch);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].routingId, "alpha-connection");
  EXPECT_EQ(replies[1].routingId, "beta-connection");
  auto downlinks = decode(replies);
  expectAck(downlinks[0], 4, false);  // covers seq 1-4: every one of them is stored
  expectAck(downlinks[1], 4, false);
  EXPECT_EQ(frameCount(), 8);
  EXPECT_EQ(metrics_.framesAccepted.load(), 8u);
}

TEST_F(CommitterTest, CumulativeAckNeverJumpsOverAnotherReplyToTheSameConnection) {
  auto f1 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow);
  Chain forkPoint = alphaChain_;
  auto f2 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow + 1);
  auto forged = forkPoint.next(status(kUnitA, common::OperationalState::CLOSED), kNow + 2);
  auto f3 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow + 3);
  auto f4 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow + 4);
  std::vector<WorkItem> batch;
  for (const Bytes* e :
       {&f1.envelope, &f2.envelope, &forged.envelope, &f3.envelope, &f4.envelope}) {
    batch.push_back(item(*e, *alpha_, "alpha-connection"));
  }
  auto replies = applyItems(std::move(batch));
  // ack 2 (for 1-2), the refusal of the forged seq 2, then ack 4 (for 3-4): in that order.
  ASSERT_EQ(replies.size(), 3u);
  expectAck(replies[0], 2, false);
  EXPECT_EQ(rejectOf(replies[1]).reason, RejectReason::REPLAY);
  expectAck(replies[2], 4, false);
  EXPECT_EQ(frameCount(), 4);
}

TEST_F(CommitterTest, MergedAckCarriesTheDuplicateFlagOfItsHighestFrame) {
  auto f1 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow);
  auto f2 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow + 1);
  ASSERT_EQ(applyBatch({f1.envelope, f2.envelope}, *alpha_).size(), 2u);
  // A resend after a lost ack: 1 and 2 again (duplicates), then the new 3.
  auto f3 = alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow + 2);
  std::vector<WorkItem> batch;
  batch.push_back(item(f1.envelope, *alpha_, "alpha-connection"));
  batch.push_back(item(f2.envelope, *alpha_, "alpha-connection"));
  auto onlyDuplicates = applyItems(batch);
  ASSERT_EQ(onlyDuplicates.size(), 1u);
  expectAck(onlyDuplicates[0], 2, true);
  batch.clear();
  batch.push_back(item(f2.envelope, *alpha_, "alpha-connection"));
  batch.push_back(item(f3.envelope, *alpha_, "alpha-connection"));
  auto mixed = applyItems(batch);
  ASSERT_EQ(mixed.size(), 1u);
  expectAck(mixed[0], 3, false);
  EXPECT_EQ(frameCount(), 3);
  EXPECT_EQ(metrics_.duplicates.load(), 3u);
}

TEST_F(CommitterTest, AcksUnderTwoKeysOnOneConnectionStayApart) {
  // During a key rotation one connection carries the old key's chain and the new key's.
  auto next = common::Identity::generate(alpha_->id());
  expectAck(applyOne(alphaChain_.next(common::keyRotationTo(*next), kNow).envelope, *alpha_), 1,
            false);
  roster_->refreshIfOlder(0);
  Chain nextChain(*next);
  std::vector<WorkItem> batch;
  for (int i = 0; i < 2; ++i) {
    batch.push_back(item(
        alphaChain_.next(status(kUnitA, common::OperationalState::NORMAL), kNow + 1 + i).envelope,
        *alpha_, "alpha-connection"));
  }
  for (int i = 0; i < 2; ++i) {
    batch.push_back(item(
        nextChain.next(status(kUnitA, common::OperationalState::NORMAL), kNow + 3 + i).envelope,
        *alpha_, "alpha-connection"));
  }
  auto replies = applyItems(std::move(batch));
  ASSERT_EQ(replies.size(), 2u);
  expectAck(replies[0], 3, false);  // old key: seq 2-3
  expectAck(replies[1], 2, false);  // new key: seq 1-2, not swallowed by the old key's 3
  EXPECT_EQ(frameCount(), 5);
}

}  // namespace
}  // namespace samband::broker
