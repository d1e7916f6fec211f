// The spool directory (agent/spool.h): files dropped by the provider's systems are reported once,
// moved to done/ or refused/ with a reason, and nothing is lost or doubled when the agent is
// killed while it handles them. Real agent database files; the last test runs the real
// `samband-agent run` and kills it with SIGKILL.
#include "agent/spool.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent/database.h"
#include "agent/last_report.h"
#include "agent/outbox.h"
#include "agent/report_json.h"
#include "agent/report_log.h"
#include "agent/report_submit.h"
#include "common/clock.h"
#include "common/config.h"
#include "tests/agent/test_support.h"
#include "tests/support/process.h"

namespace samband::agent {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture = test::makeAgent(dir.path(), "tcp://127.0.0.1:" + std::to_string(testing::freePort()));
    spoolDir = dir.file("spool");
    fixture.config.spoolDir = spoolDir;
    ASSERT_TRUE(Spool::prepare(spoolDir).ok());
    auto opened = openAgentDatabase(fixture.config.outboxPath, OpenMode::createIfMissing);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    db = std::move(*opened);
  }

  // Drops `body` as NAME the way a careful writer does (temp file, then rename), dated
  // `ageMs` ago so that it counts as settled.
  void drop(const std::string& name, const std::string& body, int64_t ageMs = 5000) {
    const std::string tmp = spoolDir + "/." + name + ".part";
    std::ofstream(tmp) << body;
    const time_t t = static_cast<time_t>((clock.nowMs() - ageMs) / 1000);
    utimbuf times{t, t};
    ASSERT_EQ(::utime(tmp.c_str(), &times), 0);
    ASSERT_EQ(::rename(tmp.c_str(), (spoolDir + "/" + name).c_str()), 0);
  }

  std::string read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  uint64_t headSeq() {
    auto summary = Outbox::summarize(*db);
    EXPECT_TRUE(summary.ok());
    return summary.ok() ? summary->head.seq : 0;
  }

  test::TempDir dir;
  test::AgentFixture fixture;
  std::string spoolDir;
  std::unique_ptr<SQLite::Database> db;
  common::SystemClock clock;
};

TEST_F(SpoolTest, AValidFileIsReportedAndMovedToDoneWithItsReason) {
  drop("a.json", R"({"unit": "12345678", "operational": "reduced", "pupils_present": 120})");
  Spool spool(fixture.config, *db);
  auto out = spool.processOnce(clock.nowMs());
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->size(), 1u);
  EXPECT_FALSE((*out)[0].refused);
  EXPECT_FALSE(fs::exists(spoolDir + "/a.json"));
  EXPECT_TRUE(fs::exists(spoolDir + "/done/a.json"));
  EXPECT_EQ(read(spoolDir + "/done/a.reason"), "queued seq 1 (unit_status for unit 12345678)\n");
  auto logged = recentReports(*db, "12345678", 5);
  ASSERT_TRUE(logged.ok());
  ASSERT_EQ(logged->size(), 1u);
  EXPECT_EQ((*logged)[0].source, "spool:a.json");
  auto last = readLastReport(*db, "12345678", "actual");
  ASSERT_TRUE(last.ok() && last->status);
  EXPECT_EQ(last->status->pupilsPresent, 120);
  EXPECT_EQ(headSeq(), 1u);
}

TEST_F(SpoolTest, BadFilesAreMovedToRefusedWithTheFieldNamed) {
  drop("1-field.json", R"({"unit": "12345678", "operational": "normal", "pupils": 3})");
  drop("2-value.json", R"({"unit": "12345678", "operational": "sideways"})");
  drop("3-unit.json", R"({"unit": "99999999", "operational": "normal"})");
  drop("4-half.json", R"({"unit": "12345678", "operati)");  // a writer that died half-way
  drop("5-big.json", std::string(kMaxSpoolFileBytes + 10, ' '));
  fs::create_symlink("/etc/passwd", spoolDir + "/6-link.json");
  drop("notes.txt", "not a report");
  Spool spool(fixture.config, *db);
  auto out = spool.processOnce(clock.nowMs());
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 6u);
  for (const auto& o : *out) EXPECT_TRUE(o.refused) << o.file << ": " << o.reason;
  EXPECT_NE(read(spoolDir + "/refused/1-field.reason").find("field 'pupils'"), std::string::npos);
  EXPECT_NE(read(spoolDir + "/refused/2-value.reason").find("(field: operational)"),
            std::string::npos);
  EXPECT_NE(read(spoolDir + "/refused/3-unit.reason").find("not one of this agent's units"),
            std::string::npos);
  EXPECT_NE(read(spoolDir + "/refused/4-half.reason").find("not valid JSON"), std::string::npos);
  EXPECT_NE(read(spoolDir + "/refused/5-big.reason").find("larger than"), std::string::npos);
  EXPECT_NE(read(spoolDir + "/refused/6-link.reason").find("cannot be read"), std::string::npos);
  EXPECT_TRUE(fs::exists(spoolDir + "/notes.txt"));  // not a report: left alone
  EXPECT_EQ(headSeq(), 0u);
}

