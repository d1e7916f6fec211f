// What the agent does with city messages: the directive acceptance rules on their own (hostile
// input for each), and CityActions in a session against the fake broker — a check answered with
// signed self-tests in its own mode, a directive acknowledged and its level applied and kept
// across a restart, forged / expired / replayed / misaddressed directives refused with the
// reason in the inbox, exercise directives never touching the level, and entries left over by a
// stopped run handled at the next start.
#include "agent/city_actions.h"

#include <gtest/gtest.h>

#include <iterator>

#include "agent/database.h"
#include "agent/inbox.h"
#include "agent/selftest.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/ids.h"
#include "tests/agent/fake_broker.h"
#include "tests/agent/test_support.h"
#include "tests/support/test_time.h"

namespace samband::agent {
namespace {

using common::Bytes;
using test::FakeBroker;

using samband::test_time::kDeadlineMs;
constexpr const char* kUs = "556677-8899";
constexpr const char* kCityKey = "0102030405060708";  // the issuing broker's city key id

common::DirectiveMsg directive(const std::string& id, uint64_t number, int64_t expiresAt) {
  common::DirectiveMsg d;
  d.directiveId = id;
  d.number = number;
  d.text = "Samla krisledningen kl 10";
  d.expiresAt = expiresAt;
  return d;
}

// ---- the rules ---------------------------------------------------------------------------

TEST(DirectiveRules, AcceptsANewerUnexpiredDirectiveForEveryoneOrNamingUs) {
  CityStateRow state;
  state.directiveNumber = 4;
  auto d = directive("D-000005", 5, 2000);
  EXPECT_TRUE(judgeDirective(d, kUs, 1000, state, kCityKey).accepted);
  d.recipients = {"111111-1111", kUs};
  EXPECT_TRUE(judgeDirective(d, kUs, 1000, state, kCityKey).accepted);
  EXPECT_TRUE(judgeDirective(d, kUs, 2000, state, kCityKey).accepted);  // expires at, not before
}

TEST(DirectiveRules, RefusesOneAddressedToOthers) {
  auto d = directive("D-000001", 1, 2000);
  d.recipients = {"111111-1111", "222222-2222"};
  auto v = judgeDirective(d, kUs, 1000, CityStateRow(), kCityKey);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(v.reason.rfind("not_for_us: ", 0), 0u) << v.reason;
}

TEST(DirectiveRules, RefusesAnExpiredOne) {
  auto v = judgeDirective(directive("D-000001", 1, 999), kUs, 1000, CityStateRow(), kCityKey);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(v.reason.rfind("expired: ", 0), 0u) << v.reason;
}

TEST(DirectiveRules, RefusesTheSameOrAnOlderNumberThanTheHighestApplied) {
  CityStateRow state;
  state.directiveNumber = 7;
  for (uint64_t n : {uint64_t{7}, uint64_t{6}, uint64_t{1}, uint64_t{0}}) {
    auto v = judgeDirective(directive("D-x", n, 2000), kUs, 1000, state, kCityKey);
    EXPECT_FALSE(v.accepted) << n;
    EXPECT_EQ(v.reason.rfind("replay: ", 0), 0u) << v.reason;
  }
}

// Each broker of a city numbers its own directives (issue 15): the marks are per issuing key.
TEST(DirectiveRules, NumbersAreJudgedPerIssuingKey) {
  CityStateRow state;
  state.directiveNumber = 7;
  state.directiveNumberByKey = {{kCityKey, 7}, {"a1a2a3a4a5a6a7a8", 2}};
  EXPECT_FALSE(judgeDirective(directive("D-x", 7, 2000), kUs, 1000, state, kCityKey).accepted);
  auto v = judgeDirective(directive("D-y", 2, 2000), kUs, 1000, state, "a1a2a3a4a5a6a7a8");
  EXPECT_FALSE(v.accepted);
  EXPECT_NE(v.reason.find("a1a2a3a4a5a6a7a8"), std::string::npos) << v.reason;
  EXPECT_TRUE(
      judgeDirective(directive("D-y", 3, 2000), kUs, 1000, state, "a1a2a3a4a5a6a7a8").accepted);
  // A key never heard from starts at 0, below the other broker's 7.
  EXPECT_TRUE(
      judgeDirective(directive("D-z", 1, 2000), kUs, 1000, state, "b1b2b3b4b5b6b7b8").accepted);
}

TEST(DirectiveRules, NotForUsIsReportedBeforeExpiryOrReplay) {
  CityStateRow state;
  state.directiveNumber = 9;
  auto d = directive("D-000001", 1, 10);
  d.recipients = {"111111-1111"};
  EXPECT_EQ(judgeDirective(d, kUs, 1000, state, kCityKey).reason.rfind("not_for_us", 0), 0u);
  d.recipients.clear();
  EXPECT_EQ(judgeDirective(d, kUs, 1000, state, kCityKey).reason.rfind("expired", 0), 0u);
}

// ---- in a session ------------------------------------------------------------------------

class CityActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent = test::makeAgent(dir.path(), "tcp://127.0.0.1:1");
    agent.config.dutyContact = "Jour 08-123 456";
    broker = std::make_unique<FakeBroker>(*agent.city);
    broker->allow(agent.agentKeys);
    agent.config.endpoint = broker->endpoint();
  }

