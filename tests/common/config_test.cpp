// Config files: every error names the file (and line, or table and key) so an operator can fix
// it; relative paths resolve against the config's directory.
#include "common/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace samband::common {
namespace {

using samband::testing::permissionBits;
using samband::testing::readWhole;
using samband::testing::ScopedUmask;
using samband::testing::TempDir;

constexpr const char* kAgentToml = R"(# agent config
name = "Friskolan Ängen"

[broker]
endpoint = "tcp://127.0.0.1:7700"
city_key = "keys/city.pub"
absolute = "/etc/samband/city.pub"

[link]
window = 32
ack_timeout_ms = 5000
verbose = true
ratio = 0.5
units = ["12345678", "87654321"]
mixed = ["12345678", 5]
empty = []
)";

class Config : public ::testing::Test {
 protected:
  std::unique_ptr<ConfigFile> load(const std::string& text,
                                   const std::string& name = "agent.toml") {
    auto cfg = ConfigFile::load(dir_.write(name, text));
    EXPECT_TRUE(cfg.ok()) << cfg.error().message;
    return cfg.ok() ? std::move(cfg.value()) : nullptr;
  }

  void expectError(const Result<int64_t>& r, const std::string& a, const std::string& b = "") {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::invalidInput);
    EXPECT_NE(r.error().message.find(a), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(b), std::string::npos) << r.error().message;
  }

  TempDir dir_;
};

TEST_F(Config, MissingFileNamesThePathAndTheFix) {
  auto cfg = ConfigFile::load(dir_.file("absent.toml"));
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().kind, ErrorKind::invalidInput);
  EXPECT_NE(cfg.error().message.find(dir_.file("absent.toml")), std::string::npos);
  EXPECT_NE(cfg.error().message.find("init"), std::string::npos);
}

TEST_F(Config, DirectoryInsteadOfFileDoesNotThrow) {
  // toml++ reads a directory as an empty document; every required key is then reported missing
  // with the path, so the operator is still pointed at the right place.
  std::filesystem::create_directories(dir_.file("agent.toml"));
  auto cfg = ConfigFile::load(dir_.file("agent.toml"));
  if (cfg.ok()) {
    auto t = (*cfg)->text("broker", "endpoint");
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find(dir_.file("agent.toml")), std::string::npos);
  }
}

TEST_F(Config, SyntaxErrorNamesFileAndLine) {
  std::string path = dir_.write("broken.toml", "[broker]\nendpoint = \"tcp://x\"\nwindow = = 3\n");
  auto cfg = ConfigFile::load(path);
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().kind, ErrorKind::invalidInput);
  EXPECT_NE(cfg.error().message.find(path), std::string::npos) << cfg.error().message;
  EXPECT_NE(cfg.error().message.find("line 3"), std::string::npos) << cfg.error().message;
}

TEST_F(Config, UnterminatedStringAndDuplicateKeyAreSyntaxErrors) {
  for (const char* text : {"a = \"open\n", "a = 1\na = 2\n", "[t]\n[t]\n", "a = \"\xff\"\n"}) {
    auto cfg = ConfigFile::load(dir_.write("bad.toml", text));
    EXPECT_FALSE(cfg.ok()) << text;
  }
}

TEST_F(Config, EmptyFileLoadsAndEveryKeyIsMissing) {
  auto cfg = load("");
  ASSERT_TRUE(cfg);
  EXPECT_FALSE(cfg->text("", "name").ok());
  EXPECT_EQ(*cfg->text("", "name", std::string("standard")), "standard");
}

TEST_F(Config, ReadsValuesOfEveryType) {
  auto cfg = load(kAgentToml);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(*cfg->text("", "name"), "Friskolan Ängen");
  EXPECT_EQ(*cfg->text("broker", "endpoint"), "tcp://127.0.0.1:7700");
  EXPECT_EQ(*cfg->integer("link", "window", std::nullopt, 1, 1000), 32);
  EXPECT_EQ(*cfg->boolean("link", "verbose", std::nullopt), true);
  EXPECT_EQ(*cfg->textList("link", "units", true),
            (std::vector<std::string>{"12345678", "87654321"}));
}

