// AgentSession against a fake broker on 127.0.0.1 over real CURVE sockets: delivery in seq
// order, resend after lost acks, realign, dead letters, handshake failures, reconnects and city
// messages. No sleeps: every wait drives the session until a condition holds or a deadline passes.
#include "agent/session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "agent/agent_status.h"
#include "agent/database.h"
#include "agent/link_state.h"
#include "agent/selftest.h"
#include "common/clock.h"
#include "common/codec.h"
#include "tests/agent/fake_broker.h"
#include "tests/agent/test_support.h"
#include "tests/support/process.h"
#include "tests/support/test_time.h"

namespace samband::agent {
namespace {

using common::Bytes;
using test::FakeBroker;

using samband::test_time::kDeadlineMs;

common::UnitStatusMsg sessionStatus(const std::string& unit, int present) {
  common::UnitStatusMsg s;
  s.unitCode = unit;
  s.operational = common::OperationalState::REDUCED;
  s.pupilsPresent = present;
  return s;
}

OutboxDraft draft(const std::string& unit, int present, int64_t sentAt) {
  return OutboxDraft{common::Mode::ACTUAL, sentAt, sessionStatus(unit, present)};
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent = test::makeAgent(dir.path(), "tcp://127.0.0.1:1");
    broker = std::make_unique<FakeBroker>(*agent.city);
    broker->allow(agent.agentKeys);
    agent.config.endpoint = broker->endpoint();
  }

  std::unique_ptr<AgentSession> open(uint64_t seed = 7) {
    SessionOptions options;
    options.seed = seed;
    options.outboxPollMs = 20;
    auto s = AgentSession::open(context, agent.config, clock, options);
    if (!s.ok()) {
      std::fprintf(stderr, "AgentSession::open: %s\n", s.error().message.c_str());
      std::abort();
    }
    return std::move(s).value();
  }

  // Queues through a separate connection, as `samband-agent report` (another process) does.
  std::vector<QueuedMessage> report(const std::vector<OutboxDraft>& drafts) {
    auto identity = common::Identity::load(agent.config.identityPath);
    auto db = openAgentDatabase(agent.config.outboxPath, OpenMode::createIfMissing);
    Outbox outbox(**db, **identity);
    auto q = outbox.append(drafts, clock.nowMs());
    EXPECT_TRUE(q.ok()) << (q.ok() ? "" : q.error().message);
    return q.ok() ? *q : std::vector<QueuedMessage>{};
  }

  static size_t pending(AgentSession& s) {
    auto r = s.outbox().pendingRange();
    return r->first == 0 ? 0 : r->second - r->first + 1;
  }

  bool errorContains(AgentSession& s, const std::string& text) {
    return s.lastError() && s.lastError()->find(text) != std::string::npos;
  }

  test::TempDir dir;
  zmq::context_t context{1};
  common::SystemClock clock;
  test::AgentFixture agent;
  std::unique_ptr<FakeBroker> broker;
};

TEST_F(SessionTest, DeliversQueuedReportsInSeqOrderAndDrainsTheOutbox) {
  report({draft("12345678", 1, 1000), draft("87654321", 2, 1001), draft("12345678", 3, 1002)});
  report({draft("12345678", 4, 1003), draft("12345678", 5, 1004)});
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->stored().size() == 5 && pending(*s) == 0; }, kDeadlineMs));
  EXPECT_EQ(broker->arrivals(), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  auto stored = broker->stored();
  for (size_t i = 0; i < stored.size(); ++i) EXPECT_EQ(stored[i].sentAt, 1000 + int64_t(i));
  EXPECT_TRUE(s->isConnected());
  EXPECT_GE(broker->heartbeats(), 1u);
  auto summary =
      Outbox::summarize(*openAgentDatabase(agent.config.outboxPath, OpenMode::mustExist).value());
  EXPECT_EQ(summary->ackedSeq, 5u);
  EXPECT_EQ(summary->head.seq, 5u);

  // A report written by another process while connected goes out promptly.
  report({draft("12345678", 6, 1005)});
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->stored().size() == 6 && pending(*s) == 0; }, kDeadlineMs));
  EXPECT_EQ(broker->stored().back().seq, 6u);
}

