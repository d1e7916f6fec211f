// The journald side of logging without a journald: when an entry goes to the journal
// ($INVOCATION_ID and $JOURNAL_STREAM naming stderr, or $SAMBAND_LOG), and the fields of one
// entry (MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, SAMBAND_COMPONENT, SAMBAND_PROVIDER,
// SAMBAND_REASON) exactly as sd_journal_sendv receives them.
#include "common/journal.h"

#include <gtest/gtest.h>

namespace samband::common {
namespace {

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

}  // namespace
}  // namespace samband::common