TEST_F(Config, PresentValueWinsOverFallback) {
  auto cfg = load(kAgentToml);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(*cfg->integer("link", "window", 8, 1, 1000), 32);
  EXPECT_EQ(*cfg->text("broker", "endpoint", std::string("tcp://other")), "tcp://127.0.0.1:7700");
  EXPECT_EQ(*cfg->boolean("link", "verbose", false), true);
}

TEST_F(Config, MissingKeyUsesFallbackOrNamesFileTableAndKey) {
  auto cfg = load(kAgentToml);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(*cfg->integer("link", "reconnect_min_ms", 250, 1, 60000), 250);
  EXPECT_EQ(*cfg->boolean("link", "debug", false), false);

  const std::string path = dir_.file("agent.toml");
  expectError(cfg->integer("link", "reconnect_min_ms", std::nullopt, 1, 60000),
              path + ": [link] reconnect_min_ms", "missing");
  auto t = cfg->text("broker", "listen");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find(path + ": [broker] listen is missing"), std::string::npos)
      << t.error().message;
  auto top = cfg->text("", "city");
  ASSERT_FALSE(top.ok());
  EXPECT_NE(top.error().message.find(path + ": city is missing"), std::string::npos)
      << top.error().message;
  auto b = cfg->boolean("link", "debug", std::nullopt);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("[link] debug"), std::string::npos);
}

TEST_F(Config, MissingTableIsAMissingKey) {
  auto cfg = load(kAgentToml);
  ASSERT_TRUE(cfg);
  expectError(cfg->integer("timing", "heartbeat_interval_s", std::nullopt, 1, 3600),
              "[timing] heartbeat_interval_s", "missing");
  EXPECT_EQ(*cfg->integer("timing", "heartbeat_interval_s", 30, 1, 3600), 30);
}

TEST_F(Config, WrongTypeNamesTheKeyAndTheExpectedType) {
  auto cfg = load(kAgentToml);
  ASSERT_TRUE(cfg);
  const std::string path = dir_.file("agent.toml");
  expectError(cfg->integer("broker", "endpoint", std::nullopt, 0, 10), path + ": [broker] endpoint",
              "must be an integer");
  expectError(cfg->integer("link", "ratio", std::nullopt, 0, 10), "[link] ratio",
              "must be an integer");
  expectError(cfg->integer("link", "verbose", std::nullopt, 0, 10), "[link] verbose",
              "must be an integer");
  // A wrong type is an error even when a fallback exists: the operator wrote something.
  expectError(cfg->integer("link", "ratio", 1, 0, 10), "[link] ratio", "must be an integer");

  auto t = cfg->text("link", "window", std::string("x"));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("[link] window must be a string"), std::string::npos);
  auto b = cfg->boolean("link", "window", true);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("[link] window must be true or false"), std::string::npos);
}

TEST_F(Config, IntegerOutOfRangeNamesFileTableKeyRangeAndValue) {
  auto cfg = load(kAgentToml);
  ASSERT_TRUE(cfg);
  const std::string path = dir_.file("agent.toml");
  auto r = cfg->integer("link", "window", std::nullopt, 1, 16);
  expectError(r, path + ": [link] window", "must be from 1 to 16 (it is 32)");
  expectError(cfg->integer("link", "ack_timeout_ms", 100, 10000, 60000), "[link] ack_timeout_ms",
              "from 10000 to 60000 (it is 5000)");
  EXPECT_EQ(*cfg->integer("link", "window", std::nullopt, 32, 32), 32);
}

TEST_F(Config, IntegerBoundsAreInclusiveAndHandleExtremes) {
  auto cfg = load("[t]\nbig = 9223372036854775807\nsmall = -9223372036854775808\nzero = 0\n");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(*cfg->integer("t", "big", std::nullopt, 0, INT64_MAX), INT64_MAX);
  EXPECT_EQ(*cfg->integer("t", "small", std::nullopt, INT64_MIN, 0), INT64_MIN);
  expectError(cfg->integer("t", "big", std::nullopt, 0, INT64_MAX - 1), "[t] big");
  expectError(cfg->integer("t", "zero", std::nullopt, 1, 5), "[t] zero", "(it is 0)");
}