TEST_F(SessionTest, ABacklogGoesOutAsSignedBatchesOfAtMost64) {
  std::vector<OutboxDraft> drafts;
  for (int i = 1; i <= 150; ++i) drafts.push_back(draft("12345678", i, 1000 + i));
  report(drafts);
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->stored().size() == 150 && pending(*s) == 0; }, kDeadlineMs));
  EXPECT_GE(broker->batchesReceived(), 3u);  // 150 reports: at least 64 + 64 + 22
  EXPECT_LE(broker->batchesReceived(), 10u);
  auto arrivals = broker->arrivals();
  for (size_t i = 0; i < arrivals.size(); ++i) EXPECT_EQ(arrivals[i], i + 1);
  // A lone report afterwards goes as a single envelope.
  const size_t batches = broker->batchesReceived();
  report({draft("12345678", 151, 2000)});
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->stored().size() == 151 && pending(*s) == 0; }, kDeadlineMs));
  EXPECT_EQ(broker->batchesReceived(), batches);
}

TEST_F(SessionTest, ABrokerOlderThanBatchesGetsSingleEnvelopes) {
  broker->setRefuseBatches(true);
  std::vector<OutboxDraft> drafts;
  for (int i = 1; i <= 20; ++i) drafts.push_back(draft("12345678", i, 1000 + i));
  report(drafts);
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->stored().size() == 20 && pending(*s) == 0; }, kDeadlineMs));
  EXPECT_EQ(broker->batchesReceived(), 0u);
  EXPECT_EQ(broker->stored().back().seq, 20u);
}

TEST_F(SessionTest, HeartbeatsAreRegularNeverQueuedAndStrictlyNewer) {
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->heartbeats() >= 4; }, kDeadlineMs));
  EXPECT_TRUE(broker->heartbeatsStrictlyIncreasing());
  EXPECT_TRUE(broker->arrivals().empty());
  EXPECT_EQ(pending(*s), 0u);
  EXPECT_TRUE(s->counters().clockSkewMs.has_value());
}

// The system clock moved by a fixed amount: a server whose time is off.
class SkewedClock final : public common::Clock {
 public:
  explicit SkewedClock(int64_t offsetMs) : offsetMs_(offsetMs) {}
  int64_t nowMs() const override { return common::SystemClock().nowMs() + offsetMs_; }

 private:
  int64_t offsetMs_;
};

TEST_F(SessionTest, HeartbeatCountersRiseAcrossRestartsWhateverTheClock) {
  SkewedClock ahead(3LL * 86'400'000);
  SessionOptions options;
  options.outboxPollMs = 20;
  {
    auto s = AgentSession::open(context, agent.config, ahead, options);
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_TRUE(test::driveUntil(
        **s, [&] { return broker->heartbeats() >= 2; }, kDeadlineMs));
  }
  // Restarted with the clock put right: three days "earlier", but the counter goes on rising.
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->heartbeats() >= 4; }, kDeadlineMs));
  EXPECT_TRUE(broker->heartbeatsStrictlyIncreasing());
}