  std::unique_ptr<AgentSession> open(bool withActions = true) {
    SessionOptions options;
    options.seed = 11;
    options.outboxPollMs = 20;
    auto s = AgentSession::open(context, agent.config, clock, options);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    auto session = std::move(s).value();
    if (withActions) {
      session->setCityMessageHandler(&actions);
      actions.resume(*session, common::monotonicMs());
    }
    return session;
  }

  void connect(AgentSession& s) {
    ASSERT_TRUE(test::driveUntil(
        s, [&] { return broker->heartbeats() >= 1 && s.isConnected(); }, kDeadlineMs));
  }

  Bytes cityMessage(const common::Identity& signer, common::Payload payload,
                    common::Mode mode = common::Mode::ACTUAL) {
    return cityChain.next(signer, std::move(payload), mode, clock.nowMs());
  }

  // Bodies the fake broker stored of `kind`, decoded.
  std::vector<common::Message> storedOf(const std::string& kind) {
    std::vector<common::Message> out;
    for (const auto& f : broker->stored()) {
      if (f.kind != kind) continue;
      auto m = common::decodeBody(f.body);
      EXPECT_TRUE(m.ok());
      if (m.ok()) out.push_back(std::move(m).value());
    }
    return out;
  }

  InboxEntry entry(AgentSession& s, const std::string& kind, const std::string& ref) {
    auto e = s.inbox().find(kind, ref);
    EXPECT_TRUE(e.ok());
    return e.ok() && *e ? **e : InboxEntry();
  }

  bool handled(AgentSession& s, const std::string& kind, const std::string& ref) {
    auto e = s.inbox().find(kind, ref);
    return e.ok() && *e && !(*e)->state.empty();
  }

  test::TempDir dir;
  zmq::context_t context{1};
  common::SystemClock clock;
  test::AgentFixture agent;
  std::unique_ptr<FakeBroker> broker;
  CityActions actions;
  test::CityChainWriter cityChain;
};

TEST_F(CityActionsTest, AnswersACheckWithSignedSelfTestsInTheChecksMode) {
  auto s = open();
  connect(*s);
  const int64_t now = clock.nowMs();
  broker->sendCity(cityMessage(*agent.city,
                               common::ReadinessCheckMsg{"rc-drill", now, now + 60000, false, {}},
                               common::Mode::EXERCISE));
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return storedOf("readiness_answer").size() == 1; }, kDeadlineMs));
  auto answer = storedOf("readiness_answer")[0];
  EXPECT_EQ(answer.mode, common::Mode::EXERCISE);
  const auto& a = std::get<common::ReadinessAnswerMsg>(answer.payload);
  EXPECT_EQ(a.checkId, "rc-drill");
  EXPECT_FALSE(a.confirmed);
  EXPECT_GT(a.receivedAt, 0);
  ASSERT_EQ(a.results.size(), std::size(kSelfTestNames));
  for (size_t i = 0; i < a.results.size(); ++i) EXPECT_EQ(a.results[i].name, kSelfTestNames[i]);
  EXPECT_TRUE(a.results[0].passed) << a.results[0].detail;  // broker_link
  EXPECT_TRUE(a.results[1].passed) << a.results[1].detail;  // clock_skew, from the head reply
  auto e = entry(*s, "readiness_check", "rc-drill");
  EXPECT_EQ(e.state, "answered");
  EXPECT_EQ(selfTestsFromJson(e.results).size(), a.results.size());
}

