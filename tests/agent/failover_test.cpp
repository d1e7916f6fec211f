// Several brokers: the failover policy row by row (docs/protocol.md, "Broker failover"), the
// [broker] brokers key and --broker's ENDPOINT=CURVEKEY form, and an AgentSession moving
// between two fake brokers on loopback: to the standby when the first goes away, back when it
// answers again, and never following a standby whose head is below what was acknowledged.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "agent/agent_status.h"
#include "agent/broker_failover.h"
#include "agent/database.h"
#include "agent/link_state.h"
#include "agent/session.h"
#include "common/clock.h"
#include "common/codec.h"
#include "tests/agent/fake_broker.h"
#include "tests/agent/test_support.h"

namespace samband::agent {
namespace {

using test::FakeBroker;
using test::TempDir;

// ---- the policy ------------------------------------------------------------------------------

TEST(BrokerFailover, OneBrokerNeverMoves) {
  BrokerFailover f(1, FailoverSettings{100, 0}, 1);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(f.onFailure(i * 1000));
  EXPECT_EQ(f.current(), 0u);
  EXPECT_FALSE(f.wantsProbe());
}

TEST(BrokerFailover, OneFailureIsNotEnoughEvenWhenLate) {
  BrokerFailover f(2, FailoverSettings{1000, 0}, 1);
  EXPECT_FALSE(f.onFailure(0));
  EXPECT_EQ(f.failuresInARow(), 1);
}

TEST(BrokerFailover, MovesAfterTwoFailuresSpanningTheBound) {
  BrokerFailover f(3, FailoverSettings{1000, 0}, 1);
  EXPECT_FALSE(f.onFailure(0));
  EXPECT_FALSE(f.onFailure(500));  // twice, but not yet for 1 s
  EXPECT_TRUE(f.onFailure(1000));
  EXPECT_EQ(f.next(), 1u);
  f.moveTo(1);
  EXPECT_EQ(f.failuresInARow(), 0);
  EXPECT_FALSE(f.onFailure(2000));
  EXPECT_TRUE(f.onFailure(3000));
  EXPECT_EQ(f.next(), 2u);
  f.moveTo(2);
  EXPECT_FALSE(f.onFailure(4000));
  EXPECT_TRUE(f.onFailure(5000));
  EXPECT_EQ(f.next(), 0u);  // wraps round to the preferred broker
}

TEST(BrokerFailover, ManyQuickFailuresMoveWithoutWaitingForTheClock) {
  BrokerFailover f(2, FailoverSettings{1000, 0}, 1);
  bool moved = false;
  int n = 0;
  while (!moved && n < 100) moved = f.onFailure(0 * ++n);
  EXPECT_TRUE(moved);
  EXPECT_EQ(n, 2 + 1000 / 200);
}

TEST(BrokerFailover, AConnectionForgetsEarlierFailures) {
  BrokerFailover f(2, FailoverSettings{1000, 0}, 1);
  EXPECT_FALSE(f.onFailure(0));
  f.onUp();
  EXPECT_FALSE(f.onFailure(5000));  // the first failure of a new run, however late
  EXPECT_TRUE(f.onFailure(6000));
}

TEST(BrokerFailover, ProbesOnlyOnAStandbyAndSchedulesTheReturnWithinTheJitter) {
  BrokerFailover f(2, FailoverSettings{1000, 5000}, 42);
  EXPECT_FALSE(f.wantsProbe());
  f.onPreferredReachable(0);  // on the preferred broker: nothing to return to
  EXPECT_FALSE(f.failbackAtMs());
  f.moveTo(1);
  EXPECT_TRUE(f.wantsProbe());
  f.onPreferredReachable(10'000);
  ASSERT_TRUE(f.failbackAtMs());
  EXPECT_GE(*f.failbackAtMs(), 10'000);
  EXPECT_LE(*f.failbackAtMs(), 15'000);
  EXPECT_FALSE(f.wantsProbe());
  EXPECT_FALSE(f.isFailbackDue(*f.failbackAtMs() - 1));
  EXPECT_TRUE(f.isFailbackDue(*f.failbackAtMs()));
  f.onPreferredUnreachable();  // a failed probe cancels the return
  EXPECT_FALSE(f.failbackAtMs());
  EXPECT_TRUE(f.wantsProbe());
  f.onPreferredReachable(20'000);
  f.moveTo(0);
  EXPECT_FALSE(f.failbackAtMs());
  EXPECT_FALSE(f.wantsProbe());
}

TEST(BrokerFailover, AgentsSpreadTheirReturnOverTheJitterWindow) {
  // Thousands of agents seeing the preferred broker again in the same millisecond must not all
  // return in the same second.
  std::set<int64_t> seconds;
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    BrokerFailover f(2, FailoverSettings{1000, 60'000}, seed);
    f.moveTo(1);
    f.onPreferredReachable(0);
    seconds.insert(*f.failbackAtMs() / 1000);
  }
  EXPECT_GE(seconds.size(), 55u);  // 60 one-second buckets, nearly all used
}

// ---- configuration ---------------------------------------------------------------------------

const char* kKeyA = "5aededcbc3864f69361c8af47b6cf4b4b28a051dc18fe763d8580117c7a7913e";
const char* kKeyB = "0d9a7c9ea7359cfa6180e3eff400543c7b3c3a7c708f384e2b42565df4e06ced";

std::string configText(const std::string& brokerLines) {
  return std::string(R"([agent]
provider = "556677-8899"
name = "Exempelskolan AB"
units = ["12345678"]

[broker]
)") + brokerLines +
         "\ncity_sign_public = \"" + kKeyB + "\"\ncity_curve_public = \"" + kKeyA + "\"\n";
}

class BrokersConfig : public ::testing::Test {
 protected:
  TempDir dir;
  common::Result<AgentConfig> load(const std::string& brokerLines) {
    std::string path = dir.file("agent.toml");
    std::ofstream(path) << configText(brokerLines);
    return loadAgentConfig(path);
  }
};

TEST_F(BrokersConfig, TheSingleEndpointKeyStillWorks) {
  auto c = load("endpoint = \"tcp://a.example.se:7700\"");
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto list = c->brokerList();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].endpoint, "tcp://a.example.se:7700");
  EXPECT_EQ(common::toHex(list[0].curvePublic.data(), 32), kKeyA);
  EXPECT_FALSE(list[0].ownKey);
}

TEST_F(BrokersConfig, BrokersListInOrderWithOwnTransportKeys) {
  auto c = load(std::string("brokers = [\"tcp://a.example.se:7700\", \"tcp://b.example.se:7701=") +
                kKeyB + "\"]");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->endpoint, "tcp://a.example.se:7700");
  auto list = c->brokerList();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(common::toHex(list[0].curvePublic.data(), 32), kKeyA);  // city_curve_public
  EXPECT_EQ(list[1].endpoint, "tcp://b.example.se:7701");
  EXPECT_EQ(common::toHex(list[1].curvePublic.data(), 32), kKeyB);
  EXPECT_TRUE(list[1].ownKey);

  // Written back, read again: the same brokers and keys.
  AgentConfig copy = *c;
  copy.configPath = dir.file("again.toml");
  std::ofstream(copy.configPath) << renderAgentConfig(copy);
  auto again = loadAgentConfig(copy.configPath);
  ASSERT_TRUE(again.ok()) << again.error().message;
  ASSERT_EQ(again->brokerList().size(), 2u);
  EXPECT_EQ(brokerEndpointText(again->brokerList()[1]), brokerEndpointText(list[1]));
}

TEST_F(BrokersConfig, MistakesNameTheKey) {
  auto bad = load("brokers = [\"a.example.se:7700\"]");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("[broker] brokers"), std::string::npos) << bad.error().message;
  auto badKey = load("brokers = [\"tcp://a:7700\", \"tcp://b:7700=abcd\"]");
  ASSERT_FALSE(badKey.ok());
  EXPECT_NE(badKey.error().message.find("64 hex digits"), std::string::npos)
      << badKey.error().message;
  auto twice = load("brokers = [\"tcp://a:7700\", \"tcp://a:7700\"]");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("twice"), std::string::npos) << twice.error().message;
  auto clash = load("endpoint = \"tcp://c:7700\"\nbrokers = [\"tcp://a:7700\", \"tcp://b:7700\"]");
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.error().message.find("differs"), std::string::npos) << clash.error().message;
  auto neither = load("");
  ASSERT_FALSE(neither.ok());
  EXPECT_NE(neither.error().message.find("brokers = ["), std::string::npos)
      << neither.error().message;
}

TEST(BrokerEndpoint, ParsesTheFlagForm) {
  common::PublicKey fallback{};
  fallback[0] = 7;
  auto plain = parseBrokerEndpoint("tcp://h:1", fallback, "--broker");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->curvePublic, fallback);
  auto keyed = parseBrokerEndpoint(std::string("tcp://h:1=") + kKeyA, fallback, "--broker");
  ASSERT_TRUE(keyed.ok());
  EXPECT_EQ(keyed->endpoint, "tcp://h:1");
  EXPECT_TRUE(keyed->ownKey);
  auto bad = parseBrokerEndpoint("http://h:1", fallback, "--broker");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("--broker", 0), 0u);
}