TEST_F(SessionTest, StatusAndSelftestShowOurClockOffsetAgainstTheBroker) {
  SkewedClock ahead(5 * 60'000);
  SessionOptions options;
  options.outboxPollMs = 20;
  auto opened = AgentSession::open(context, agent.config, ahead, options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  AgentSession& s = **opened;
  // The offset reaches the status row (written at most once a second after a change).
  common::Result<AgentStatus> st = common::internalError("not read yet");
  ASSERT_TRUE(test::driveUntil(
      s,
      [&] {
        st = readAgentStatus(agent.config, clock.nowMs());
        return st.ok() && st->clockOffsetMs.has_value();
      },
      kDeadlineMs));
  EXPECT_NEAR(static_cast<double>(*st->clockOffsetMs), 300'000.0, 5'000.0);
  auto json = nlohmann::json::parse(agentStatusJson(*st));
  EXPECT_NEAR(json["clock_offset_s"].get<double>(), 300.0, 5.0);
  auto in = gatherSelfTestInputs(s, ahead.nowMs());
  ASSERT_TRUE(in.ok()) << in.error().message;
  for (const auto& r : evaluateSelfTests(*in, agent.config.selfTest)) {
    if (r.name != "clock_skew") continue;
    EXPECT_FALSE(r.passed);
    EXPECT_NE(r.detail.find("this server's clock is 5 min ahead of the city's broker"),
              std::string::npos)
        << r.detail;
    EXPECT_NE(r.detail.find("fix time synchronisation"), std::string::npos) << r.detail;
  }
}

TEST_F(SessionTest, ResendsFromTheFirstUnackedWhenAcksAreLost) {
  broker->setDropAcks(true);
  report({draft("12345678", 1, 1000), draft("12345678", 2, 1001), draft("12345678", 3, 1002)});
  auto s = open();
  auto timesSeen = [&](uint64_t seq) {
    auto a = broker->arrivals();
    return std::count(a.begin(), a.end(), seq);
  };
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return timesSeen(1) >= 2; }, kDeadlineMs));
  EXPECT_EQ(pending(*s), 3u);  // nothing is deleted without an ack
  EXPECT_GE(s->counters().resends, 1u);
  auto a = broker->arrivals();
  ASSERT_GE(a.size(), 4u);
  EXPECT_EQ((std::vector<uint64_t>(a.begin(), a.begin() + 4)), (std::vector<uint64_t>{1, 2, 3, 1}));

  broker->setDropAcks(false);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return pending(*s) == 0; }, kDeadlineMs));
  EXPECT_EQ(broker->stored().size(), 3u);  // duplicates were re-acked, not stored twice
}

TEST_F(SessionTest, RealignsOntoABrokerChainAheadOfTheAgent) {
  // The agent was restored from an old backup: the broker already holds seqs 1..5 of this key.
  Bytes head5(32, 0x5a);
  broker->setHead(5, head5);
  report({draft("12345678", 11, 2000), draft("87654321", 12, 2001), draft("12345678", 13, 2002)});
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->stored().size() == 3 && pending(*s) == 0; }, kDeadlineMs));
  auto stored = broker->stored();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(stored[i].seq, 6 + i);
    EXPECT_EQ(stored[i].sentAt, 2000 + int64_t(i));  // original sentAt kept
    auto body = common::decodeBody(stored[i].body);
    EXPECT_EQ(std::get<common::UnitStatusMsg>(body->payload).pupilsPresent, int32_t(11 + i));
  }
  EXPECT_EQ(common::decodeBody(stored[0].body)->prevHash, head5);
  EXPECT_EQ(s->outbox().head()->seq, 8u);
  EXPECT_GE(s->counters().realigns, 1u);
  // The next report continues the broker's chain.
  ASSERT_TRUE(s->queue({draft("12345678", 14, 2003)}, common::monotonicMs()).ok());
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->stored().size() == 4; }, kDeadlineMs));
  EXPECT_EQ(broker->stored().back().seq, 9u);
}

TEST_F(SessionTest, ARestoredAgentWithNothingPendingTakesOverTheBrokersHead) {
  Bytes head7(32, 0x77);
  broker->setHead(7, head7);
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->outbox().head()->seq == 7; }, kDeadlineMs));
  EXPECT_EQ(s->outbox().head()->hash, head7);
  ASSERT_TRUE(s->queue({draft("12345678", 1, 3000)}, common::monotonicMs()).ok());
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->stored().size() == 1; }, kDeadlineMs));
  EXPECT_EQ(broker->stored()[0].seq, 8u);
  EXPECT_EQ(broker->rejectsSent(), 0u);
}

