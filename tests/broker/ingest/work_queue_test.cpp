// Tests of WorkQueue, the hand-off between the broker's threads: order, batches, pushAll (one
// lock and one wake-up for a burst), and closing.
#include "broker/ingest/work_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace samband::broker {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueueTest, PushAllKeepsOrderAndEmptiesTheBurst) {
  WorkQueue<std::string> q;
  ASSERT_TRUE(q.push("a"));
  std::vector<std::string> burst{"b", "c", "d"};
  ASSERT_TRUE(q.pushAll(burst));
  EXPECT_TRUE(burst.empty());
  std::vector<std::string> out;
  ASSERT_TRUE(q.popBatch(out, 3, 0ms));
  EXPECT_EQ(out, (std::vector<std::string>{"a", "b", "c"}));
  out.clear();
  ASSERT_TRUE(q.popBatch(out, 10, 0ms));
  EXPECT_EQ(out, (std::vector<std::string>{"d"}));
  EXPECT_EQ(q.size(), 0u);
}

TEST(WorkQueueTest, PushAllWakesAWaitingConsumer) {
  WorkQueue<int> q;
  std::vector<int> got;
  std::thread consumer([&] { q.popBatch(got, 100, 10s); });
  std::this_thread::sleep_for(50ms);
  std::vector<int> burst{1, 2, 3};
  ASSERT_TRUE(q.pushAll(burst));
  consumer.join();  // would take 10 s if the push did not wake it
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front(), 1);
}

TEST(WorkQueueTest, ClosedQueueRefusesPushesAndEndsConsumers) {
  WorkQueue<int> q;
  std::vector<int> burst{1};
  ASSERT_TRUE(q.pushAll(burst));
  q.close();
  EXPECT_FALSE(q.push(2));
  std::vector<int> late{3, 4};
  EXPECT_FALSE(q.pushAll(late));
  EXPECT_TRUE(late.empty());  // dropped on purpose: the broker is stopping
  std::vector<int> out;
  EXPECT_TRUE(q.popBatch(out, 10, 0ms));  // what was queued before close still drains
  EXPECT_EQ(out, (std::vector<int>{1}));
  out.clear();
  EXPECT_FALSE(q.popBatch(out, 10, 0ms));
  EXPECT_TRUE(q.pushAll(out));  // an empty burst is a no-op
}

}  // namespace
}  // namespace samband::broker