// ---- the session between two fake brokers ----------------------------------------------------

common::UnitStatusMsg failoverStatus(int present) {
  common::UnitStatusMsg s;
  s.unitCode = "12345678";
  s.operational = common::OperationalState::REDUCED;
  s.pupilsPresent = present;
  return s;
}

class SessionFailover : public ::testing::Test {
 protected:
  void SetUp() override {
    agent = test::makeAgent(dir.path(), "tcp://127.0.0.1:1");
    primary = std::make_unique<FakeBroker>(*agent.city);
    standby = std::make_unique<FakeBroker>(*agent.city);
    primary->allow(agent.agentKeys);
    standby->allow(agent.agentKeys);
    primaryEndpoint = primary->endpoint();
    agent.config.endpoint = primaryEndpoint;
    BrokerEndpoint a, b;
    a.endpoint = primaryEndpoint;
    a.curvePublic = agent.city->curvePublic();
    b.endpoint = standby->endpoint();
    b.curvePublic = agent.city->curvePublic();
    b.ownKey = true;
    agent.config.brokers = {a, b};
    agent.config.failoverAfterMs = 300;
    agent.config.failbackJitterMs = 300;
  }

  std::unique_ptr<AgentSession> open() {
    SessionOptions options;
    options.seed = 11;
    options.outboxPollMs = 20;
    auto s = AgentSession::open(context, agent.config, clock, options);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(s).value() : nullptr;
  }