TEST_F(Config, TextListRequiredOptionalAndWrongTypes) {
  auto cfg = load(kAgentToml);
  ASSERT_TRUE(cfg);
  EXPECT_TRUE(cfg->textList("link", "empty", true)->empty());
  EXPECT_TRUE(cfg->textList("link", "absent", false)->empty());
  auto missing = cfg->textList("link", "absent", true);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("[link] absent is missing"), std::string::npos);
  auto mixed = cfg->textList("link", "mixed", false);
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.error().message.find("[link] mixed must contain only strings"),
            std::string::npos);
  auto scalar = cfg->textList("broker", "endpoint", false);
  ASSERT_FALSE(scalar.ok());
  EXPECT_NE(scalar.error().message.find("[broker] endpoint must be a list of strings"),
            std::string::npos);
}

TEST_F(Config, RelativePathsResolveAgainstTheConfigDirectory) {
  auto cfg = ConfigFile::load(dir_.write("etc/samband/agent.toml", kAgentToml));
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const std::string configDir = dir_.file("etc/samband");
  EXPECT_EQ((*cfg)->dir(), configDir);
  EXPECT_EQ(*(*cfg)->path("broker", "city_key"), configDir + "/keys/city.pub");
  EXPECT_EQ(*(*cfg)->path("broker", "absolute"), "/etc/samband/city.pub");
  EXPECT_EQ(*(*cfg)->path("broker", "outbox", std::string("outbox.db")), configDir + "/outbox.db");
  EXPECT_EQ((*cfg)->resolve("../shared/x"), configDir + "/../shared/x");
  EXPECT_EQ((*cfg)->resolve(""), "");
  EXPECT_FALSE((*cfg)->path("broker", "missing").ok());
  EXPECT_FALSE((*cfg)->path("link", "window").ok());
}

TEST_F(Config, ConfigGivenByRelativePathResolvesAgainstItsDirectory) {
  dir_.write("conf/broker.toml", "db = \"state/broker.db\"\n");
  std::string cwd = std::filesystem::current_path().string();
  ASSERT_EQ(::chdir(dir_.path().c_str()), 0);
  auto cfg = ConfigFile::load("conf/broker.toml");
  auto bare = ConfigFile::load("conf/../conf/broker.toml");
  ASSERT_EQ(::chdir(cwd.c_str()), 0);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(*(*cfg)->path("", "db"), "conf/state/broker.db");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*(*bare)->path("", "db"), "conf/../conf/state/broker.db");
}

TEST_F(Config, WriteFileAtomicReplacesContentWithModeAndLeavesNoTempFile) {
  ScopedUmask permissive(0);
  std::string path = dir_.file("state.json");
  ASSERT_TRUE(writeFileAtomic(path, "first\n", 0600).ok());
  EXPECT_EQ(readWhole(path), "first\n");
  EXPECT_EQ(permissionBits(path), 0600u);
  ASSERT_TRUE(writeFileAtomic(path, "second\n").ok());
  EXPECT_EQ(readWhole(path), "second\n");
  EXPECT_EQ(permissionBits(path), 0644u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(Config, WriteFileAtomicIntoMissingDirectoryIsUnavailable) {
  Status s = writeFileAtomic(dir_.file("no/such/dir/x"), "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::unavailable);
}

TEST_F(Config, ReadFileReturnsBytesAndRefusesTooLargeOrMissing) {
  std::string binary("a\0b\xff", 4);
  std::string path = dir_.write("blob", binary);
  EXPECT_EQ(*readFile(path), binary);
  EXPECT_EQ(*readFile(path, 4), binary);
  EXPECT_FALSE(readFile(path, 3).ok());
  EXPECT_FALSE(readFile(dir_.file("absent")).ok());
  std::string big(200000, 'x');
  EXPECT_EQ(*readFile(dir_.write("big", big)), big);
  EXPECT_FALSE(readFile(dir_.file("big"), 199999).ok());
}

}  // namespace
}  // namespace samband::common
