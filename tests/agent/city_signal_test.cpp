// The city's signal (issue 10, §5): the pure rules of agent/city_signal.h (silence while
// connected, rollback, a beacon naming a directive or check that never came), the city_signal
// self-test, and a session against a fake broker that withholds beacons or relays forged ones.
#include "agent/city_signal.h"

#include <gtest/gtest.h>

#include <zmq.hpp>

#include "agent/agent_status.h"
#include "agent/city_message.h"
#include "agent/database.h"
#include "agent/selftest.h"
#include "agent/session.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/ids.h"
#include "tests/agent/fake_broker.h"
#include "tests/agent/test_support.h"
#include "tests/support/test_time.h"

namespace samband::agent {
namespace {

using samband::test_time::kThursday;
constexpr int64_t kMinute = 60'000;
using samband::test_time::kDeadlineMs;
const char kSilence[] = "no signed word from the city for 14 min although connected";

common::Message beaconBody(int64_t sentAt, uint64_t directive = 0, std::string check = "",
                           int64_t checkAt = 0) {
  common::Message m;
  m.senderId = common::kCitySenderId;
  m.keyId = common::Bytes(8, 1);
  m.sentAt = sentAt;
  m.payload = common::TimeBeaconMsg{
      common::ReadinessLevel::NORMAL, directive, std::move(check), checkAt, {}};
  return m;
}

common::Bytes signedBeacon(const common::Identity& signer, int64_t sentAt) {
  common::Message m = beaconBody(sentAt);
  m.keyId = signer.keyId();
  return common::seal(signer, m).envelope;
}

TEST(CitySignal, SilenceWhileConnectedBeyondTheLimitIsReportedInWords) {
  CitySignalRow row;
  noteBeacon(row, beaconBody(kThursday - 14 * kMinute), kThursday - 14 * kMinute);
  CitySignalInputs in;
  in.nowMs = kThursday;
  in.connected = true;
  in.connectedAt = kThursday - 30 * kMinute;
  in.row = row;
  auto a = assessCitySignal(in);
  ASSERT_FALSE(a.ok);
  EXPECT_NE(a.problems.front().find(kSilence), std::string::npos) << a.problems.front();
  EXPECT_NE(a.problems.front().find("call the city's duty officer"), std::string::npos);

  in.connected = false;  // silence is judged only while connected
  EXPECT_TRUE(assessCitySignal(in).ok);
  in.connected = true;
  in.row.heardAt = kThursday - kMinute;  // heard a minute ago, but what it said was signed long ago
  EXPECT_FALSE(assessCitySignal(in).ok);
}

TEST(CitySignal, AnAgentThatNeverHeardTheCityCountsFromItsConnection) {
  CitySignalInputs in;
  in.nowMs = kThursday;
  in.connected = true;
  in.connectedAt = kThursday - 5 * kMinute;
  EXPECT_TRUE(assessCitySignal(in).ok);
  in.connectedAt = kThursday - 11 * kMinute;
  EXPECT_FALSE(assessCitySignal(in).ok);
}

TEST(CitySignal, AnOlderBeaconIsARollbackAndChangesNothing) {
  CitySignalRow row;
  EXPECT_EQ(noteBeacon(row, beaconBody(kThursday), kThursday), BeaconOutcome::newer);
  EXPECT_EQ(noteBeacon(row, beaconBody(kThursday), kThursday + 1000), BeaconOutcome::same);
  EXPECT_EQ(noteBeacon(row, beaconBody(kThursday - kMinute, 9), kThursday + 2000),
            BeaconOutcome::older);
  EXPECT_EQ(row.beaconAt, kThursday);
  EXPECT_EQ(row.lastSignedAt, kThursday);
  EXPECT_EQ(row.heardAt, kThursday);
  EXPECT_EQ(row.beacon.directiveNumber, 0u);
}

TEST(CitySignal, ABeaconNamingADirectiveOrCheckThatNeverCameSaysSo) {
  CitySignalRow row;
  noteBeacon(row, beaconBody(kThursday - 10 * kMinute, 3), kThursday - 10 * kMinute);  // baseline 3
  noteBeacon(row, beaconBody(kThursday, 5, "rc-2026-11-25-ab", kThursday - 5 * kMinute), kThursday);
  CitySignalInputs in;
  in.nowMs = kThursday;
  in.connected = true;
  in.row = row;
  in.appliedDirective = 3;
  in.holdsNewestCheck = false;
  auto a = assessCitySignal(in);
  ASSERT_EQ(a.problems.size(), 2u);
  EXPECT_NE(a.problems[0].find("directive number 5 but the newest this agent has is 3"),
            std::string::npos);
  EXPECT_NE(a.problems[1].find("readiness check rc-2026-11-25-ab, which never reached"),
            std::string::npos);
  in.appliedDirective = 5;
  in.holdsNewestCheck = true;
  EXPECT_TRUE(assessCitySignal(in).ok);
}

// Two brokers of one city each issue directives (issue 15): the beacon names the newest per
// issuing key, and one missing from a key shows although a higher number of another key arrived.
TEST(CitySignal, ABeaconNamesTheNewestDirectivePerIssuingKey) {
  const common::Bytes primary(8, 0xa1), standby(8, 0xb2);
  CitySignalRow row;
  noteBeacon(row, beaconBody(kThursday - 10 * kMinute, 3), kThursday - 10 * kMinute);  // baseline 3
  common::Message m = beaconBody(kThursday, 7);
  std::get<common::TimeBeaconMsg>(m.payload).directiveMarks = {{primary, 7}, {standby, 6}};
  noteBeacon(row, m, kThursday);
  CitySignalInputs in;
  in.nowMs = kThursday;
  in.row = row;
  in.appliedDirective = 7;  // the highest over both keys: the single number sees nothing wrong
  in.appliedByKey = {{common::toHex(primary), 7}, {common::toHex(standby), 4}};
  auto a = assessCitySignal(in);
  ASSERT_EQ(a.problems.size(), 1u);
  EXPECT_NE(a.problems[0].find("directive number 6 of city key " + common::toHex(standby) +
                               " but the newest this agent has from that key is 4"),
            std::string::npos)
      << a.problems[0];
  in.appliedByKey[common::toHex(standby)] = 6;
  EXPECT_TRUE(assessCitySignal(in).ok);
  // A mark at or below the first beacon's number predates this agent.
  in.appliedByKey[common::toHex(standby)] = 0;
  std::get<common::TimeBeaconMsg>(m.payload).directiveMarks = {{primary, 7}, {standby, 3}};
  row.beacon = std::get<common::TimeBeaconMsg>(m.payload);
  in.row = row;
  EXPECT_TRUE(assessCitySignal(in).ok);
}

// Issue 15: `samband-agent status` is a process of its own and reads the row back from
// outbox.db: the beacon's per-key marks are stored (migration 13), so it judges them per key like
// the running session, not by the single directiveNumber.
TEST(CitySignal, TheMarksAreKeptInOutboxDbSoStatusJudgesThemPerKey) {
  test::TempDir dir;
  auto db = openAgentDatabase(dir.path() + "/outbox.db", OpenMode::createIfMissing);
  ASSERT_TRUE(db.ok()) << db.error().message;
  const common::Bytes primary(8, 0xa1), standby(8, 0xb2);
  CitySignalRow row;
  noteBeacon(row, beaconBody(kThursday - 10 * kMinute, 3), kThursday - 10 * kMinute);
  common::Message m = beaconBody(kThursday, 7);
  std::get<common::TimeBeaconMsg>(m.payload).directiveMarks = {{primary, 7}, {standby, 6}};
  noteBeacon(row, m, kThursday);
  CitySignalStore store(**db);
  ASSERT_TRUE(store.write(row).ok());
  auto back = store.read();
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->beacon.directiveMarks, row.beacon.directiveMarks);
  CitySignalInputs in;
  in.nowMs = kThursday;
  in.row = *back;
  in.appliedDirective = 7;
  in.appliedByKey = {{common::toHex(primary), 7}, {common::toHex(standby), 4}};
  auto a = assessCitySignal(in);
  ASSERT_EQ(a.problems.size(), 1u);
  EXPECT_NE(a.problems[0].find("of city key " + common::toHex(standby)), std::string::npos)
      << a.problems[0];
}

TEST(CitySignal, DirectivesAndChecksFromBeforeTheFirstBeaconAreNotClaimedMissing) {
  CitySignalRow row;
  noteBeacon(row, beaconBody(kThursday, 7, "rc-old", kThursday - 60 * kMinute), kThursday);
  CitySignalInputs in;
  in.nowMs = kThursday;
  in.row = row;
  in.appliedDirective = 0;  // a newly enrolled agent was never sent directive 7 or rc-old
  in.holdsNewestCheck = false;
  EXPECT_TRUE(assessCitySignal(in).ok);
}

TEST(CitySignal, TheSelfTestFailsWithTheSentenceWhenTheCityFellSilent) {
  SelfTestInputs in;
  in.nowMs = kThursday;
  in.connected = true;
  in.connectedAt = kThursday - 60 * kMinute;
  noteBeacon(in.citySignal, beaconBody(kThursday - 14 * kMinute), kThursday - 14 * kMinute);
  auto results = evaluateSelfTests(in, SelfTestLimits());
  ASSERT_EQ(results.back().name, "city_signal");
  EXPECT_FALSE(results.back().passed);
  EXPECT_NE(results.back().detail.find(kSilence), std::string::npos) << results.back().detail;
  EXPECT_LE(results.back().detail.size(), common::kMaxShortText);

  noteBeacon(in.citySignal, beaconBody(kThursday - kMinute), kThursday - kMinute);
  results = evaluateSelfTests(in, SelfTestLimits());
  EXPECT_TRUE(results.back().passed) << results.back().detail;
}

TEST(CitySignal, OnlyATimeBeaconFromTheCityKeyVerifies) {
  auto city = common::Identity::generate(common::kCitySenderId);
  auto other = common::Identity::generate(common::kCitySenderId);
  auto ok = verifyTimeBeacon(signedBeacon(*city, kThursday),
                             common::CityKeyring(city->signPublic()), kThursday);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->sentAt, kThursday);
  auto forged = verifyTimeBeacon(signedBeacon(*other, kThursday),
                                 common::CityKeyring(city->signPublic()), kThursday);
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().kind, common::ErrorKind::unauthorised);
  // A beacon is never taken for a message for the inbox.
  EXPECT_FALSE(verifyCityMessage(signedBeacon(*city, kThursday),
                                 common::CityKeyring(city->signPublic()), kThursday)
                   .ok());
}

class CitySignalSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent = test::makeAgent(dir.path(), "tcp://127.0.0.1:1");
    broker = std::make_unique<test::FakeBroker>(*agent.city);
    broker->allow(agent.agentKeys);
    agent.config.endpoint = broker->endpoint();
    agent.config.selfTest.citySignalMaxAgeMs = 1000;
  }
  std::unique_ptr<AgentSession> open() {
    SessionOptions options;
    options.outboxPollMs = 20;
    return AgentSession::open(context, agent.config, clock, options).value();
  }
  bool selfTestFails(AgentSession& s, std::string* detail) {
    auto in = gatherSelfTestInputs(s, clock.nowMs());
    if (!in.ok()) return false;
    auto results = evaluateSelfTests(*in, agent.config.selfTest);
    *detail = results.back().detail;
    return !results.back().passed;
  }

  test::TempDir dir;
  zmq::context_t context{1};
  common::SystemClock clock;
  test::AgentFixture agent;
  std::unique_ptr<test::FakeBroker> broker;
};

TEST_F(CitySignalSessionTest, ABeaconSignedByTheCityMovesCityLastSignedAt) {
  const int64_t signedAt = clock.nowMs();
  broker->setBeacon(signedBeacon(*agent.city, signedAt));
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->citySignal().lastSignedAt == signedAt; }, kDeadlineMs));
  broker->setBeacon(signedBeacon(*agent.city, signedAt + 500));
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->citySignal().lastSignedAt == signedAt + 500; }, kDeadlineMs));
  EXPECT_EQ(s->counters().beaconsRefused, 0u);
  // Kept in outbox.db for `status`, another process.
  auto st = readAgentStatus(agent.config, clock.nowMs());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->cityLastSignedAt, signedAt + 500);

  // Rolled back to the older beacon: refused, and nothing moves.
  broker->setBeacon(signedBeacon(*agent.city, signedAt));
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->counters().beaconsRefused > 0; }, kDeadlineMs));
  EXPECT_EQ(s->citySignal().lastSignedAt, signedAt + 500);
  ASSERT_TRUE(s->lastError().has_value());
  EXPECT_NE(s->lastError()->find("rollback"), std::string::npos);
}

TEST_F(CitySignalSessionTest, ForgedBeaconsAreRefusedAndTheSelfTestFailsWhenTheCityIsSilent) {
  auto other = common::Identity::generate(common::kCitySenderId);
  broker->setBeacon(signedBeacon(*other, clock.nowMs()));
  auto s = open();
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return s->counters().beaconsRefused >= 2; }, kDeadlineMs));
  EXPECT_EQ(s->citySignal().lastSignedAt, 0);
  ASSERT_TRUE(s->lastError().has_value());
  EXPECT_NE(s->lastError()->find("not signed by the pinned city key"), std::string::npos);
  std::string detail;
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return selfTestFails(*s, &detail); }, kDeadlineMs));
  EXPECT_NE(detail.find("although connected: the broker or the network may be withholding the "
                        "city's messages; call the city's duty officer"),
            std::string::npos)
      << detail;
  // A well-behaved broker's beacon clears it.
  broker->setBeacon(signedBeacon(*agent.city, clock.nowMs()));
  ASSERT_TRUE(test::driveUntil(
      *s, [&] { return !selfTestFails(*s, &detail); }, kDeadlineMs));
}

}  // namespace
}  // namespace samband::agent