  void report(AgentSession& s, int present) {
    auto q = s.queue({OutboxDraft{common::Mode::ACTUAL, clock.nowMs(), failoverStatus(present)}},
                     common::monotonicMs());
    ASSERT_TRUE(q.ok()) << q.error().message;
  }

  static uint64_t acked(AgentSession& s) {
    auto a = s.outbox().acked();
    return a.ok() ? a->seq : 0;
  }

  // What the standby would hold after replicating the primary: its head moves to the primary's.
  static void replicate(FakeBroker& from, FakeBroker& to) {
    auto frames = from.stored();
    ASSERT_FALSE(frames.empty());
    to.setHead(frames.back().seq, common::hash256(frames.back().body));
  }

  TempDir dir;
  test::AgentFixture agent;
  zmq::context_t context{1};
  common::SystemClock clock;
  std::unique_ptr<FakeBroker> primary;
  std::unique_ptr<FakeBroker> standby;
  std::string primaryEndpoint;
};

TEST_F(SessionFailover, MovesToTheStandbyWhenThePrimaryGoesAndBackWhenItReturns) {
  auto s = open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->isConnected(); }, 5000));
  EXPECT_EQ(s->currentBroker(), primaryEndpoint);
  report(*s, 100);
  report(*s, 101);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return acked(*s) == 2; }, 5000));
  replicate(*primary, *standby);

  primary.reset();  // the primary is gone (its sockets close)
  const int64_t lost = common::monotonicMs();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->currentBrokerIndex() == 1 && s->isConnected(); }, 10000));
  EXPECT_LT(common::monotonicMs() - lost, 10000);
  EXPECT_EQ(s->counters().failovers, 1u);

  report(*s, 102);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return acked(*s) == 3; }, 5000));
  auto onStandby = standby->stored();
  ASSERT_EQ(onStandby.size(), 1u);
  EXPECT_EQ(onStandby[0].seq, 3u);  // continues the primary's chain: nothing twice, no gap

  // status (another process) names the standby and each broker's reach.
  auto st = readAgentStatus(agent.config, clock.nowMs());
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->broker, standby->endpoint());
  ASSERT_EQ(st->brokers.size(), 2u);
  EXPECT_TRUE(st->brokers[0].preferred);
  EXPECT_FALSE(st->brokers[0].current);
  EXPECT_EQ(st->brokers[0].reachable, std::optional<bool>(false));
  EXPECT_TRUE(st->brokers[1].current);
  EXPECT_EQ(st->brokers[1].reachable, std::optional<bool>(true));
  EXPECT_EQ(st->failovers, 1);

  // The primary comes back where it was, having replicated the standby.
  primary = std::make_unique<FakeBroker>(*agent.city, primaryEndpoint);
  primary->allow(agent.agentKeys);
  replicate(*standby, *primary);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->currentBrokerIndex() == 0 && s->isConnected(); }, 10000));
  EXPECT_EQ(s->counters().failbacks, 1u);
  report(*s, 103);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return acked(*s) == 4; }, 5000));
  auto back = primary->stored();
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].seq, 4u);
}

