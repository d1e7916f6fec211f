// The agent session's states×events table (docs/protocol.md, "Agent session"), walked row by
// row: first the pure SessionStateMachine, one test per transition and per event's impossible
// cells; then the real AgentSession against the fake broker, following the same paths.
#include "agent/session_state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "agent/agent_identity.h"
#include "agent/database.h"
#include "agent/key_rotation.h"
#include "agent/session.h"
#include "tests/agent/fake_broker.h"
#include "tests/agent/test_support.h"
#include "tests/support/test_time.h"

namespace samband::agent {
namespace {

using S = SessionState;

const std::vector<S> kAllStates = {
    S::connecting,           S::streaming, S::draining, S::switchingKey,
    S::reconnectingToSwitch, S::switched,  S::stopped};

// ---- the pure table -----------------------------------------------------------------------

TEST(SessionStateMachine, StartsConnecting) {
  EXPECT_EQ(SessionStateMachine().state(), S::connecting);
}

TEST(SessionStateMachine, LinkUpWhileConnectingStartsStreaming) {
  SessionStateMachine m(S::connecting);
  m.onLinkUp();
  EXPECT_EQ(m.state(), S::streaming);
}

TEST(SessionStateMachine, LinkDownWhileConnectingKeepsConnecting) {
  SessionStateMachine m(S::connecting);
  m.onLinkDown();
  EXPECT_EQ(m.state(), S::connecting);
}

TEST(SessionStateMachine, LinkDownWhileStreamingGoesBackToConnecting) {
  SessionStateMachine m(S::streaming);
  m.onLinkDown();
  EXPECT_EQ(m.state(), S::connecting);
}

TEST(SessionStateMachine, ARotationFoundAcknowledgedAtOpenWaitsToReconnectAndSwitch) {
  SessionStateMachine m(S::connecting);
  m.onRotationAcknowledged();
  EXPECT_EQ(m.state(), S::reconnectingToSwitch);
}

TEST(SessionStateMachine, AnAckOfTheRotationWhileStreamingStartsDraining) {
  SessionStateMachine m(S::streaming);
  m.onRotationAcknowledged();
  EXPECT_EQ(m.state(), S::draining);
}

TEST(SessionStateMachine, TheSwitchHeartbeatAfterDrainingStartsSwitchingKey) {
  SessionStateMachine m(S::draining);
  m.onSwitchHeartbeatSent();
  EXPECT_EQ(m.state(), S::switchingKey);
}

TEST(SessionStateMachine, AnotherHeartbeatWhileSwitchingKeyAsksTheSameAgain) {
  SessionStateMachine m(S::switchingKey);
  m.onSwitchHeartbeatSent();
  EXPECT_EQ(m.state(), S::switchingKey);
}

TEST(SessionStateMachine, ACompletedSwitchEndsInSwitched) {
  SessionStateMachine m(S::switchingKey);
  m.onSwitchCompleted();
  EXPECT_EQ(m.state(), S::switched);
}

TEST(SessionStateMachine, AFailedSwitchGoesBackToDraining) {
  SessionStateMachine m(S::switchingKey);
  m.onSwitchFailed();
  EXPECT_EQ(m.state(), S::draining);
}

TEST(SessionStateMachine, LinkDownWhileDrainingWaitsToReconnectAndSwitch) {
  SessionStateMachine m(S::draining);
  m.onLinkDown();
  EXPECT_EQ(m.state(), S::reconnectingToSwitch);
}

TEST(SessionStateMachine, LinkDownWhileSwitchingKeyWaitsToReconnectAndSwitch) {
  SessionStateMachine m(S::switchingKey);
  m.onLinkDown();
  EXPECT_EQ(m.state(), S::reconnectingToSwitch);
}

TEST(SessionStateMachine, LinkDownWhileReconnectingToSwitchKeepsWaiting) {
  SessionStateMachine m(S::reconnectingToSwitch);
  m.onLinkDown();
  EXPECT_EQ(m.state(), S::reconnectingToSwitch);
}

TEST(SessionStateMachine, LinkUpWhileReconnectingToSwitchDrainsFirst) {
  SessionStateMachine m(S::reconnectingToSwitch);
  m.onLinkUp();
  EXPECT_EQ(m.state(), S::draining);
}

TEST(SessionStateMachine, LinkEventsAfterTheSwitchChangeNothing) {
  SessionStateMachine m(S::switched);
  m.onLinkDown();
  EXPECT_EQ(m.state(), S::switched);
  m.onLinkUp();
  EXPECT_EQ(m.state(), S::switched);
}

TEST(SessionStateMachine, ShutdownStopsFromEveryState) {
  for (S s : kAllStates) {
    SessionStateMachine m(s);
    m.onShutdown();
    EXPECT_EQ(m.state(), S::stopped) << sessionStateName(s);
  }
}

TEST(SessionStateMachine, TheObserverSeesEveryChangeButNoSelfLoops) {
  SessionStateMachine m;
  std::vector<std::pair<S, S>> seen;
  m.setObserver([&](S from, S to) { seen.emplace_back(from, to); });
  m.onLinkDown();  // connecting stays connecting
  m.onLinkUp();
  m.onRotationAcknowledged();
  m.onSwitchHeartbeatSent();
  m.onSwitchHeartbeatSent();  // stays switchingKey
  m.onSwitchCompleted();
  m.onShutdown();
  EXPECT_EQ(seen, (std::vector<std::pair<S, S>>{{S::connecting, S::streaming},
                                                {S::streaming, S::draining},
                                                {S::draining, S::switchingKey},
                                                {S::switchingKey, S::switched},
                                                {S::switched, S::stopped}}));
}

TEST(SessionStateMachine, EveryStateHasItsOwnName) {
  std::set<std::string> names;
  for (S s : kAllStates) names.insert(sessionStateName(s));
  EXPECT_EQ(names.size(), kAllStates.size());
}

// The cells the table marks impossible: a bug in the session, which aborts naming both.
void expectImpossible(const std::vector<S>& states, void (SessionStateMachine::*event)(),
                      const char* eventName) {
  for (S s : states) {
    SessionStateMachine m(s);
    EXPECT_DEATH((m.*event)(),
                 std::string(eventName) + " is impossible in state " + sessionStateName(s))
        << sessionStateName(s);
  }
}

TEST(SessionStateMachineDeathTest, LinkUpWhileConnectedOrStoppedIsABug) {
  expectImpossible({S::streaming, S::draining, S::switchingKey, S::stopped},
                   &SessionStateMachine::onLinkUp, "link_up");
}

TEST(SessionStateMachineDeathTest, LinkDownAfterStopIsABug) {
  expectImpossible({S::stopped}, &SessionStateMachine::onLinkDown, "link_down");
}

TEST(SessionStateMachineDeathTest, ARotationAcknowledgedOffTheOldKeysStreamIsABug) {
  expectImpossible({S::draining, S::switchingKey, S::reconnectingToSwitch, S::switched, S::stopped},
                   &SessionStateMachine::onRotationAcknowledged, "rotation_acknowledged");
}

TEST(SessionStateMachineDeathTest, ASwitchHeartbeatOutsideTheSwitchIsABug) {
  expectImpossible({S::connecting, S::streaming, S::reconnectingToSwitch, S::switched, S::stopped},
                   &SessionStateMachine::onSwitchHeartbeatSent, "switch_heartbeat_sent");
}

TEST(SessionStateMachineDeathTest, ASwitchResultWithoutASwitchIsABug) {
  std::vector<S> others = {S::connecting,           S::streaming, S::draining,
                           S::reconnectingToSwitch, S::switched,  S::stopped};
  expectImpossible(others, &SessionStateMachine::onSwitchCompleted, "switch_completed");
  expectImpossible(others, &SessionStateMachine::onSwitchFailed, "switch_failed");
}

// ---- the real session against the fake broker ------------------------------------------------

using samband::test_time::kDeadlineMs;

common::UnitStatusMsg stateStatus(int present) {
  common::UnitStatusMsg s;
  s.unitCode = "12345678";
  s.operational = common::OperationalState::REDUCED;
  s.pupilsPresent = present;
  return s;
}

class SessionStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent = test::makeAgent(dir.path(), "tcp://127.0.0.1:1");
    broker = std::make_unique<test::FakeBroker>(*agent.city);
    broker->allow(agent.agentKeys);
    agent.config.endpoint = broker->endpoint();
  }

