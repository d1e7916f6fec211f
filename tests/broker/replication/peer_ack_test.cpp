// PeerAckHold: an ack waits for the peer's commit while the peer is in contact, and goes out on
// the local commit alone once the peer has been silent longer than the timeout.
#include "broker/replication/peer_ack.h"

#include <gtest/gtest.h>

namespace samband::broker {
namespace {

class FakeClock : public common::Clock {
 public:
  int64_t nowMs() const override { return now; }
  int64_t now = 1'000'000;
};

Reply ackFor(const std::string& key, uint64_t seq) {
  Reply r;
  r.routingId = "agent";
  r.downlink = {1, 2, 3};
  r.ackKeyId = key;
  r.ackSeq = seq;
  return r;
}

TEST(PeerAckHold, HoldsAnAckUntilThePeerCommittedIt) {
  FakeClock clock;
  PeerProgress progress;
  PeerAckHold hold(progress, clock, 5000);
  progress.notePull("b", {{"p", "k", 1}}, clock.now);
  std::vector<Reply> in;
  in.push_back(ackFor("k", 2));
  Reply head;
  head.routingId = "agent";
  in.push_back(head);  // not an ack: goes out at once
  auto out = hold.hold(std::move(in));
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(hold.held(), 1u);
  clock.now += 100;
  EXPECT_TRUE(hold.due().empty());
  progress.notePull("b", {{"p", "k", 2}}, clock.now);
  auto released = hold.due();
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].ackSeq, 2u);
  EXPECT_EQ(hold.held(), 0u);
}

TEST(PeerAckHold, AcksOnTheLocalCommitWhenThePeerIsSilentTooLong) {
  FakeClock clock;
  PeerProgress progress;
  PeerAckHold hold(progress, clock, 5000);
  progress.notePull("b", {}, clock.now);
  std::vector<Reply> in;
  in.push_back(ackFor("k", 1));
  EXPECT_TRUE(hold.hold(std::move(in)).empty());
  clock.now += 4000;
  EXPECT_TRUE(hold.due().empty());
  clock.now += 1500;  // 5.5 s without a pull
  EXPECT_EQ(hold.due().size(), 1u);
  // While the peer stays silent, acks are not held at all.
  std::vector<Reply> next;
  next.push_back(ackFor("k", 2));
  EXPECT_EQ(hold.hold(std::move(next)).size(), 1u);
}

TEST(PeerAckHold, AHeldAckGoesOutAfterTheTimeoutEvenIfThePeerKeepsPulling) {
  // A peer that pulls but cannot commit the frame (e.g. it lacks the sender's enrolment) must
  // not hold the agent's ack forever.
  FakeClock clock;
  PeerProgress progress;
  PeerAckHold hold(progress, clock, 5000);
  progress.notePull("b", {}, clock.now);
  std::vector<Reply> in;
  in.push_back(ackFor("k", 1));
  EXPECT_TRUE(hold.hold(std::move(in)).empty());
  for (int i = 0; i < 5; ++i) {
    clock.now += 1000;
    progress.notePull("b", {}, clock.now);
    EXPECT_TRUE(hold.due().empty());
  }
  clock.now += 1000;
  progress.notePull("b", {}, clock.now);
  EXPECT_EQ(hold.due().size(), 1u);
}

}  // namespace
}  // namespace samband::broker