TEST_F(SessionTest, DeadLettersARefusedUnitAndRealignsTheRest) {
  broker->refuseUnit("87654321");
  report({draft("12345678", 1, 1000), draft("87654321", 2, 1001), draft("12345678", 3, 1002),
          draft("12345678", 4, 1003)});
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->stored().size() == 3 && pending(*s) == 0; }, kDeadlineMs));
  auto stored = broker->stored();
  EXPECT_EQ(stored[0].seq, 1u);
  EXPECT_EQ(stored[1].seq, 2u);
  EXPECT_EQ(stored[1].sentAt, 1002);  // the row after the refused one took its seq
  EXPECT_EQ(stored[2].seq, 3u);
  EXPECT_EQ(s->counters().deadLetters, 1u);
  EXPECT_TRUE(errorContains(*s, "dead letters")) << s->lastError().value_or("");
  EXPECT_TRUE(errorContains(*s, "unit_not_owned"));
  auto db = openAgentDatabase(agent.config.outboxPath, OpenMode::mustExist);
  auto dead = Outbox::deadLetters(**db, 10);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].unit, "87654321");
  EXPECT_EQ((*dead)[0].reason, "unit_not_owned");
  // The queue is not stuck behind it: the refused frame is not sent again.
  auto arrivalsBefore = broker->arrivals().size();
  ASSERT_TRUE(s->queue({draft("12345678", 5, 1004)}, common::monotonicMs()).ok());
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->stored().size() == 4; }, kDeadlineMs));
  EXPECT_EQ(broker->arrivals().size(), arrivalsBefore + 1);
}

TEST_F(SessionTest, RefusalsOfOldFramesNeverDeadLetterTheRowThatTookTheirSeq) {
  // Two refused rows in a row: the second refusal arrives after the first realign gave its seq
  // to the next row. It must still land on the refused content, not on that row.
  broker->refuseUnit("87654321");
  report({draft("87654321", 1, 1000), draft("87654321", 2, 1001), draft("12345678", 3, 1002),
          draft("12345678", 4, 1003)});
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->stored().size() == 2 && pending(*s) == 0; }, kDeadlineMs));
  auto stored = broker->stored();
  EXPECT_EQ(stored[0].seq, 1u);
  EXPECT_EQ(stored[0].sentAt, 1002);
  EXPECT_EQ(stored[1].seq, 2u);
  EXPECT_EQ(stored[1].sentAt, 1003);
  auto db = openAgentDatabase(agent.config.outboxPath, OpenMode::mustExist);
  auto dead = Outbox::deadLetters(**db, 10);
  ASSERT_EQ(dead->size(), 2u);
  for (const auto& d : *dead) EXPECT_EQ(d.unit, "87654321");
}

TEST_F(SessionTest, ZapRefusalSurfacesAsLastErrorAndKeepsRetrying) {
  auto stranger = std::make_unique<FakeBroker>(*agent.city);  // knows no agent keys
  agent.config.endpoint = stranger->endpoint();
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return errorContains(*s, "refused this agent's key"); }, kDeadlineMs));
  EXPECT_TRUE(errorContains(*s, "samband-broker enroll"));
  EXPECT_TRUE(errorContains(*s, "enroll-request.json"));
  EXPECT_FALSE(s->isConnected());
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return stranger->zapRefusals() >= 2; }, kDeadlineMs));
  // `status` (another process) sees it too, once the state row is written.
  std::optional<AgentStatus> seen;
  ASSERT_TRUE(test::driveUntil(
      *s,
      [&] {
        auto st = readAgentStatus(agent.config, clock.nowMs());
        if (st.ok()) seen = *st;
        return st.ok() && st->lastError &&
               st->lastError->find("refused this agent's key") != std::string::npos;
      },
      kDeadlineMs));
  EXPECT_FALSE(seen->connected);
  EXPECT_TRUE(seen->running);
}

TEST_F(SessionTest, AnUnknownSigningKeyIsReportedFromTheHeartbeatsRefusal) {
  // The transport key is admitted, but the broker knows another signing key for the provider.
  auto broker2 = std::make_unique<FakeBroker>(*agent.city);
  common::PublicIdentity other = agent.agentKeys;
  other.signPublic = common::Identity::generate("556677-8899")->signPublic();
  broker2->allow(other);
  agent.config.endpoint = broker2->endpoint();
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return errorContains(*s, "does not know this agent's signing key"); },
      kDeadlineMs));
  EXPECT_TRUE(s->isConnected());
  EXPECT_TRUE(broker2->stored().empty());
}