  // Opens a session that records every state it enters, starting with its first.
  std::unique_ptr<AgentSession> open() {
    SessionOptions options;
    options.seed = 11;
    options.outboxPollMs = 20;
    auto s = AgentSession::open(context, agent.config, clock, options);
    if (!s.ok()) {
      std::fprintf(stderr, "AgentSession::open: %s\n", s.error().message.c_str());
      std::abort();
    }
    path = {(*s)->state()};
    (*s)->setStateObserver([this](S, S to) { path.push_back(to); });
    return std::move(s).value();
  }

  // Queues reports through another connection, as `samband-agent report` does.
  void report(std::initializer_list<int> presents) {
    auto identity = loadAgentIdentity(agent.config);
    auto db = openAgentDatabase(agent.config.outboxPath, OpenMode::mustExist);
    Outbox outbox(**db, **identity);
    for (int p : presents) {
      ASSERT_TRUE(
          outbox.append({OutboxDraft{common::Mode::ACTUAL, 1000 + p, stateStatus(p)}}, 1).ok());
    }
  }

  bool passedThrough(const std::vector<S>& steps) const {
    return std::search(path.begin(), path.end(), steps.begin(), steps.end()) != path.end();
  }

  std::string pathText() const {
    std::string t;
    for (S s : path) t += std::string(t.empty() ? "" : " → ") + sessionStateName(s);
    return t;
  }