TEST_F(SessionFailover, StartsOnTheStandbyWhenThePrimaryIsDownAtStart) {
  primary.reset();
  auto s = open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->currentBrokerIndex() == 1 && s->isConnected(); }, 10000));
  report(*s, 100);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return acked(*s) == 1; }, 5000));
  EXPECT_EQ(standby->stored().size(), 1u);
}

TEST_F(SessionFailover, DoesNotFollowAStandbyThatIsBehindWhatWasAcknowledged) {
  auto s = open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->isConnected(); }, 5000));
  report(*s, 100);
  report(*s, 101);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return acked(*s) == 2; }, 5000));
  primary.reset();  // the standby has not replicated anything (head 0)
  report(*s, 102);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->currentBrokerIndex() == 1 && s->counters().behindHolds > 0; }, 10000));
  // Following head 0 would re-sign seq 3 as seq 1: a fork of the chain the primary holds.
  auto head = s->outbox().head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->seq, 3u);
  EXPECT_TRUE(standby->stored().empty());
  ASSERT_TRUE(s->lastError());
  EXPECT_NE(s->lastError()->find("waiting for it to catch up"), std::string::npos)
      << *s->lastError();
  EXPECT_EQ(s->counters().realigns, 0u);

  // Replication catches up: the agent goes on from where the primary acknowledged.
  auto ackedHead = s->outbox().acked();
  ASSERT_TRUE(ackedHead.ok());
  standby->setHead(ackedHead->seq, ackedHead->hash);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return acked(*s) == 3; }, 10000));
  ASSERT_EQ(standby->stored().size(), 1u);
  EXPECT_EQ(standby->stored()[0].seq, 3u);
}

}  // namespace
}  // namespace samband::agent
