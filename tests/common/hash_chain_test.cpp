// The per-key hash chain of docs/protocol.md: seq 1, 2, 3... with prevHash = BLAKE2b-256 of the
// previous body. A small walker (the audit's logic in miniature) must detect gaps, forks and
// rewritten bodies in a sequence of sealed envelopes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/codec.h"
#include "common/identity.h"
#include "tests/common/sample_messages.h"

namespace samband::common {
namespace {

using namespace samband::common::testing;

enum class ChainFault { none, undecodable, badSignature, gap, fork, brokenLink };

struct ChainVerdict {
  ChainFault fault = ChainFault::none;
  uint64_t atSeq = 0;  // seq of the frame where the walk stopped
  uint64_t headSeq = 0;
};

// Walks the archived envelopes of one (sender, key) in the order stored. Heartbeats are outside
// the chain and skipped.
ChainVerdict walkChain(const PublicKey& key, const std::vector<Bytes>& envelopes) {
  ChainVerdict v;
  Bytes headBody;
  for (const Bytes& frame : envelopes) {
    auto parts = decodeEnvelope(frame);
    if (!parts) return {ChainFault::undecodable, v.headSeq + 1, v.headSeq};
    if (!verifyBody(key, parts->body, parts->signature)) {
      return {ChainFault::badSignature, v.headSeq + 1, v.headSeq};
    }
    auto m = decodeBody(parts->body);
    if (!m) return {ChainFault::undecodable, v.headSeq + 1, v.headSeq};
    if (m->isHeartbeat()) continue;
    if (m->seq <= v.headSeq) {
      if (parts->body != headBody || m->seq != v.headSeq) {
        return {ChainFault::fork, m->seq, v.headSeq};
      }
      continue;  // an identical duplicate of the head is harmless
    }
    if (m->seq != v.headSeq + 1) return {ChainFault::gap, m->seq, v.headSeq};
    Bytes expected = v.headSeq == 0 ? Bytes{} : hash256(headBody);
    if (m->prevHash != expected) return {ChainFault::brokenLink, m->seq, v.headSeq};
    v.headSeq = m->seq;
    headBody = parts->body;
  }
  return v;
}

class HashChain : public ::testing::Test {
 protected:
  void SetUp() override {
    initSodium();
    identity_ = Identity::generate(kProvider);
  }

  Message next(int variant) {
    UnitStatusMsg s = sampleUnitStatus();
    s.pupilsPresent = 300 + variant;
    Message m = envelopeFields(s, seq_ + 1);
    m.keyId = identity_->keyId();
    m.sentAt = kSentAt + variant * 1000;
    m.prevHash = headHash_;
    return m;
  }

  // Seals the next body of the chain and advances the head.
  SealedFrame append(int variant) {
    SealedFrame f = seal(*identity_, next(variant));
    ++seq_;
    headHash_ = f.bodyHash;
    return f;
  }

  std::vector<Bytes> chainOf(int length) {
    std::vector<Bytes> out;
    for (int i = 0; i < length; ++i) out.push_back(append(i).envelope);
    return out;
  }

  SealedFrame heartbeat() {
    Message m = envelopeFields(sampleHeartbeat(), 0);
    m.keyId = identity_->keyId();
    return seal(*identity_, m);
  }

