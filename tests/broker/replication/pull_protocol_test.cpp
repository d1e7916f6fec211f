// The pull protocol's control parts are untrusted: every malformed shape is refused cleanly.
#include "broker/replication/pull_protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace samband::broker {
namespace {

TEST(PullProtocol, RoundTripsARequest) {
  PullRequest r;
  r.heads = {{"556677-8899", "00aa", 7}, {"city", "11bb", 3}};
  r.maxFrames = 100;
  r.waitMs = 250;
  r.skip = {{"556677-8899", "00aa"}};
  auto back = decodePullRequest(encodePullRequest(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->heads.size(), 2u);
  EXPECT_EQ(back->heads[0].sender, "556677-8899");
  EXPECT_EQ(back->heads[1].seq, 3u);
  EXPECT_EQ(back->maxFrames, 100u);
  EXPECT_EQ(back->waitMs, 250);
  ASSERT_EQ(back->skip.size(), 1u);
}

TEST(PullProtocol, ClampsWhatThePeerAsksFor) {
  auto r = decodePullRequest(R"({"heads":[],"max_frames":99999999,"wait_ms":99999999})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->maxFrames, kMaxPullBatch);
  EXPECT_EQ(r->waitMs, kMaxPullWaitMs);
}

TEST(PullProtocol, RefusesMalformedRequests) {
  for (const char* bad : {
           "",
           "[]",
           "not json",
           R"({"heads":{},"max_frames":1,"wait_ms":0})",
           R"({"heads":[["a","b"]],"max_frames":1,"wait_ms":0})",
           R"({"heads":[["a","b",-1]],"max_frames":1,"wait_ms":0})",
           R"({"heads":[["","b",1]],"max_frames":1,"wait_ms":0})",
           R"({"heads":[[1,"b",1]],"max_frames":1,"wait_ms":0})",
           R"({"heads":[],"max_frames":"1","wait_ms":0})",
           R"({"heads":[],"max_frames":1})",
           R"({"heads":[],"max_frames":1,"wait_ms":0,"skip":[["a"]]})",
       }) {
    EXPECT_FALSE(decodePullRequest(bad).ok()) << bad;
  }
  EXPECT_FALSE(decodePullRequest(std::string(kMaxPullRequestBytes + 1, ' ')).ok());
}

TEST(PullProtocol, AnswerHeaderIsChecked) {
  auto ok = decodeAnswerMeta(encodeAnswerMeta(42));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 42u);
  EXPECT_FALSE(decodeAnswerMeta("{}").ok());
  EXPECT_FALSE(decodeAnswerMeta(R"({"remaining":-1})").ok());
  EXPECT_FALSE(decodeAnswerMeta("garbage").ok());
}

TEST(PullProtocol, PasswordHashesBesideTheFramesAreBoundedStrings) {
  const std::vector<std::string> hashes{"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA",
                                        "$argon2id$other"};
  const std::string meta = encodeAnswerMeta(7, hashes);
  ASSERT_TRUE(decodeAnswerMeta(meta).ok());
  EXPECT_EQ(*decodeAnswerMeta(meta), 7u);
  auto back = decodeAnswerHashes(meta);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, hashes);
  // An older peer sends none.
  EXPECT_TRUE(decodeAnswerHashes(encodeAnswerMeta(1))->empty());
  EXPECT_EQ(encodeAnswerMeta(1).find("password_hashes"), std::string::npos);
  // Hostile shapes.
  EXPECT_FALSE(decodeAnswerHashes(R"({"remaining":0,"password_hashes":"x"})").ok());
  EXPECT_FALSE(decodeAnswerHashes(R"({"remaining":0,"password_hashes":[1]})").ok());
  EXPECT_FALSE(decodeAnswerHashes(R"({"remaining":0,"password_hashes":[""]})").ok());
  EXPECT_FALSE(
      decodeAnswerHashes(encodeAnswerMeta(0, {std::string(kMaxPasswordHashBytes + 1, 'a')})).ok());
  EXPECT_FALSE(
      decodeAnswerHashes(encodeAnswerMeta(0, std::vector<std::string>(kMaxAnswerHashes + 1, "$h")))
          .ok());
  EXPECT_TRUE(decodeAnswerHashes(encodeAnswerMeta(0, std::vector<std::string>(
                                                         kMaxAnswerHashes,
                                                         std::string(kMaxPasswordHashBytes, 'a'))))
                  .ok());
}

}  // namespace
}  // namespace samband::broker
