// The readiness self-tests: every rule with inputs that pass and inputs that fail (pure
// evaluation with fakes), statvfs on a temporary directory, the inputs gathered from a real
// session's outbox, and the [selftest] limits in agent.toml.
#include "agent/selftest.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <zmq.hpp>

#include "agent/agent_config.h"
#include "agent/agent_init.h"
#include "agent/database.h"
#include "agent/outbox.h"
#include "agent/session.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/config.h"
#include "tests/agent/test_support.h"
#include "tests/support/test_time.h"

namespace samband::agent {
namespace {

using samband::test_time::kThursday;
constexpr int64_t kHour = 3'600'000;

SelfTestInputs healthy() {
  SelfTestInputs in;
  in.nowMs = kThursday;
  in.connected = true;
  in.endpoint = "tcp://127.0.0.1:7700";
  in.clockSkewMs = 120;
  in.diskFreeBytes = uint64_t{5} << 30;
  in.outboxPending = 2;
  in.oldestQueuedAt = kThursday - 5000;
  in.identityMode = S_IFREG | 0600;
  in.units = {"12345678", "87654321"};
  in.lastStatusAt = {{"12345678", kThursday - kHour}, {"87654321", kThursday - 25 * kHour}};
  in.dutyContactConfigured = true;
  return in;
}

const common::SelfTestMsg& find(const std::vector<common::SelfTestMsg>& results,
                                const std::string& name) {
  for (const auto& r : results) {
    if (r.name == name) return r;
  }
  static const common::SelfTestMsg kMissing{"missing", false, ""};
  ADD_FAILURE() << "no self-test " << name;
  return kMissing;
}

bool passes(const SelfTestInputs& in, const std::string& name,
            const SelfTestLimits& limits = SelfTestLimits()) {
  return find(evaluateSelfTests(in, limits), name).passed;
}

TEST(SelfTests, AHealthyAgentPassesEveryTestInTheDocumentedOrder) {
  auto results = evaluateSelfTests(healthy(), SelfTestLimits());
  ASSERT_EQ(results.size(), std::size(kSelfTestNames));
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].name, kSelfTestNames[i]);
    EXPECT_TRUE(results[i].passed) << results[i].name << ": " << results[i].detail;
    EXPECT_FALSE(results[i].detail.empty());
    EXPECT_LE(results[i].detail.size(), common::kMaxShortText);
  }
}

TEST(SelfTests, BrokerLinkFailsWhenNotConnected) {
  auto in = healthy();
  in.connected = false;
  EXPECT_FALSE(passes(in, "broker_link"));
}

TEST(SelfTests, ClockSkewFailsBeyondTheLimitEitherWayAndWhenUnknown) {
  auto in = healthy();
  SelfTestLimits limits;
  limits.clockSkewMaxMs = 60'000;
  in.clockSkewMs = 60'000;
  EXPECT_TRUE(passes(in, "clock_skew", limits));
  in.clockSkewMs = 60'001;
  EXPECT_FALSE(passes(in, "clock_skew", limits));
  in.clockSkewMs = -90'000;  // the broker's clock is behind: ours is ahead
  auto r = find(evaluateSelfTests(in, limits), "clock_skew");
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("this server's clock is 90.0 s ahead of the city's broker"),
            std::string::npos)
      << r.detail;
  in.clockSkewMs.reset();
  EXPECT_FALSE(passes(in, "clock_skew", limits));
}

TEST(SelfTests, ClockSkewBeyondTwoMinutesByDefaultTellsTheOperatorToFixTimeSync) {
  auto in = healthy();
  const SelfTestLimits defaults;
  in.clockSkewMs = 120'000;
  EXPECT_TRUE(passes(in, "clock_skew", defaults));
  in.clockSkewMs = -300'000;  // the broker 5 min behind: this server 5 min ahead
  auto r = find(evaluateSelfTests(in, defaults), "clock_skew");
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.detail,
            "this server's clock is 5 min ahead of the city's broker (limit 120.0 s): fix time "
            "synchronisation (timedatectl set-ntp true, or chrony)");
  EXPECT_LE(r.detail.size(), common::kMaxShortText);
  in.clockSkewMs = 121'000;
  EXPECT_NE(find(evaluateSelfTests(in, defaults), "clock_skew").detail.find("121.0 s behind"),
            std::string::npos);
}