TEST_F(SessionTest, AWrongPinnedCityKeyMeansNoHandshake) {
  agent.config.cityCurvePublic = common::Identity::generate("city")->curvePublic();
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return errorContains(*s, "no CURVE handshake"); }, kDeadlineMs));
  EXPECT_TRUE(errorContains(*s, "city_curve_public"));
  EXPECT_FALSE(s->isConnected());
}

TEST_F(SessionTest, AnUnreachableBrokerIsReportedAndRetried) {
  agent.config.endpoint = "tcp://127.0.0.1:" + std::to_string(samband::testing::freePort());
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return errorContains(*s, "cannot reach the broker"); }, kDeadlineMs));
  EXPECT_TRUE(errorContains(*s, "[broker] endpoint"));
}

TEST_F(SessionTest, ReconnectsAfterABrokerRestartAndDeliversWhatWasQueuedMeanwhile) {
  auto s = open();
  report({draft("12345678", 1, 1000)});
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return pending(*s) == 0; }, kDeadlineMs));
  Bytes hash1 = common::hash256(broker->stored()[0].body);
  std::string endpoint = broker->endpoint();
  broker.reset();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return !s->isConnected(); }, kDeadlineMs));
  report({draft("12345678", 2, 1001)});  // queued while the broker is down
  EXPECT_EQ(pending(*s), 1u);

  broker = std::make_unique<FakeBroker>(*agent.city, endpoint);  // same port, same chain
  broker->allow(agent.agentKeys);
  broker->setHead(1, hash1);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->stored().size() == 1 && pending(*s) == 0; }, kDeadlineMs));
  EXPECT_EQ(broker->stored()[0].seq, 2u);
  EXPECT_GE(s->counters().connects, 2u);
  EXPECT_FALSE(s->lastError().has_value());  // link errors clear on reconnect
}

class RecordingHandler : public CityMessageHandler {
 public:
  void onCityMessage(AgentSession&, const InboxEntry& entry, const common::Message&) override {
    refs.push_back(entry.ref);
  }
  std::vector<std::string> refs;
};

Bytes cityEnvelope(const common::Identity& signer, const std::string& checkId) {
  common::Message m;
  m.senderId = "city";
  m.keyId = signer.keyId();
  m.seq = 1;
  m.sentAt = 1795676400000;
  m.payload = common::ReadinessCheckMsg{checkId, 1795676400000, 1795680000000, false, {}};
  return common::seal(signer, m).envelope;
}

TEST_F(SessionTest, StoresCitySignedMessagesOnceAndRefusesForgeries) {
  RecordingHandler handler;
  auto s = open();
  s->setCityMessageHandler(&handler);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return broker->heartbeats() >= 1; }, kDeadlineMs));
  Bytes genuine = cityEnvelope(*agent.city, "check-2026-11-26");
  broker->sendCity(genuine);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return handler.refs.size() == 1; }, kDeadlineMs));
  EXPECT_EQ(handler.refs[0], "check-2026-11-26");

  broker->sendCity(genuine);  // redelivered: stored once
  auto forger = common::Identity::generate("city");
  broker->sendCity(cityEnvelope(*forger, "check-forged"));
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->counters().cityRefused == 1; }, kDeadlineMs));
  EXPECT_EQ(s->counters().cityMessages, 1u);
  EXPECT_EQ(handler.refs.size(), 1u);
  EXPECT_TRUE(errorContains(*s, "not signed by the pinned city key"));
  auto unhandled = s->inbox().unhandled();
  ASSERT_EQ(unhandled->size(), 1u);
  EXPECT_EQ((*unhandled)[0].kind, "readiness_check");
}

TEST_F(SessionTest, StatusSeesALiveSessionAndACleanStop) {
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->isConnected(); }, kDeadlineMs));
  auto live = readAgentStatus(agent.config, clock.nowMs());
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->running);
  EXPECT_TRUE(live->connected);
  EXPECT_TRUE(live->lastConnectedAt.has_value());
  s->shutdown();
  auto stopped = readAgentStatus(agent.config, clock.nowMs());
  EXPECT_FALSE(stopped->running);
  EXPECT_FALSE(stopped->connected);
}

