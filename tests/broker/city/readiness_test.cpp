// Unit tests of readiness checks without HTTP or processes: issuing a check (signed into the city
// chain, queued per enrolled provider), recording answers, the report's outcomes, and closing
// checks at the deadline. A temporary SQLite file and real keys.
#include "broker/city/readiness.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "broker/store/city_store.h"
#include "broker/store/store.h"
#include "common/identity.h"
#include "tests/broker/store/store_fixture.h"
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using samband::test_time::kNow;

class ReadinessTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    enrollProvider(*alpha_, "10000001", kNow);
    enrollProvider(*beta_, "20000001", kNow);
  }

  std::string issue(CheckOptions o = {}) {
    auto id = issueCheck(*store_, *city_, o, kNow);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : "";
  }

  void answer(const std::string& provider, const std::string& checkId, int64_t at,
              bool diskPassed = true, bool confirmed = false) {
    common::ReadinessAnswerMsg a;
    a.checkId = checkId;
    a.confirmed = confirmed;
    a.results = {{"clock_skew", true, "12 ms"}, {"disk", diskPassed, "free"}};
    ASSERT_TRUE(recordReadinessAnswer(*store_, provider, a, at - 10, at, 0).ok());
  }

  ReadinessReport report(const std::string& id, int64_t nowMs) {
    auto r = readinessReport(*store_, id, std::nullopt, nowMs);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : ReadinessReport{};
  }

  std::unique_ptr<common::Identity> city_ = common::Identity::generate("city");
  std::unique_ptr<common::Identity> alpha_ = common::Identity::generate("556677-0001");
  std::unique_ptr<common::Identity> beta_ = common::Identity::generate("556677-0002");
};

TEST_F(ReadinessTest, IssuedCheckGoesToEveryEnrolledProviderAsOneSignedCityFrame) {
  const std::string id = issue();
  EXPECT_EQ(id.rfind("rc-", 0), 0u) << id;
  CityStore city(*store_);
  for (const auto* p : {alpha_.get(), beta_.get()}) {
    auto due = city.dueOutbound(p->id(), kNow, 32);
    ASSERT_TRUE(due.ok()) << due.error().message;
    ASSERT_EQ(due->size(), 1u) << p->id();
  }
  auto r = report(id, kNow);
  EXPECT_EQ(r.providers.size(), 2u);
  EXPECT_FALSE(r.deadlinePassed);
  EXPECT_EQ(r.missing, 2);
}

TEST_F(ReadinessTest, ScheduledCheckForADateThatHasOneIsAConflict) {
  CheckOptions o;
  o.scheduledFor = "2025-11-25";
  issue(o);
  auto again = issueCheck(*store_, *city_, o, kNow + 1000);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, common::ErrorKind::conflict);
  auto checks = CityStore(*store_).recentChecks(10);
  ASSERT_TRUE(checks.ok());
  EXPECT_EQ(checks->size(), 1u) << "the refused check left nothing behind";
}

