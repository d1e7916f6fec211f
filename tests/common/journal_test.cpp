// The journald side of logging without a journald: when an entry goes to the journal
// ($INVOCATION_ID and $JOURNAL_STREAM naming stderr, or $SAMBAND_LOG), and the fields of one
// entry (MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, SAMBAND_COMPONENT, SAMBAND_PROVIDER,
// SAMBAND_REASON) exactly as they are sent; and the datagrams of journald's native protocol and
// sd_notify's (common/systemd_protocol.h), received on real sockets of the test's own.
#include "common/journal.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <optional>

#include "common/systemd_protocol.h"
#include "tests/support/temp_dir.h"

namespace samband::common {
namespace {

using samband::testing::TempDir;

TEST(Journal, JournalStreamMustNameTheFileOnStderr) {
  EXPECT_TRUE(stderrIsJournalStream("8:12345", 8, 12345));
  EXPECT_FALSE(stderrIsJournalStream("8:12345", 8, 12346)) << "stderr redirected elsewhere";
  EXPECT_FALSE(stderrIsJournalStream("9:12345", 8, 12345));
  EXPECT_FALSE(stderrIsJournalStream(nullptr, 8, 12345));
  for (const char* bad : {"", "8", "8:", ":12345", "8:12345x", "x8:12345", "8;12345"}) {
    EXPECT_FALSE(stderrIsJournalStream(bad, 8, 12345)) << bad;
  }
}

TEST(Journal, TheJournalOnlyWhenSystemdStartedUsAndStderrIsItsStream) {
  const char* id = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(chooseLogSink(id, true, nullptr), LogSink::journal);
  EXPECT_EQ(chooseLogSink(id, false, nullptr), LogSink::stderrLines)
      << "a unit sending stderr to a file keeps its lines there";
  EXPECT_EQ(chooseLogSink(nullptr, true, nullptr), LogSink::stderrLines);
  EXPECT_EQ(chooseLogSink("", true, nullptr), LogSink::stderrLines);
  EXPECT_EQ(chooseLogSink(id, true, "stderr"), LogSink::stderrLines);
  EXPECT_EQ(chooseLogSink(nullptr, false, "journal"), LogSink::journal);
  EXPECT_EQ(chooseLogSink(id, true, "syslog"), LogSink::journal) << "unknown overrides are ignored";
}

TEST(Journal, PrioritiesAreSyslogLevels) {
  EXPECT_EQ(journalPriority(LogLevel::debug), 7);
  EXPECT_EQ(journalPriority(LogLevel::info), 6);
  EXPECT_EQ(journalPriority(LogLevel::warn), 4);
  EXPECT_EQ(journalPriority(LogLevel::error), 3);
}

TEST(Journal, AnEntryCarriesItsProviderAndReasonAsFieldsOfTheirOwn) {
  auto fields = journalFields(LogLevel::warn, "ingest",
                              "refused 1 frame from provider 556677-8899: bad_signature",
                              LogFields{"556677-8899", "bad_signature"}, "samband-broker");
  std::vector<std::string> want = {
      "MESSAGE=[ingest] refused 1 frame from provider 556677-8899: bad_signature",
      "PRIORITY=4",
      "SYSLOG_IDENTIFIER=samband-broker",
      "SAMBAND_COMPONENT=ingest",
      "SAMBAND_PROVIDER=556677-8899",
      "SAMBAND_REASON=bad_signature"};
  EXPECT_EQ(fields, want);
}

TEST(Journal, EmptyFieldsAreLeftOut) {
  auto fields = journalFields(LogLevel::info, "broker", "listening on tcp://127.0.0.1:7700", {},
                              "samband-broker");
  std::vector<std::string> want = {"MESSAGE=[broker] listening on tcp://127.0.0.1:7700",
                                   "PRIORITY=6", "SYSLOG_IDENTIFIER=samband-broker",
                                   "SAMBAND_COMPONENT=broker"};
  EXPECT_EQ(fields, want);
  for (const auto& f : journalFields(LogLevel::info, "a", "b", {"", "x"}, "")) {
    EXPECT_NE(f.rfind("SAMBAND_PROVIDER=", 0), 0u) << f;
    EXPECT_NE(f.rfind("SYSLOG_IDENTIFIER=", 0), 0u) << f;
  }
}

TEST(Journal, AMessageWithNewlinesStaysOneField) {
  auto fields = journalFields(LogLevel::error, "agent", "line one\nline two", {}, "x");
  EXPECT_EQ(fields[0], "MESSAGE=[agent] line one\nline two");
}

// A datagram socket bound at `name` ("/path" or "@abstract") that the test reads.
class DatagramSink {
 public:
  explicit DatagramSink(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socklen_t length;
    if (name[0] == '@') {
      std::memcpy(addr.sun_path + 1, name.data() + 1, name.size() - 1);
      length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    } else {
      std::memcpy(addr.sun_path, name.data(), name.size());
      length = static_cast<socklen_t>(sizeof addr);
      path_ = name;
    }
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), length) == 0;
  }
  ~DatagramSink() {
    ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  // The next datagram, or "" after 5 s.
  std::string next() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return "";
    char buf[8192];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
  std::string path_;
};

TEST(JournalProtocol, PlainFieldsAreLinesAndAMultilineValueIsSizedBinary) {
  const std::string d = journalDatagram(
      {"MESSAGE=plain", "PRIORITY=6", "no equals sign", "=nameless", "NOTE=line one\nline two"});
  std::string want = "MESSAGE=plain\nPRIORITY=6\nNOTE\n";
  want += std::string("\x11\0\0\0\0\0\0\0", 8);  // 17 bytes, little-endian
  want += "line one\nline two\n";
  EXPECT_EQ(d, want);
}

TEST(JournalProtocol, AnEntryReachesTheSocketAndNoSocketMeansNotTaken) {
  TempDir dir;
  const std::string path = dir.path() + "/journal.sock";
  EXPECT_FALSE(sendToJournal({"MESSAGE=x"}, path));  // nobody listens: the caller logs to stderr
  DatagramSink sink(path);
  ASSERT_TRUE(sink.bound());
  ASSERT_TRUE(sendToJournal({"MESSAGE=hello\nthere", "PRIORITY=4"}, path));
  EXPECT_EQ(sink.next(), journalDatagram({"MESSAGE=hello\nthere", "PRIORITY=4"}));
}

// Sets (or unsets, for null) an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(NotifyProtocol, ReachesAPathOrAnAbstractSocketAndNothingWithoutOne) {
  TempDir dir;
  const std::string path = dir.path() + "/notify";
  DatagramSink sink(path);
  ASSERT_TRUE(sink.bound());
  {
    ScopedEnv env("NOTIFY_SOCKET", path.c_str());
    ASSERT_TRUE(notifySystemd("READY=1\nSTATUS=serving"));
    EXPECT_EQ(sink.next(), "READY=1\nSTATUS=serving");
  }
  const std::string abstract = "@samband-notify-test-" + std::to_string(::getpid());
  DatagramSink abstractSink(abstract);
  ASSERT_TRUE(abstractSink.bound());
  {
    ScopedEnv env("NOTIFY_SOCKET", abstract.c_str());
    ASSERT_TRUE(notifySystemd("WATCHDOG=1"));
    EXPECT_EQ(abstractSink.next(), "WATCHDOG=1");
  }
  for (const char* bad : {"", "relative/path", "vsock:2:1234"}) {
    ScopedEnv env("NOTIFY_SOCKET", bad);
    EXPECT_FALSE(notifySystemd("READY=1")) << bad;
  }
  ScopedEnv unset("NOTIFY_SOCKET", nullptr);
  EXPECT_FALSE(notifySystemd("READY=1"));
}

TEST(NotifyProtocol, TheWatchdogIsOursOnlyWhenItsPidIsUnsetOrOurs) {
  const std::string self = std::to_string(::getpid());
  ScopedEnv usec("WATCHDOG_USEC", "30000000");
  {
    ScopedEnv pid("WATCHDOG_PID", nullptr);
    EXPECT_EQ(systemdWatchdogUsec(), 30000000u);
  }
  {
    ScopedEnv pid("WATCHDOG_PID", self.c_str());
    EXPECT_EQ(systemdWatchdogUsec(), 30000000u);
  }
  {
    ScopedEnv pid("WATCHDOG_PID", "1");
    EXPECT_EQ(systemdWatchdogUsec(), 0u);
  }
  for (const char* bad : {"", "0", "-5", "12x", "abc"}) {
    ScopedEnv pid("WATCHDOG_PID", nullptr);
    ScopedEnv v("WATCHDOG_USEC", bad);
    EXPECT_EQ(systemdWatchdogUsec(), 0u) << bad;
  }
}

}  // namespace
}  // namespace samband::common
