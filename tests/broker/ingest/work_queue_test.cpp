// Tests of WorkQueue, the hand-off between the broker's threads: order, batches, pushAll (one
// lock and one wake-up for a burst), a sleeping consumer woken by push and pushAll, and closing.
#include "broker/ingest/work_queue.h"

#include <gtest/gtest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/wait.h"

namespace samband::broker {
namespace {

using namespace std::chrono_literals;
using samband::testing::waitUntil;

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

// The scheduling state of thread `tid` of this process as /proc shows it: 'S' while it sleeps
// (in popBatch: the condition variable's futex wait), 'R' while it runs; '?' if unreadable.
char threadState(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // "tid (name) S ...": the name may hold spaces and parentheses, the state follows the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return '?';
  return stat[close + 2];
}

// Starts a consumer in popBatch (30 s timeout) on an empty queue, runs `push` only once the
// consumer is provably asleep inside popBatch, and expects it back with `expected` within
// seconds: a push that did not wake it would leave it asleep for the full 30 s.
void expectPushWakesBlockedConsumer(WorkQueue<int>& q, const std::function<void()>& push,
                                    const std::vector<int>& expected) {
  std::atomic<pid_t> tid{0};
  std::atomic<bool> returned{false};
  std::vector<int> got;
  std::thread consumer([&] {
    tid = static_cast<pid_t>(::syscall(SYS_gettid));
    q.popBatch(got, 100, 30s);
    returned = true;
  });
  // Between publishing its id and returning, the consumer's only blocking call is the wait.
  const bool blocked =
      waitUntil([&] { return tid.load() != 0 && threadState(tid.load()) == 'S'; }, 5s);
  const bool returnedEarly = returned.load();
  if (blocked && !returnedEarly) push();
  const bool woken = waitUntil([&] { return returned.load(); }, 5s);
  if (!woken) q.close();  // ends the consumer so the test reports instead of hanging
  consumer.join();
  ASSERT_TRUE(blocked) << "the consumer never went to sleep in popBatch";
  ASSERT_FALSE(returnedEarly) << "popBatch returned from an empty queue before any push";
  EXPECT_TRUE(woken) << "the push did not wake the sleeping consumer";
  EXPECT_EQ(got, expected);
}

TEST(WorkQueueTest, PushAllWakesAWaitingConsumer) {
  WorkQueue<int> q;
  expectPushWakesBlockedConsumer(q,
                                 [&] {
                                   std::vector<int> burst{1, 2, 3};
                                   ASSERT_TRUE(q.pushAll(burst));
                                 },
                                 {1, 2, 3});
}

TEST(WorkQueueTest, PushWakesAWaitingConsumer) {
  WorkQueue<int> q;
  expectPushWakesBlockedConsumer(q, [&] { ASSERT_TRUE(q.push(1)); }, {1});
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