TEST_F(SessionTest, AnIdleSessionWakesForItsHeartbeatAloneAndKeepsItsStatusFresh) {
  // 1.5 s heartbeats; the skewed clock changes the status row once, off the beat (the offset of
  // the first heartbeat reply), which used to put the row's refresh out of step for good.
  agent.config.heartbeatIntervalMs = 1500;
  SkewedClock ahead(5 * 60'000);
  SessionOptions options;
  options.outboxPollMs = 600'000;  // as under the daemon's inotify watch
  auto opened = AgentSession::open(context, agent.config, ahead, options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  AgentSession& s = **opened;
  ASSERT_TRUE(test::driveUntil(
      s, [&] { return broker->heartbeats() >= 2; }, kDeadlineMs));
  // Six seconds with nothing to send, driven as the daemon does: sleep until nextWakeMs().
  const size_t beatsBefore = broker->heartbeats();
  int timerWakes = 0;
  const int64_t end = common::monotonicMs() + 6000;
  for (int64_t now = common::monotonicMs(); now < end; now = common::monotonicMs()) {
    auto items = s.pollItems();
    const int64_t wait = std::clamp<int64_t>(s.nextWakeMs() - now, 0, end - now);
    const int n = zmq::poll(items.data(), items.size(), std::chrono::milliseconds(wait));
    now = common::monotonicMs();
    if (n == 0 && now < end) ++timerWakes;
    if (n > 0) s.onReadable(now);
    s.onTimer(now);
  }
  const int beats = static_cast<int>(broker->heartbeats() - beatsBefore);
  EXPECT_GE(beats, 3);
  EXPECT_LE(timerWakes, beats + 1)
      << "woken " << timerWakes << " times by timers for " << beats << " heartbeats";
  // `status` still sees a live, connected agent whose row is at most a heartbeat old.
  auto st = readAgentStatus(agent.config, ahead.nowMs());
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_TRUE(st->running);
  EXPECT_TRUE(st->connected);
  ASSERT_TRUE(st->updatedAt.has_value());
  EXPECT_LE(ahead.nowMs() - *st->updatedAt, 1500 + 500);
}

TEST(SessionStatusRow, IsWrittenWithoutASyncAndLeavesTheOutboxConnectionAtFull) {
  test::TempDir dir;
  auto db = openAgentDatabase(dir.path() + "/outbox.db", OpenMode::createIfMissing);
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_EQ((*db)->execAndGet("PRAGMA synchronous").getInt(), 2);  // FULL
  common::SystemClock clock;
  common::RateLimiter limiter(1);
  SessionStatus sessionStatus(**db, clock, limiter, true);
  sessionStatus.row().running = true;
  sessionStatus.row().pid = static_cast<int>(::getpid());
  sessionStatus.write(common::monotonicMs(), true, 30000);
  // The outbox's own commits stay durable.
  EXPECT_EQ((*db)->execAndGet("PRAGMA synchronous").getInt(), 2);
  auto row = LinkStateStore(**db).read();
  ASSERT_TRUE(row.ok()) << row.error().message;
  EXPECT_TRUE(row->running);
  EXPECT_EQ(row->staleAfterMs, 3 * 30000 + 2000);
  EXPECT_TRUE(row->isLive(clock.nowMs()));
}

TEST(LinkState, IsNotLiveWhenStaleStoppedOrTheProcessIsGone) {
  LinkState st;
  st.running = true;
  st.connected = true;
  st.pid = static_cast<int>(::getpid());
  st.staleAfterMs = 5000;
  st.updatedAt = 100000;
  EXPECT_TRUE(st.isLive(101000));
  EXPECT_FALSE(st.isLive(200000));  // not refreshed: killed without a chance to say so
  st.running = false;
  EXPECT_FALSE(st.isLive(101000));
  st.running = true;
  st.pid = 0x3ffffff0;  // no such process
  EXPECT_FALSE(st.isLive(101000));
}

}  // namespace
}  // namespace samband::agent