TEST_F(SpoolTest, AFileStillBeingWrittenWaits) {
  drop("fresh.json", R"({"unit": "12345678", "operational": "normal"})", /*ageMs=*/0);
  Spool spool(fixture.config, *db);
  auto out = spool.processOnce(clock.nowMs());
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 1u);
  EXPECT_TRUE((*out)[0].waiting);
  EXPECT_TRUE(fs::exists(spoolDir + "/fresh.json"));
  out = spool.processOnce(clock.nowMs() + kSpoolSettleMs + 1000);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE((*out)[0].waiting);
  EXPECT_TRUE(fs::exists(spoolDir + "/done/fresh.json"));
}

TEST_F(SpoolTest, ASecondFileOfTheSameNameDoesNotOverwriteTheFirst) {
  Spool spool(fixture.config, *db);
  drop("same.json", R"({"unit": "12345678", "operational": "normal"})");
  ASSERT_TRUE(spool.processOnce(clock.nowMs()).ok());
  drop("same.json", R"({"unit": "12345678", "pupils_present": 7})");
  ASSERT_TRUE(spool.processOnce(clock.nowMs()).ok());
  EXPECT_TRUE(fs::exists(spoolDir + "/done/same.json"));
  EXPECT_TRUE(fs::exists(spoolDir + "/done/same-2.json"));
  EXPECT_NE(read(spoolDir + "/done/same-2.reason").find("seq 2"), std::string::npos);
  EXPECT_EQ(headSeq(), 2u);
}

TEST_F(SpoolTest, AFileQueuedBeforeACrashIsMovedWithoutReportingItTwice) {
  // The agent queued the file (its transaction recorded name and content hash) and was killed
  // before the rename: the file is back in the spool, as if the move never happened.
  const std::string body = R"({"unit": "12345678", "operational": "closed"})";
  drop("crash.json", body);
  Spool spool(fixture.config, *db);
  ASSERT_TRUE(spool.processOnce(clock.nowMs()).ok());
  EXPECT_EQ(headSeq(), 1u);
  ASSERT_EQ(::rename((spoolDir + "/done/crash.json").c_str(), (spoolDir + "/crash.json").c_str()),
            0);
  auto again = spool.processOnce(clock.nowMs());
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_FALSE((*again)[0].refused);
  EXPECT_EQ(headSeq(), 1u) << "the file was reported a second time";
  EXPECT_TRUE(fs::exists(spoolDir + "/done/crash-2.json"));
  EXPECT_EQ(read(spoolDir + "/done/crash-2.reason"), read(spoolDir + "/done/crash.reason"));
  // The same name with other content is a new report.
  drop("crash.json", R"({"unit": "12345678", "operational": "normal"})");
  ASSERT_TRUE(spool.processOnce(clock.nowMs()).ok());
  EXPECT_EQ(headSeq(), 2u);
}

TEST_F(SpoolTest, KilledWhileHandlingFilesTheAgentLosesAndDoublesNothing) {
  // The real daemon, its broker unreachable (reports stay queued), killed with SIGKILL while it
  // works through a pile of files, then started again.
  const std::string configPath = fixture.agentDir + "/agent.toml";
  auto text = common::readFile(configPath);
  ASSERT_TRUE(text.ok());
  std::string toml = *text;
  const std::string commented = "# dir = \"spool\"";
  ASSERT_NE(toml.find(commented), std::string::npos);
  toml.replace(toml.find(commented), commented.size(), "dir = \"" + spoolDir + "\"");
  ASSERT_TRUE(common::writeFileAtomic(configPath, toml).ok());
  constexpr int kFiles = 60;
  for (int i = 0; i < kFiles; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "r%03d.json", i);
    drop(name, R"({"unit": "12345678", "operational": "normal", "pupils_present": )" +
                   std::to_string(i) + "}");
  }
  auto doneCount = [&] {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(spoolDir + "/done")) {
      if (e.path().extension() == ".json") ++n;
    }
    return n;
  };
  {
    testing::Process agent({test::agentBinary(), "run", "--config", configPath},
                           dir.file("run1.log"));
    ASSERT_TRUE(testing::waitUntil([&] { return doneCount() >= 5; })) << agent.output();
    agent.kill9();
  }
  const size_t beforeRestart = doneCount();
  EXPECT_LT(beforeRestart, static_cast<size_t>(kFiles)) << "killed too late to test anything";
  {
    testing::Process agent({test::agentBinary(), "run", "--config", configPath},
                           dir.file("run2.log"));
    ASSERT_TRUE(testing::waitUntil([&] { return doneCount() == kFiles; })) << agent.output();
    EXPECT_EQ(agent.terminate(), 0) << agent.output();
  }
  EXPECT_EQ(headSeq(), static_cast<uint64_t>(kFiles));
  auto last = readLastReport(*db, "12345678", "actual");
  ASSERT_TRUE(last.ok() && last->status);
  EXPECT_EQ(last->status->pupilsPresent, kFiles - 1);  // name order is report order
  for (const auto& e : fs::directory_iterator(spoolDir)) {
    EXPECT_FALSE(e.is_regular_file()) << "left in the spool: " << e.path();
  }
}

}  // namespace
}  // namespace samband::agent
