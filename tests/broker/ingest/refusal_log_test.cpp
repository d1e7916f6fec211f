// Tests of RefusalLog: what a burst of refusals writes to the log (one line at once per reason
// and provider, then one count per interval), the line budget, and the bound on tracked pairs.
#include "broker/ingest/refusal_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>
#include "tests/support/test_time.h"

namespace samband::broker {
namespace {

using samband::test_time::kNow;

class RefusalLogTest : public ::testing::Test {
 protected:
  std::vector<std::string> lines_;
  std::vector<common::LogFields> fields_;
  RefusalLog log_{[this](const std::string& l, const common::LogFields& f) {
                    lines_.push_back(l);
                    fields_.push_back(f);
                  },
                  10'000, 20};
};

TEST_F(RefusalLogTest, ABurstWritesOneLineAtOnceAndItsCountAfterTheInterval) {
  for (int i = 0; i < 1000; ++i) log_.note("clock_skew", "556677-0001", kNow + i);
  log_.flush(kNow + 1000);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].rfind("refused 1 frame from provider 556677-0001: clock_skew", 0), 0u)
      << lines_[0];
  log_.flush(kNow + 10'000);
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[1],
            "refused 999 frames more from provider 556677-0001: clock_skew in the last 10 s");
  log_.flush(kNow + 20'000);
  EXPECT_EQ(lines_.size(), 2u) << "a quiet interval writes nothing";
  log_.note("clock_skew", "556677-0001", kNow + 30'000);
  EXPECT_EQ(lines_.size(), 3u) << "after a quiet interval the next refusal is logged at once";
}

TEST_F(RefusalLogTest, EachReasonAndProviderHasItsOwnLine) {
  log_.note("clock_skew", "556677-0001", kNow);
  log_.note("replay", "556677-0001", kNow);
  log_.note("clock_skew", "556677-0002", kNow);
  log_.note("malformed", "", kNow);
  ASSERT_EQ(lines_.size(), 4u);
  EXPECT_NE(lines_[3].find("an unidentified peer: malformed"), std::string::npos) << lines_[3];
}

TEST_F(RefusalLogTest, LinesCarryTheProviderAndTheReasonAsJournalFields) {
  log_.note("clock_skew", "556677-0001", kNow);
  log_.note("malformed", "", kNow);
  log_.note("clock_skew", "556677-0001", kNow + 1);
  log_.flush(kNow + 10'000);
  ASSERT_EQ(fields_.size(), 3u);
  EXPECT_EQ(fields_[0].provider, "556677-0001");
  EXPECT_EQ(fields_[0].reason, "clock_skew");
  EXPECT_EQ(fields_[1].provider, "") << "an unidentified peer names no provider";
  EXPECT_EQ(fields_[1].reason, "malformed");
  EXPECT_EQ(fields_[2].provider, "556677-0001") << "the count line carries them too";
  EXPECT_EQ(fields_[2].reason, "clock_skew");
}

TEST_F(RefusalLogTest, ManyClaimedSendersAreBoundedAndTheLinesRateLimited) {
  for (int i = 0; i < 5000; ++i) {
    log_.note("unknown_sender", "5566" + std::to_string(100000 + i), kNow);
  }
  EXPECT_LE(lines_.size(), 20u) << "at most 20 lines a second";
  log_.flush(kNow + 10'000);
  ASSERT_FALSE(lines_.empty());
  EXPECT_NE(lines_.back().find("other providers"), std::string::npos) << lines_.back();
  EXPECT_NE(lines_.back().find("suppressed"), std::string::npos) << lines_.back();
}

}  // namespace
}  // namespace samband::broker