TEST_F(ReadinessTest, ReportSortsAnswersIntoAnsweredLateAndMissing) {
  CheckOptions o;
  o.deadlineMs = 60'000;
  const std::string id = issue(o);
  answer(alpha_->id(), id, kNow + 42'000, /*diskPassed=*/false);
  auto open = report(id, kNow + 50'000);
  EXPECT_EQ(open.answered, 1);
  EXPECT_EQ(open.missing, 1);
  EXPECT_EQ(open.failed, 1);
  ASSERT_EQ(open.providers[0].provider, alpha_->id());
  EXPECT_EQ(open.providers[0].outcome, "answered");
  EXPECT_EQ(open.providers[0].secondsToAnswer, 42);
  EXPECT_EQ(open.providers[0].failedTests, std::vector<std::string>{"disk"});
  EXPECT_DOUBLE_EQ(open.providers[0].answerRate30, 1.0);

  answer(beta_->id(), id, kNow + 90'000);
  auto closed = report(id, kNow + 100'000);
  EXPECT_TRUE(closed.deadlinePassed);
  EXPECT_EQ(closed.providers[1].outcome, "late");
  EXPECT_EQ(closed.late, 1);
  EXPECT_DOUBLE_EQ(closed.providers[1].answerRate30, 0.0);
  EXPECT_FALSE(closed.allGood());
}

TEST_F(ReadinessTest, TextReportSaysWhyASelfTestFailed) {
  CheckOptions o;
  o.deadlineMs = 60'000;
  const std::string id = issue(o);
  answer(alpha_->id(), id, kNow + 42'000, /*diskPassed=*/false);
  const std::string text = report(id, kNow + 50'000).toText();
  EXPECT_NE(text.find(alpha_->id() + "  failed: disk (free)"), std::string::npos) << text;
  EXPECT_EQ(text.find("failed: clock_skew"), std::string::npos) << text;
}

TEST_F(ReadinessTest, ProgressLineCountsAnsweredFailedWaitingAndTimeLeft) {
  CheckOptions o;
  o.deadlineMs = 600'000;
  const std::string id = issue(o);
  EXPECT_EQ(report(id, kNow).progressText(kNow),
            "0/2 answered, 0 failed, 2 waiting \u2014 10 min left");
  answer(alpha_->id(), id, kNow + 42'000, /*diskPassed=*/false);
  EXPECT_EQ(report(id, kNow + 50'000).progressText(kNow + 50'000),
            "1/2 answered, 1 failed, 1 waiting \u2014 10 min left");
  EXPECT_EQ(report(id, kNow + 570'000).progressText(kNow + 570'000),
            "1/2 answered, 1 failed, 1 waiting \u2014 30 s left");
  EXPECT_EQ(report(id, kNow + 700'000).progressText(kNow + 700'000),
            "1/2 answered, 1 failed, 1 waiting \u2014 deadline passed");
}

TEST_F(ReadinessTest, AnswerMarksTheQueuedCheckDelivered) {
  const std::string id = issue();
  answer(alpha_->id(), id, kNow + 1000);
  auto due = CityStore(*store_).dueOutbound(alpha_->id(), kNow + 2000, 32);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
}

TEST_F(ReadinessTest, LaterConfirmationKeepsTheFirstAnswerTime) {
  CheckOptions o;
  o.requireConfirmation = true;
  const std::string id = issue(o);
  answer(alpha_->id(), id, kNow + 1000);
  EXPECT_FALSE(report(id, kNow + 2000).providers[0].confirmed);
  answer(alpha_->id(), id, kNow + 5000, true, /*confirmed=*/true);
  auto r = report(id, kNow + 6000);
  EXPECT_TRUE(r.providers[0].confirmed);
  EXPECT_EQ(r.providers[0].secondsToAnswer, 1);
  EXPECT_EQ(r.unconfirmed, 1) << "beta has not confirmed";
}

TEST_F(ReadinessTest, ClosesOnlyChecksWhoseDeadlinePassed) {
  CheckOptions o;
  o.deadlineMs = 60'000;
  const std::string id = issue(o);
  ASSERT_TRUE(closeDueChecks(*store_, kNow + 59'000).ok());
  auto due = CityStore(*store_).checksDueForClosing(kNow + 60'000);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, std::vector<std::string>{id}) << "not closed before its deadline";
  ASSERT_TRUE(closeDueChecks(*store_, kNow + 60'000).ok());
  due = CityStore(*store_).checksDueForClosing(kNow + 120'000);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
}

TEST_F(ReadinessTest, UnknownCheckIsNotFound) {
  auto r = readinessReport(*store_, std::string("rc-nope"), std::nullopt, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, common::ErrorKind::notFound);
}

TEST_F(ReadinessTest, DatabaseErrorsComeBackAsResultsNotExceptions) {
  store_->db().exec("DROP TABLE readiness_answers");
  common::ReadinessAnswerMsg a;
  a.checkId = "rc-x";
  auto recorded = recordReadinessAnswer(*store_, alpha_->id(), a, kNow, kNow, 0);
  ASSERT_FALSE(recorded.ok());
  EXPECT_EQ(recorded.error().kind, common::ErrorKind::unavailable);
  store_->db().exec("DROP TABLE readiness_checks");
  auto closed = closeDueChecks(*store_, kNow);
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().kind, common::ErrorKind::unavailable);
}

}  // namespace
}  // namespace samband::broker
