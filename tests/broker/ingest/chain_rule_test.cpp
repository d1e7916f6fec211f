// Tests of the chain rule alone: each verdict (append, duplicate, replay, gap, fork) from a head,
// a frame's seq and hashes, and the body stored at that seq. No database, no keys.
#include "broker/ingest/chain_rule.h"

#include <gtest/gtest.h>

#include <optional>

namespace samband::broker {
namespace {

using common::Bytes;

const Bytes kH1(32, 0x11), kH2(32, 0x22), kH3(32, 0x33), kOther(32, 0x99);

ChainHead headAt2() { return ChainHead{2, kH2}; }

TEST(ChainRule, AcceptsFirstFrameOfAnEmptyChain) {
  const Bytes none;
  EXPECT_FALSE(needsStoredBody(ChainHead{}, 1));
  EXPECT_EQ(judgeLink(ChainHead{}, ChainLink{1, none, kH1}, std::nullopt), ChainVerdict::append);
}

TEST(ChainRule, AcceptsNextSeqLinkedToTheHead) {
  EXPECT_EQ(judgeLink(headAt2(), ChainLink{3, kH2, kH3}, std::nullopt), ChainVerdict::append);
}

TEST(ChainRule, SameBodyAtAStoredSeqIsADuplicate) {
  ASSERT_TRUE(needsStoredBody(headAt2(), 2));
  EXPECT_EQ(judgeLink(headAt2(), ChainLink{2, kH1, kH2}, kH2), ChainVerdict::duplicate);
  EXPECT_EQ(judgeLink(headAt2(), ChainLink{1, Bytes{}, kH1}, kH1), ChainVerdict::duplicate);
}

TEST(ChainRule, OtherBodyAtAStoredSeqIsAReplay) {
  EXPECT_EQ(judgeLink(headAt2(), ChainLink{2, kH1, kOther}, kH2), ChainVerdict::replay);
  EXPECT_EQ(chainRefusalDetail(ChainVerdict::replay, headAt2(), 2),
            "seq 2 is already taken by another message");
}

TEST(ChainRule, SeqAtOrBelowHeadWithNothingStoredIsAReplay) {
  // A chain whose older frames are gone (pruned or never stored here) still never takes them.
  EXPECT_EQ(judgeLink(headAt2(), ChainLink{1, Bytes{}, kH1}, std::nullopt), ChainVerdict::replay);
}

TEST(ChainRule, SeqBeyondHeadPlusOneIsAGap) {
  EXPECT_FALSE(needsStoredBody(headAt2(), 4));
  EXPECT_EQ(judgeLink(headAt2(), ChainLink{4, kH3, kOther}, std::nullopt), ChainVerdict::gap);
  EXPECT_EQ(chainRefusalDetail(ChainVerdict::gap, headAt2(), 4), "expected seq 3");
}

TEST(ChainRule, ChainNotStartingAtOneIsAGap) {
  const Bytes none;
  EXPECT_EQ(judgeLink(ChainHead{}, ChainLink{2, none, kH2}, std::nullopt), ChainVerdict::gap);
  EXPECT_EQ(chainRefusalDetail(ChainVerdict::gap, ChainHead{}, 2), "expected seq 1");
}

TEST(ChainRule, NextSeqWithWrongPrevHashIsAFork) {
  EXPECT_EQ(judgeLink(headAt2(), ChainLink{3, kH1, kH3}, std::nullopt), ChainVerdict::fork);
  EXPECT_EQ(chainRefusalDetail(ChainVerdict::fork, headAt2(), 3),
            "prevHash does not match the stored chain");
}

TEST(ChainRule, FirstFrameWithAPrevHashIsAFork) {
  EXPECT_EQ(judgeLink(ChainHead{}, ChainLink{1, kOther, kH1}, std::nullopt), ChainVerdict::fork);
}

}  // namespace
}  // namespace samband::broker