  test::TempDir dir;
  zmq::context_t context{1};
  common::SystemClock clock;
  test::AgentFixture agent;
  std::unique_ptr<test::FakeBroker> broker;
  std::vector<S> path;
};

TEST_F(SessionStateTest, OpensConnectingAndStreamsOnceTheHandshakeSucceeds) {
  auto s = open();
  EXPECT_EQ(s->state(), S::connecting);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->state() == S::streaming; }, kDeadlineMs));
  EXPECT_EQ(path, (std::vector<S>{S::connecting, S::streaming})) << pathText();
  EXPECT_TRUE(s->isConnected());
}

TEST_F(SessionStateTest, ARefusedHandshakeKeepsConnecting) {
  auto stranger = std::make_unique<test::FakeBroker>(*agent.city);  // knows no agent keys
  agent.config.endpoint = stranger->endpoint();
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return stranger->zapRefusals() >= 2; }, kDeadlineMs));
  EXPECT_EQ(s->state(), S::connecting);
  EXPECT_EQ(path, (std::vector<S>{S::connecting})) << pathText();
}

TEST_F(SessionStateTest, ALostConnectionGoesBackToConnectingAndStreamsAgainOnReconnect) {
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->state() == S::streaming; }, kDeadlineMs));
  std::string endpoint = broker->endpoint();
  broker.reset();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->state() == S::connecting; }, kDeadlineMs));
  broker = std::make_unique<test::FakeBroker>(*agent.city, endpoint);
  broker->allow(agent.agentKeys);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->state() == S::streaming; }, kDeadlineMs));
  EXPECT_EQ(path, (std::vector<S>{S::connecting, S::streaming, S::connecting, S::streaming}))
      << pathText();
}

TEST_F(SessionStateTest, AnAckOfTheRotationDrainsThenSwitchesKeyAndAsksForARestart) {
  report({1});
  ASSERT_TRUE(startKeyRotation(agent.config, 2000).ok());
  report({3, 4});
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->wantsRestart(); }, kDeadlineMs));
  EXPECT_EQ(s->state(), S::switched);
  EXPECT_EQ(path, (std::vector<S>{S::connecting, S::streaming, S::draining, S::switchingKey,
                                  S::switched}))
      << pathText();
  // Nothing went out under the old key after the rotation row was acknowledged: the broker
  // holds seqs 1–4 of the old chain, each once.
  EXPECT_EQ(broker->stored().size(), 4u);
  auto identity = common::Identity::load(agent.config.identityPath);
  ASSERT_TRUE(identity.ok());
  EXPECT_NE((*identity)->curvePublic(), agent.agentKeys.curvePublic);  // the rename happened
}