TEST_F(CityActionsTest, AppliesADirectiveAcknowledgesDeliveryAndKeepsTheLevelAcrossRestarts) {
  {
    auto s = open();
    connect(*s);
    auto d = directive("D-000001", 1, clock.nowMs() + 60000);
    d.level = common::ReadinessLevel::HEIGHTENED;
    broker->sendCity(cityMessage(*agent.city, d));
    ASSERT_TRUE(test::driveUntil(
        *s, [&] { return storedOf("directive_ack").size() == 1; }, kDeadlineMs));
    auto ack = storedOf("directive_ack")[0];
    EXPECT_EQ(std::get<common::DirectiveAckMsg>(ack.payload).directiveId, "D-000001");
    EXPECT_EQ(std::get<common::DirectiveAckMsg>(ack.payload).kind, common::AckKind::DELIVERED);
    EXPECT_EQ(s->level(), common::ReadinessLevel::HEIGHTENED);
    EXPECT_EQ(entry(*s, "directive", "D-000001").state, "applied");
    auto kept = CityState(s->database()).read();
    EXPECT_EQ(kept->directiveNumber, 1u);
    EXPECT_EQ(kept->levelDirective, "D-000001");
  }
  auto again = open();
  EXPECT_EQ(again->level(), common::ReadinessLevel::HEIGHTENED);
  EXPECT_EQ(agent.config.heartbeatIntervalFor(again->level()), agent.config.heartbeatHeightenedMs);
}

// Two brokers of one city number their directives each from 1 (issue 15): the agent keeps one
// mark per issuing city key, in outbox.db, and never lowers one.
TEST_F(CityActionsTest, DirectiveMarksAreKeptPerIssuingKeyAcrossRestarts) {
  {
    auto s = open(false);
    CityState state(s->database());
    const auto unchanged = common::ReadinessLevel::UNCHANGED;
    ASSERT_TRUE(state.recordApplied("D-a5", "a1a1a1a1a1a1a1a1", 5, unchanged).ok());
    ASSERT_TRUE(state.recordApplied("D-b1", "b2b2b2b2b2b2b2b2", 1, unchanged).ok());
    ASSERT_TRUE(state.recordApplied("D-a3", "a1a1a1a1a1a1a1a1", 3, unchanged).ok());
  }
  auto s = open(false);
  auto row = CityState(s->database()).read();
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->directiveNumber, 5u);
  EXPECT_EQ(row->appliedBy("a1a1a1a1a1a1a1a1"), 5u);
  EXPECT_EQ(row->appliedBy("b2b2b2b2b2b2b2b2"), 1u);
  EXPECT_EQ(row->appliedBy("c3c3c3c3c3c3c3c3"), 0u);
}

// A file from before per-key marks: its one mark is the key's that signed the newest applied
// directive, so that key's replays stay refused and another broker's directives are not.
TEST_F(CityActionsTest, TheMarkOfAFileFromBeforePerKeyMarksBelongsToItsIssuer) {
  auto s = open();
  connect(*s);
  broker->sendCity(cityMessage(*agent.city, directive("D-000004", 4, clock.nowMs() + 60000)));
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return storedOf("directive_ack").size() == 1; }, kDeadlineMs));
  s->database().exec("DELETE FROM directive_marks");  // as migration 12 leaves an older file
  const std::string issuer = common::toHex(agent.city->keyId());
  auto row = CityState(s->database()).read();
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->appliedBy(issuer), 4u);
  EXPECT_EQ(row->appliedBy("c3c3c3c3c3c3c3c3"), 0u);
  // The next directive applied keeps the old mark for its key.
  ASSERT_TRUE(CityState(s->database())
                  .recordApplied("D-b1", "b2b2b2b2b2b2b2b2", 1, common::ReadinessLevel::UNCHANGED)
                  .ok());
  row = CityState(s->database()).read();
  EXPECT_EQ(row->appliedBy(issuer), 4u);
  EXPECT_EQ(row->appliedBy("b2b2b2b2b2b2b2b2"), 1u);
}