TEST(SelfTests, DiskFreeFailsBelowTheMinimumAndWhenUnknown) {
  auto in = healthy();
  SelfTestLimits limits;
  limits.diskFreeMinBytes = 100LL << 20;
  in.diskFreeBytes = uint64_t{100} << 20;
  EXPECT_TRUE(passes(in, "disk_free", limits));
  in.diskFreeBytes = (uint64_t{100} << 20) - 1;
  EXPECT_FALSE(passes(in, "disk_free", limits));
  in.diskFreeBytes.reset();
  EXPECT_FALSE(passes(in, "disk_free", limits));
}

TEST(SelfTests, OutboxDepthFailsWhenTooManyWaitOrTheOldestIsTooOld) {
  auto in = healthy();
  SelfTestLimits limits;
  limits.outboxMaxPending = 10;
  limits.outboxMaxAgeMs = 60'000;
  in.outboxPending = 10;
  EXPECT_TRUE(passes(in, "outbox_depth", limits));
  in.outboxPending = 11;
  EXPECT_FALSE(passes(in, "outbox_depth", limits));
  in.outboxPending = 1;
  in.oldestQueuedAt = kThursday - 60'001;
  EXPECT_FALSE(passes(in, "outbox_depth", limits));
  in.outboxPending = 0;  // an empty outbox has no oldest row
  in.oldestQueuedAt.reset();
  EXPECT_TRUE(passes(in, "outbox_depth", limits));
}

TEST(SelfTests, KeyFileModeFailsWhenGroupOrOthersHaveAccessOrTheFileIsGone) {
  auto in = healthy();
  in.identityMode = S_IFREG | 0400;
  EXPECT_TRUE(passes(in, "key_file_mode"));
  in.identityMode = S_IFREG | 0640;
  auto r = find(evaluateSelfTests(in, SelfTestLimits()), "key_file_mode");
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("0640"), std::string::npos) << r.detail;
  in.identityMode = S_IFREG | 0604;
  EXPECT_FALSE(passes(in, "key_file_mode"));
  in.identityMode.reset();
  EXPECT_FALSE(passes(in, "key_file_mode"));
}

TEST(SelfTests, StatusAgeFailsForAUnitWithoutARecentReportAndNamesIt) {
  auto in = healthy();
  in.lastStatusAt["87654321"] = kThursday - 27 * kHour;
  auto r = find(evaluateSelfTests(in, SelfTestLimits()), "status_age");
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("87654321 27 h"), std::string::npos) << r.detail;
  EXPECT_EQ(r.detail.find("12345678"), std::string::npos) << r.detail;
  in.lastStatusAt.erase("87654321");
  r = find(evaluateSelfTests(in, SelfTestLimits()), "status_age");
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("87654321 never"), std::string::npos) << r.detail;
}

