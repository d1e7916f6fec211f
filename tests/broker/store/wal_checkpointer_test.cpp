// WalCheckpointer (issue 16): the write-ahead log is copied into the database file on its own
// thread and connection, without the writer checkpointing and without the writer's data_version
// changing (the committer drops its cached chain heads when that changes).
#include "broker/store/wal_checkpointer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "broker/store/store.h"
#include "tests/support/temp_dir.h"

namespace samband::broker {
namespace {

int64_t fileBytes(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

// The writer and a checkpointer watching it, on a fresh file with one table.
struct Watched {
  samband::testing::TempDir dir;
  std::string path = dir.file("broker.db");
  std::unique_ptr<Store> writer;
  std::unique_ptr<WalCheckpointer> checkpointer;

  Watched() {
    auto opened = Store::open(path, Store::Access::readWrite);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    writer = std::move(opened).value();
    auto started = WalCheckpointer::start(path);
    EXPECT_TRUE(started.ok()) << started.error().message;
    checkpointer = std::move(started).value();
    EXPECT_TRUE(checkpointer->watchWriter(*writer).ok());
    writer->db().exec("CREATE TABLE t (x BLOB)");
  }
  ~Watched() {
    writer.reset();  // the writer goes first: its WAL hook points at the checkpointer
    checkpointer.reset();
  }
  // `transactions` commits of `rows` rows of `bytes` each.
  void write(int transactions, int rows, int bytes) {
    for (int tx = 0; tx < transactions; ++tx) {
      writer->db().exec("BEGIN IMMEDIATE");
      for (int i = 0; i < rows; ++i) {
        writer->db().exec("INSERT INTO t VALUES (randomblob(" + std::to_string(bytes) + "))");
      }
      writer->db().exec("COMMIT");
    }
  }
  bool waitForCheckpoints(uint64_t n) {
    for (int i = 0; i < 500 && checkpointer->checkpoints() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return checkpointer->checkpoints() >= n;
  }
};

TEST(WalCheckpointerTest, CopiesTheLogIntoTheDatabaseFileBesideTheWriter) {
  Watched w;
  const int64_t sizeBefore = fileBytes(w.path);
  const int64_t version = w.writer->db().execAndGet("PRAGMA data_version").getInt64();
  // 1,200 rows of 4,000 bytes, a page each: the log passes kNudgeEveryPages (the writer's
  // commits nudge the checkpointer) but not the writer's own threshold, so without the
  // checkpointer every page would still be only in the log.
  w.write(20, 60, 4000);
  ASSERT_TRUE(w.waitForCheckpoints(1)) << "no checkpoint within 5 s of passing the threshold";
  EXPECT_GE(w.checkpointer->lastLogPages(), WalCheckpointer::kNudgeEveryPages);
  // The first checkpoint copies the log as it was near 1,000 pages, some of them b-tree pages.
  EXPECT_GE(fileBytes(w.path), sizeBefore + 800 * 4000) << "the log was not copied into " << w.path;
  EXPECT_EQ(w.writer->db().execAndGet("PRAGMA data_version").getInt64(), version)
      << "a checkpoint must not look like another connection's commit to the writer";
  EXPECT_EQ(w.writer->db().execAndGet("SELECT count(*) FROM t").getInt64(), 1200);
}

// At light load a checkpoint per commit synced the database file beside nearly every commit's
// own log sync (the report-to-ack p99 rose): small commits wait until the log has grown.
TEST(WalCheckpointerTest, SmallCommitsDoNotCheckpointUntilTheLogHasGrown) {
  Watched w;
  w.write(50, 1, 100);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(w.checkpointer->checkpoints(), 0u) << "50 one-row commits should not checkpoint";
  w.checkpointer->nudge();  // an explicit nudge still does
  EXPECT_TRUE(w.waitForCheckpoints(1));
}

// The hook replaces SQLite's automatic checkpoint: the log must still be reused from its start
// (a complete checkpoint, the checkpointer's or the writer's own at its threshold, lets the next
// write transaction restart it), so the log file stays bounded however much is written.
TEST(WalCheckpointerTest, TheLogIsReusedFromItsStartAfterTheWritersThreshold) {
  Watched w;
  for (int round = 0; round < 4; ++round) w.write(30, 60, 4000);  // 7,200 pages in all
  const int64_t logBytes = fileBytes(w.path + "-wal");
  EXPECT_GT(logBytes, 0);
  EXPECT_LT(logBytes, int64_t{WalCheckpointer::kWriterAutoCheckpointPages + 2000} * 4200)
      << "the log grew past the writer's threshold without restarting";
  EXPECT_EQ(w.writer->db().execAndGet("SELECT count(*) FROM t").getInt64(), 7200);
}

TEST(WalCheckpointerTest, NamesTheFileItCannotOpen) {
  auto started = WalCheckpointer::start("/nonexistent-dir/broker.db");
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("/nonexistent-dir/broker.db"), std::string::npos)
      << started.error().message;
}

}  // namespace
}  // namespace samband::broker