  std::unique_ptr<Identity> identity_;
  uint64_t seq_ = 0;
  Bytes headHash_;
};

TEST_F(HashChain, SealedSequenceFormsAnUnbrokenChain) {
  auto frames = chainOf(10);
  ChainVerdict v = walkChain(identity_->signPublic(), frames);
  EXPECT_EQ(v.fault, ChainFault::none);
  EXPECT_EQ(v.headSeq, 10u);
}

TEST_F(HashChain, EachPrevHashIsTheHashOfThePreviousBodyBytes) {
  SealedFrame first = append(0);
  SealedFrame second = append(1);
  auto m1 = decodeBody(first.body);
  auto m2 = decodeBody(second.body);
  ASSERT_TRUE(m1.ok() && m2.ok());
  EXPECT_TRUE(m1->prevHash.empty());
  EXPECT_EQ(m2->prevHash, hash256(first.body));
  EXPECT_EQ(m2->prevHash, first.bodyHash);
}

TEST_F(HashChain, HeartbeatsInBetweenDoNotBreakTheChain) {
  std::vector<Bytes> frames;
  for (int i = 0; i < 5; ++i) {
    frames.push_back(heartbeat().envelope);
    frames.push_back(append(i).envelope);
  }
  ChainVerdict v = walkChain(identity_->signPublic(), frames);
  EXPECT_EQ(v.fault, ChainFault::none);
  EXPECT_EQ(v.headSeq, 5u);
}

TEST_F(HashChain, IdenticalDuplicateOfTheHeadIsHarmless) {
  auto frames = chainOf(3);
  frames.push_back(frames.back());
  EXPECT_EQ(walkChain(identity_->signPublic(), frames).fault, ChainFault::none);
}

TEST_F(HashChain, MissingFrameIsDetectedAsAGap) {
  auto frames = chainOf(8);
  frames.erase(frames.begin() + 4);  // seq 5
  ChainVerdict v = walkChain(identity_->signPublic(), frames);
  EXPECT_EQ(v.fault, ChainFault::gap);
  EXPECT_EQ(v.atSeq, 6u);
  EXPECT_EQ(v.headSeq, 4u);
}

TEST_F(HashChain, MissingFirstFrameIsDetectedAsAGap) {
  auto frames = chainOf(3);
  frames.erase(frames.begin());
  ChainVerdict v = walkChain(identity_->signPublic(), frames);
  EXPECT_EQ(v.fault, ChainFault::gap);
  EXPECT_EQ(v.atSeq, 2u);
}

TEST_F(HashChain, TwoDifferentBodiesWithTheSameSeqAreAFork) {
  auto frames = chainOf(4);
  // A restored-from-backup agent signs a different seq 5 from the same head.
  Bytes head = headHash_;
  SealedFrame a = append(100);
  seq_ = 4;
  headHash_ = head;
  SealedFrame b = append(200);
  ASSERT_NE(a.body, b.body);
  frames.push_back(a.envelope);
  frames.push_back(b.envelope);
  ChainVerdict v = walkChain(identity_->signPublic(), frames);
  EXPECT_EQ(v.fault, ChainFault::fork);
  EXPECT_EQ(v.atSeq, 5u);
}

TEST_F(HashChain, ForkBelowTheHeadIsDetected) {
  auto frames = chainOf(6);
  // A second, different seq 3 arrives after seq 6.
  Message m = envelopeFields(sampleContinuity(), 3);
  m.keyId = identity_->keyId();
  frames.push_back(seal(*identity_, m).envelope);
  ChainVerdict v = walkChain(identity_->signPublic(), frames);
  EXPECT_EQ(v.fault, ChainFault::fork);
  EXPECT_EQ(v.atSeq, 3u);
}

TEST_F(HashChain, RewrittenAndResignedBodyBreaksTheNextLink) {
  auto frames = chainOf(6);
  // The key holder re-signs a different body 3 with the original seq and prevHash.
  auto original = decodeBody(decodeEnvelope(frames[2])->body);
  ASSERT_TRUE(original.ok());
  Message rewritten = *original;
  std::get<UnitStatusMsg>(rewritten.payload).pupilsPresent = 0;
  frames[2] = seal(*identity_, rewritten).envelope;
  ChainVerdict v = walkChain(identity_->signPublic(), frames);
  EXPECT_EQ(v.fault, ChainFault::brokenLink);
  EXPECT_EQ(v.atSeq, 4u);
}

TEST_F(HashChain, RewrittenBodyWithoutResigningFailsItsSignature) {
  auto frames = chainOf(4);
  auto parts = decodeEnvelope(frames[1]);
  ASSERT_TRUE(parts.ok());
  auto m = decodeBody(parts->body);
  ASSERT_TRUE(m.ok());
  std::get<UnitStatusMsg>(m->payload).note = "Allt normalt";
  frames[1] = encodeEnvelope(encodeBody(*m), parts->signature);
  ChainVerdict v = walkChain(identity_->signPublic(), frames);
  EXPECT_EQ(v.fault, ChainFault::badSignature);
  EXPECT_EQ(v.atSeq, 2u);
}

TEST_F(HashChain, FramesSignedByAnotherKeyAreRefused) {
  auto frames = chainOf(3);
  auto intruder = Identity::generate(kProvider);
  Message m = next(9);
  m.keyId = identity_->keyId();  // claims the victim's key id
  frames.push_back(seal(*intruder, m).envelope);
  ChainVerdict v = walkChain(identity_->signPublic(), frames);
  EXPECT_EQ(v.fault, ChainFault::badSignature);
  EXPECT_EQ(v.headSeq, 3u);
}

TEST_F(HashChain, FirstFrameCarryingAPrevHashNeverEntersTheChain) {
  // A seq 1 that claims a predecessor: the codec refuses that shape before any chain check.
  Message m = next(0);
  m.prevHash = Bytes(32, 1);
  SealedFrame f = seal(*identity_, m);
  ChainVerdict v = walkChain(identity_->signPublic(), {f.envelope});
  EXPECT_EQ(v.fault, ChainFault::undecodable);
}

}  // namespace
}  // namespace samband::common