// Local dates in Stockholm for one test; the zone the test binary had before comes back after.
class ScopedStockholmTime {
 public:
  ScopedStockholmTime() {
    const char* old = std::getenv("TZ");
    hadOld_ = old != nullptr;
    if (hadOld_) old_ = old;
    ::setenv("TZ", "Europe/Stockholm", 1);
    ::tzset();
  }
  ~ScopedStockholmTime() {
    if (hadOld_) {
      ::setenv("TZ", old_.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::string old_;
  bool hadOld_ = false;
};

constexpr int64_t kFridayAfternoon = 1802440800000;  // Fri 2027-02-12 15:00 in Stockholm
constexpr int64_t kMondayMorning = 1802674800000;    // Mon 2027-02-15 08:00 in Stockholm

TEST(SelfTests, StatusAgeCountsSchoolTimeSoFridaysReportPassesOnMonday) {
  ScopedStockholmTime zone;
  auto in = healthy();
  in.nowMs = kMondayMorning;
  in.lastStatusAt = {{"12345678", kFridayAfternoon}, {"87654321", kFridayAfternoon}};
  auto r = find(evaluateSelfTests(in, SelfTestLimits()), "status_age");
  EXPECT_TRUE(r.passed) << r.detail;  // 17 h of school time, 65 h of wall time
  EXPECT_NE(r.detail.find("of school time"), std::string::npos) << r.detail;

  // A holiday week from agent.toml [calendar] does not count either.
  in.nowMs = kMondayMorning + 7 * 24 * kHour;
  in.calendar = common::SchoolCalendar({{{2027, 2, 15}, {2027, 2, 19}, "sportlov"}});
  EXPECT_TRUE(passes(in, "status_age"));
  in.calendar = common::SchoolCalendar();
  EXPECT_FALSE(passes(in, "status_age"));
}

TEST(SelfTests, StatusAgeCountsEveryHourAtHeightenedLevel) {
  ScopedStockholmTime zone;
  auto in = healthy();
  in.nowMs = kMondayMorning;
  in.lastStatusAt = {{"12345678", kFridayAfternoon}, {"87654321", kMondayMorning - kHour}};
  in.calendarExcuses = false;
  auto r = find(evaluateSelfTests(in, SelfTestLimits()), "status_age");
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("12345678 65 h"), std::string::npos) << r.detail;
}

TEST(SelfTests, DetailsStayWithinTheWireBoundForManyUnits) {
  auto in = healthy();
  in.units.clear();
  in.lastStatusAt.clear();
  for (int i = 0; i < 200; ++i) in.units.push_back(std::to_string(10000000 + i));
  auto results = evaluateSelfTests(in, SelfTestLimits());
  const auto& r = find(results, "status_age");
  EXPECT_FALSE(r.passed);
  EXPECT_LE(r.detail.size(), common::kMaxShortText);
  // The answer carrying them passes the codec's own bounds.
  common::Message m;
  m.senderId = "556677-8899";
  m.keyId = common::Bytes(8, 1);
  m.seq = 1;
  m.sentAt = kThursday;
  m.payload = common::ReadinessAnswerMsg{"rc-2026-11-25-abcdef", results, false, kThursday};
  EXPECT_TRUE(common::validate(m).ok());
}

TEST(SelfTests, DutyContactFailsWhenNotConfiguredAndNeverSendsIt) {
  auto in = healthy();
  EXPECT_EQ(find(evaluateSelfTests(in, SelfTestLimits()), "duty_contact").detail, "configured");
  in.dutyContactConfigured = false;
  EXPECT_FALSE(passes(in, "duty_contact"));
}

TEST(SelfTests, ResultsRoundTripThroughTheInboxJson) {
  auto results = evaluateSelfTests(healthy(), SelfTestLimits());
  auto back = selfTestsFromJson(selfTestsToJson(results));
  ASSERT_EQ(back.size(), results.size());
  for (size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].name, results[i].name);
    EXPECT_EQ(back[i].passed, results[i].passed);
    EXPECT_EQ(back[i].detail, results[i].detail);
  }
  EXPECT_TRUE(selfTestsFromJson("not json").empty());
  EXPECT_TRUE(selfTestsFromJson("").empty());
}

TEST(SelfTests, FreeDiskBytesReadsTheFileSystem) {
  test::TempDir dir;
  auto free = freeDiskBytes(dir.path());
  ASSERT_TRUE(free.has_value());
  EXPECT_GT(*free, 0u);
  EXPECT_FALSE(freeDiskBytes(dir.file("no/such/dir")).has_value());
  EXPECT_EQ(directoryOf("/var/lib/samband/outbox.db"), "/var/lib/samband");
  EXPECT_EQ(directoryOf("outbox.db"), ".");
  EXPECT_EQ(directoryOf("/outbox.db"), "/");
}

TEST(SelfTests, GathersInputsFromTheSessionAndItsOutbox) {
  test::TempDir dir;
  auto agent = test::makeAgent(dir.path(), "tcp://127.0.0.1:1");
  agent.config.dutyContact = "Jour 08-123 456";
  const int64_t queuedAt = common::SystemClock().nowMs();
  {
    // Reports as `samband-agent report` queues them: only actual ones count for status_age.
    auto identity = common::Identity::load(agent.config.identityPath);
    auto db = openAgentDatabase(agent.config.outboxPath, OpenMode::createIfMissing);
    Outbox outbox(**db, **identity);
    common::UnitStatusMsg s;
    s.unitCode = "12345678";
    common::UnitStatusMsg drill;
    drill.unitCode = "87654321";
    ASSERT_TRUE(outbox
                    .append({OutboxDraft{common::Mode::ACTUAL, queuedAt, s},
                             OutboxDraft{common::Mode::EXERCISE, queuedAt, drill}},
                            queuedAt)
                    .ok());
  }
  zmq::context_t context(1);
  common::SystemClock clock;
  auto session = AgentSession::open(context, agent.config, clock, SessionOptions());
  ASSERT_TRUE(session.ok()) << session.error().message;
  auto in = gatherSelfTestInputs(**session, clock.nowMs());
  ASSERT_TRUE(in.ok()) << in.error().message;
  EXPECT_FALSE(in->connected);
  EXPECT_FALSE(in->clockSkewMs.has_value());
  EXPECT_TRUE(in->diskFreeBytes.has_value());
  EXPECT_EQ(in->outboxPending, 2u);
  ASSERT_TRUE(in->oldestQueuedAt.has_value());
  EXPECT_EQ(*in->oldestQueuedAt, queuedAt);
  ASSERT_TRUE(in->identityMode.has_value());
  EXPECT_EQ(*in->identityMode & 0777, 0600u);
  EXPECT_EQ(in->units, agent.config.units);
  EXPECT_EQ(in->lastStatusAt.size(), 1u);
  EXPECT_EQ(in->lastStatusAt["12345678"], queuedAt);
  EXPECT_TRUE(in->dutyContactConfigured);

  ::chmod(agent.config.identityPath.c_str(), 0644);
  auto loose = gatherSelfTestInputs(**session, clock.nowMs());
  EXPECT_FALSE(passes(*loose, "key_file_mode"));
  EXPECT_FALSE(passes(*loose, "status_age"));  // 87654321 had only an exercise report
}

