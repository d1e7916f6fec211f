// SendWindow (agent/send_window.h) on its own: the window limit, cumulative acks, the ack
// timeout, send rounds after a resend or reconnect, and what a realign does to the cursor.
#include "agent/send_window.h"

#include <gtest/gtest.h>

namespace samband::agent {
namespace {

constexpr int64_t kTimeoutMs = 400;

// Sends every row the window allows from the cursor, as AgentSession::pump does.
std::vector<uint64_t> sendAll(SendWindow& w, int64_t nowMs) {
  std::vector<uint64_t> sent;
  w.beginRound();
  while (w.room() > 0) {
    uint64_t seq = w.cursor();
    w.recordSent(seq, static_cast<int64_t>(seq) + 100, nowMs);
    sent.push_back(seq);
  }
  return sent;
}

TEST(SendWindow, SendsPendingRowsInSeqOrderUpToTheWindow) {
  SendWindow w(3);
  w.setPending(1, 5);
  EXPECT_EQ(w.pendingCount(), 5u);
  EXPECT_FALSE(w.hasInFlight());
  EXPECT_EQ(sendAll(w, 10), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_TRUE(w.hasInFlight());
  EXPECT_EQ(w.room(), 0u);
}

TEST(SendWindow, NeverSendsPastTheLastPendingRow) {
  SendWindow w(10);
  w.setPending(4, 5);
  EXPECT_EQ(sendAll(w, 10), (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(w.room(), 0u);
}

TEST(SendWindow, AnAckCoversEveryEarlierSeqAndOpensTheWindow) {
  SendWindow w(3);
  w.setPending(1, 5);
  sendAll(w, 10);
  w.onAck(2, 20);
  w.setPending(3, 5);  // the outbox deleted rows 1 and 2
  EXPECT_FALSE(w.takeSent(1).has_value());
  EXPECT_FALSE(w.takeSent(2).has_value());
  EXPECT_EQ(sendAll(w, 20), (std::vector<uint64_t>{4, 5}));
  auto third = w.takeSent(3);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->rowId, 103);
}

TEST(SendWindow, TheAckTimeoutRunsFromTheFirstFrameAndRestartsWithEachNewerAck) {
  SendWindow w(10);
  w.setPending(1, 3);
  sendAll(w, 1000);
  EXPECT_FALSE(w.isAckOverdue(1000 + kTimeoutMs - 1, kTimeoutMs));
  EXPECT_TRUE(w.isAckOverdue(1000 + kTimeoutMs, kTimeoutMs));
  w.onAck(1, 1200);
  w.setPending(2, 3);
  EXPECT_EQ(w.ackDeadlineMs(kTimeoutMs), 1200 + kTimeoutMs);
  w.onAck(1, 1300);  // not news: the wait goes on
  EXPECT_EQ(w.ackDeadlineMs(kTimeoutMs), 1200 + kTimeoutMs);
}

TEST(SendWindow, NothingInFlightIsNeverOverdue) {
  SendWindow w(10);
  w.setPending(1, 3);
  EXPECT_FALSE(w.isAckOverdue(1000000, kTimeoutMs));
  sendAll(w, 0);
  w.onAck(3, 10);
  w.setPending(0, 0);  // all acknowledged
  EXPECT_FALSE(w.hasInFlight());
  EXPECT_EQ(w.pendingCount(), 0u);
  EXPECT_EQ(w.cursor(), 0u);
  EXPECT_FALSE(w.isAckOverdue(1000000, kTimeoutMs));
}

TEST(SendWindow, RestartingFromTheFirstUnackedRowRewindsAndStartsANewRound) {
  SendWindow w(10);
  w.setPending(1, 3);
  EXPECT_FALSE(w.restartFromFirstUnacked(0));  // a first send, not a resend
  uint64_t firstRound = w.epoch();
  sendAll(w, 0);
  EXPECT_TRUE(w.restartFromFirstUnacked(500));  // rows were in flight: a resend
  EXPECT_EQ(w.epoch(), firstRound + 1);
  EXPECT_EQ(w.cursor(), 1u);
  EXPECT_FALSE(w.hasInFlight());
  EXPECT_EQ(w.ackDeadlineMs(kTimeoutMs), 500 + kTimeoutMs);
  // A frame of the earlier round is still on record with that round's epoch.
  auto old = w.takeSent(2);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->epoch, firstRound);
  sendAll(w, 500);
  EXPECT_EQ(w.takeSent(2)->epoch, firstRound + 1);
}

TEST(SendWindow, AReconnectForgetsTheFramesAndAcksOfTheOldConnection) {
  SendWindow w(10);
  w.setPending(1, 5);
  sendAll(w, 0);
  w.onAck(3, 10);
  EXPECT_TRUE(w.isOlderThanAcked(2));
  w.onConnect();
  EXPECT_FALSE(w.isOlderThanAcked(2));
  EXPECT_FALSE(w.takeSent(4).has_value());
  EXPECT_EQ(w.cursor(), 0u);
  w.setPending(4, 5);
  EXPECT_EQ(w.cursor(), 4u);
  EXPECT_EQ(sendAll(w, 20), (std::vector<uint64_t>{4, 5}));
}

TEST(SendWindow, ADisconnectForgetsTheFramesAndUnblocks) {
  SendWindow w(10);
  w.setPending(1, 2);
  sendAll(w, 0);
  w.setBlocked(true);
  w.onDisconnect();
  EXPECT_FALSE(w.isBlocked());
  EXPECT_FALSE(w.takeSent(1).has_value());
}

TEST(SendWindow, ANewRoundClearsTheBlock) {
  SendWindow w(10);
  w.setPending(1, 2);
  w.setBlocked(true);
  w.beginRound();
  EXPECT_FALSE(w.isBlocked());
}

TEST(SendWindow, PendingRowsMovedBelowTheCursorKeepItWhereItIsAndAboveItPullItUp) {
  SendWindow w(10);
  w.setPending(1, 5);
  sendAll(w, 0);       // cursor 6
  w.setPending(3, 4);  // a realign re-signed rows down onto the broker's head
  EXPECT_EQ(w.cursor(), 6u);
  EXPECT_EQ(w.room(), 0u);  // past the last row: nothing until a restart
  w.restartFromFirstUnacked(10);
  EXPECT_EQ(sendAll(w, 10), (std::vector<uint64_t>{3, 4}));
  w.setPending(9, 9);  // acks and new rows moved the range past the cursor
  EXPECT_EQ(w.cursor(), 9u);
}

TEST(SendWindow, KeepsOnlyTheNewestRecordsOfFramesOnTheWire) {
  SendWindow w(SendWindow::kMaxSentRecords + 10);
  w.setPending(1, SendWindow::kMaxSentRecords + 1);
  sendAll(w, 0);
  EXPECT_FALSE(w.takeSent(1).has_value());
  EXPECT_TRUE(w.takeSent(2).has_value());
  EXPECT_TRUE(w.takeSent(SendWindow::kMaxSentRecords + 1).has_value());
}

}  // namespace
}  // namespace samband::agent
