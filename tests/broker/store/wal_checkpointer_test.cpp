// WalCheckpointer (issue 16): the write-ahead log is copied into the database file on its own
// thread and connection, without the writer checkpointing and without the writer's data_version
// changing (the committer drops its cached chain heads when that changes).
#include "broker/store/wal_checkpointer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "broker/store/store.h"
#include "tests/support/temp_dir.h"

namespace samband::broker {
namespace {

int64_t fileBytes(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

TEST(WalCheckpointerTest, CopiesTheLogIntoTheDatabaseFileBesideTheWriter) {
  samband::testing::TempDir dir;
  const std::string path = dir.file("broker.db");
  auto opened = Store::open(path, Store::Access::readWrite);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto writer = std::move(opened).value();
  ASSERT_TRUE(WalCheckpointer::relieveWriter(*writer).ok());
  EXPECT_EQ(writer->db().execAndGet("PRAGMA wal_autocheckpoint").getInt(),
            WalCheckpointer::kWriterAutoCheckpointPages);
  auto started = WalCheckpointer::start(path);
  ASSERT_TRUE(started.ok()) << started.error().message;
  auto checkpointer = std::move(started).value();

  const int64_t sizeBefore = fileBytes(path);
  writer->db().exec("CREATE TABLE t (x BLOB)");
  for (int tx = 0; tx < 10; ++tx) {
    writer->db().exec("BEGIN IMMEDIATE");
    for (int i = 0; i < 20; ++i) writer->db().exec("INSERT INTO t VALUES (randomblob(4000))");
    writer->db().exec("COMMIT");
  }
  // 200 rows of 4000 bytes: far below the writer's own threshold, so without the checkpointer
  // every page would still be only in the log.
  const int64_t version = writer->db().execAndGet("PRAGMA data_version").getInt64();
  checkpointer->nudge();
  for (int i = 0; i < 500 && checkpointer->checkpoints() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(checkpointer->checkpoints(), 1u) << "no checkpoint within 5 s of the nudge";
  EXPECT_GE(checkpointer->lastLogPages(), 200);
  EXPECT_GE(fileBytes(path), sizeBefore + 200 * 4000) << "the log was not copied into " << path;
  EXPECT_EQ(writer->db().execAndGet("PRAGMA data_version").getInt64(), version)
      << "a checkpoint must not look like another connection's commit to the writer";
  EXPECT_EQ(writer->db().execAndGet("SELECT count(*) FROM t").getInt64(), 200);
  checkpointer.reset();  // joins its thread
}

TEST(WalCheckpointerTest, NamesTheFileItCannotOpen) {
  auto started = WalCheckpointer::start("/nonexistent-dir/broker.db");
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("/nonexistent-dir/broker.db"), std::string::npos)
      << started.error().message;
}

}  // namespace
}  // namespace samband::broker