TEST(SelfTests, AgentInitialisedWithADutyContactPassesDutyContact) {
  test::TempDir dir;
  auto city = common::Identity::generate("city");
  ASSERT_TRUE(city->publicPart().save(dir.file("city.pub")).ok());
  auto dutyOf = [&](const std::string& name, const std::string& contact) {
    InitRequest r;
    r.dir = dir.file(name);
    r.provider = "556677-8899";
    r.name = "Exempelskolan AB";
    r.broker = "tcp://127.0.0.1:1";
    r.cityKeysPath = dir.file("city.pub");
    r.units = {"12345678"};
    r.dutyContact = contact;
    auto made = initAgentDirectory(r, kThursday);
    EXPECT_TRUE(made.ok()) << made.error().message;
    auto config = loadAgentConfig(made->configPath);
    EXPECT_TRUE(config.ok()) << config.error().message;
    zmq::context_t context(1);
    common::SystemClock clock;
    auto session = AgentSession::open(context, *config, clock, SessionOptions());
    EXPECT_TRUE(session.ok()) << session.error().message;
    auto in = gatherSelfTestInputs(**session, clock.nowMs());
    EXPECT_TRUE(in.ok()) << in.error().message;
    return find(evaluateSelfTests(*in, SelfTestLimits()), "duty_contact");
  };
  auto with = dutyOf("with", "IT-jour 08-123 456 78");
  EXPECT_TRUE(with.passed) << with.detail;
  EXPECT_EQ(with.detail.find("08-123"), std::string::npos);  // the contact is never sent
  EXPECT_FALSE(dutyOf("without", "").passed);
}

TEST(SelfTests, LimitsComeFromTheSelftestTableWithDefaults) {
  test::TempDir dir;
  auto agent = test::makeAgent(dir.path(), "tcp://127.0.0.1:1");
  const std::string path = agent.config.configPath;
  auto defaults = loadAgentConfig(path);
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->selfTest.clockSkewMaxMs, 120'000);
  EXPECT_EQ(defaults->selfTest.diskFreeMinBytes, 100LL << 20);
  EXPECT_EQ(defaults->selfTest.outboxMaxPending, 1000);
  EXPECT_EQ(defaults->selfTest.outboxMaxAgeMs, 3'600'000);
  EXPECT_EQ(defaults->selfTest.statusMaxAgeMs, 26 * kHour);

  auto original = common::readFile(path);
  ASSERT_TRUE(original.ok());
  std::ofstream(path, std::ios::app) << "\n[selftest]\nclock_skew_max_s = 5\ndisk_free_min_mb = 1\n"
                                        "outbox_max_pending = 7\noutbox_max_age_s = 90\n"
                                        "status_max_age_h = 48\n";
  auto set = loadAgentConfig(path);
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->selfTest.clockSkewMaxMs, 5000);
  EXPECT_EQ(set->selfTest.diskFreeMinBytes, 1LL << 20);
  EXPECT_EQ(set->selfTest.outboxMaxPending, 7);
  EXPECT_EQ(set->selfTest.outboxMaxAgeMs, 90'000);
  EXPECT_EQ(set->selfTest.statusMaxAgeMs, 48 * kHour);

  std::ofstream(path, std::ios::trunc) << *original << "\n[selftest]\nstatus_max_age_h = 0\n";
  auto bad = loadAgentConfig(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("status_max_age_h"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace samband::agent