TEST_F(CityActionsTest, RefusesForgedExpiredReplayedAndMisaddressedDirectivesWithTheReason) {
  auto s = open();
  connect(*s);
  const int64_t later = clock.nowMs() + 60000;
  auto applied = directive("D-000005", 5, later);
  broker->sendCity(cityMessage(*agent.city, applied));
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return handled(*s, "directive", "D-000005"); }, kDeadlineMs));

  auto forger = common::Identity::generate(common::kCitySenderId);
  auto forged = directive("D-000009", 9, later);
  forged.level = common::ReadinessLevel::HIGHEST;
  const Bytes forgedEnvelope = cityMessage(*forger, forged);
  broker->sendCity(forgedEnvelope);
  broker->sendCity(cityMessage(*agent.city, directive("D-000006", 6, clock.nowMs() - 1)));
  broker->sendCity(cityMessage(*agent.city, directive("D-000004", 4, later)));
  auto again = directive("D-000005b", 5, later);  // the same number, another body
  broker->sendCity(cityMessage(*agent.city, again));
  auto others = directive("D-000007", 7, later);
  others.recipients = {"111111-1111"};
  broker->sendCity(cityMessage(*agent.city, others));
  ASSERT_TRUE(test::driveUntil(
      *s,
      [&] {
        for (const char* ref : {"D-000009", "D-000006", "D-000004", "D-000005b", "D-000007"}) {
          if (!handled(*s, "directive", ref)) return false;
        }
        return true;
      },
      kDeadlineMs));

  auto e = entry(*s, "directive", "D-000009");
  EXPECT_EQ(e.state, "refused");
  EXPECT_FALSE(e.verified);
  EXPECT_EQ(e.reason.rfind("forged: ", 0), 0u) << e.reason;
  EXPECT_EQ(entry(*s, "directive", "D-000006").reason.rfind("expired: ", 0), 0u);
  EXPECT_EQ(entry(*s, "directive", "D-000004").reason.rfind("replay: ", 0), 0u);
  EXPECT_EQ(entry(*s, "directive", "D-000005b").reason.rfind("replay: ", 0), 0u);
  EXPECT_EQ(entry(*s, "directive", "D-000007").reason.rfind("not_for_us: ", 0), 0u);
  EXPECT_EQ(s->level(), common::ReadinessLevel::NORMAL);
  ASSERT_TRUE(s->lastError().has_value());
  EXPECT_NE(s->lastError()->find("refused"), std::string::npos) << *s->lastError();
  // Only the applied one was acknowledged; the rest stay undelivered at the broker.
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->outbox().pendingRange()->first == 0; }, kDeadlineMs));
  auto acks = storedOf("directive_ack");
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(std::get<common::DirectiveAckMsg>(acks[0].payload).directiveId, "D-000005");
  EXPECT_EQ(CityState(s->database()).read()->directiveNumber, 5u);

  // The broker resends what is not acknowledged: a copy is refused again but recorded once.
  size_t before = s->inbox().list(100)->size();
  broker->sendCity(forgedEnvelope);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->counters().cityRefused >= 2; }, kDeadlineMs));
  EXPECT_EQ(s->inbox().list(100)->size(), before);
}

TEST_F(CityActionsTest, ExerciseDirectivesAreAcknowledgedButNeverChangeTheLevel) {
  auto s = open();
  connect(*s);
  auto drill = directive("D-000001", 1, clock.nowMs() + 60000);
  drill.level = common::ReadinessLevel::HIGHEST;
  broker->sendCity(cityMessage(*agent.city, drill, common::Mode::EXERCISE));
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return storedOf("directive_ack").size() == 1; }, kDeadlineMs));
  EXPECT_EQ(storedOf("directive_ack")[0].mode, common::Mode::EXERCISE);
  EXPECT_EQ(s->level(), common::ReadinessLevel::NORMAL);
  auto kept = CityState(s->database()).read();
  EXPECT_EQ(kept->level, common::ReadinessLevel::NORMAL);
  EXPECT_EQ(kept->directiveNumber, 1u);  // numbers are the city's, across modes
  EXPECT_EQ(entry(*s, "directive", "D-000001").state, "applied");
}

TEST_F(CityActionsTest, EntriesAStoppedRunLeftUnhandledAreHandledAtTheNextStart) {
  {
    auto bare = open(false);  // stores city messages, handles none
    connect(*bare);
    const int64_t now = clock.nowMs();
    broker->sendCity(
        cityMessage(*agent.city, common::ReadinessCheckMsg{"rc-left", now, now + 60000, true, {}}));
    ASSERT_TRUE(test::driveUntil(
        *bare, [&] { return bare->counters().cityMessages == 1; }, kDeadlineMs));
    EXPECT_EQ(entry(*bare, "readiness_check", "rc-left").state, "");
  }
  auto s = open();
  EXPECT_EQ(entry(*s, "readiness_check", "rc-left").state, "answered");
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return storedOf("readiness_answer").size() == 1; }, kDeadlineMs));
}

}  // namespace
}  // namespace samband::agent