TEST_F(SessionStateTest, ARotationAcknowledgedBeforeOpenAsksForTheHeadAtTheFirstConnect) {
  ASSERT_TRUE(startKeyRotation(agent.config, 2000).ok());
  report({2});
  {
    auto identity = loadAgentIdentity(agent.config);
    auto db = openAgentDatabase(agent.config.outboxPath, OpenMode::mustExist);
    Outbox outbox(**db, **identity);
    ASSERT_TRUE(outbox.ack(1).ok());  // the broker had acknowledged the rotation row
  }
  auto s = open();
  EXPECT_EQ(s->state(), S::reconnectingToSwitch);
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->wantsRestart(); }, kDeadlineMs));
  EXPECT_EQ(path,
            (std::vector<S>{S::reconnectingToSwitch, S::draining, S::switchingKey, S::switched}))
      << pathText();
  EXPECT_TRUE(broker->arrivals().empty());  // the pending row waits for the new key
}

TEST_F(SessionStateTest, AnOldKeyAckReadAfterTheSwitchDeletesNoRowOfTheNewKey) {
  ASSERT_TRUE(startKeyRotation(agent.config, 2000).ok());
  report({2});
  {
    auto identity = loadAgentIdentity(agent.config);
    auto db = openAgentDatabase(agent.config.outboxPath, OpenMode::mustExist);
    Outbox outbox(**db, **identity);
    ASSERT_TRUE(outbox.ack(1).ok());
  }
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->wantsRestart(); }, kDeadlineMs));
  // The pending report is now seq 1 of the new key, never sent. An ack of the old key's seq 1
  // (late on the wire) must not take it away.
  broker->sendDownlink(common::AckMsg{1, false, {}});
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->counters().acks >= 1; }, kDeadlineMs));
  EXPECT_EQ(s->counters().acksIgnoredAfterSwitch, 1u);
  auto identity = loadAgentIdentity(agent.config);
  auto db = openAgentDatabase(agent.config.outboxPath, OpenMode::mustExist);
  Outbox outbox(**db, **identity);
  auto range = outbox.pendingRange();
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->first, 1u);
  EXPECT_EQ(range->second, 1u);
}

TEST_F(SessionStateTest, AFailedSwitchDrainsAgainAndKeepsTheOldKey) {
  ASSERT_TRUE(startKeyRotation(agent.config, 2000).ok());
  {
    auto identity = loadAgentIdentity(agent.config);
    auto db = openAgentDatabase(agent.config.outboxPath, OpenMode::mustExist);
    Outbox outbox(**db, **identity);
    ASSERT_TRUE(outbox.ack(1).ok());
  }
  std::filesystem::remove(nextIdentityPath(agent.config));  // the new key cannot be read
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s,
      [&] {
        return passedThrough({S::switchingKey, S::draining, S::switchingKey});
      },
      kDeadlineMs))
      << pathText();
  EXPECT_FALSE(s->wantsRestart());
  ASSERT_TRUE(s->lastError().has_value());
  EXPECT_NE(s->lastError()->find("cannot switch to the new key"), std::string::npos);
  auto identity = common::Identity::load(agent.config.identityPath);
  EXPECT_EQ((*identity)->curvePublic(), agent.agentKeys.curvePublic);
}

TEST_F(SessionStateTest, ShutdownStopsAndSleepsForever) {
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->state() == S::streaming; }, kDeadlineMs));
  s->shutdown();
  EXPECT_EQ(s->state(), S::stopped);
  EXPECT_EQ(s->nextWakeMs(), INT64_MAX);
  EXPECT_FALSE(s->isConnected());
  s->onTimer(common::monotonicMs());  // ignored
  EXPECT_EQ(s->state(), S::stopped);
}

}  // namespace
}  // namespace samband::agent
