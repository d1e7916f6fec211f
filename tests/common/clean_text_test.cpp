// isCleanText: the rule for every free text that crosses the wire. Valid UTF-8, no control
// characters except tab and newline, so a note cannot rewrite an operator's terminal.
#include <gtest/gtest.h>

#include <string>

#include "common/codec.h"

namespace samband::common {
namespace {

TEST(CleanText, AcceptsPlainAndSwedishText) {
  EXPECT_TRUE(isCleanText(""));
  EXPECT_TRUE(isCleanText("Förskolan Ängen"));
  EXPECT_TRUE(isCleanText("ÅÄÖ åäö é ü ß"));
  EXPECT_TRUE(isCleanText("rad ett\nrad två\tmed tab"));
  EXPECT_TRUE(isCleanText("~ !\"#$%&'()*+,-./0123456789:;<=>?@[\\]^_`{|}"));
}

TEST(CleanText, AcceptsEveryUtf8LengthAtItsBounds) {
  EXPECT_TRUE(isCleanText("\xc2\xa0"));          // U+00A0, first non-control 2-byte
  EXPECT_TRUE(isCleanText("\xdf\xbf"));          // U+07FF, last 2-byte
  EXPECT_TRUE(isCleanText("\xe0\xa0\x80"));      // U+0800, first 3-byte
  EXPECT_TRUE(isCleanText("\xed\x9f\xbf"));      // U+D7FF, just below the surrogates
  EXPECT_TRUE(isCleanText("\xee\x80\x80"));      // U+E000, just above the surrogates
  EXPECT_TRUE(isCleanText("\xef\xbf\xbd"));      // U+FFFD
  EXPECT_TRUE(isCleanText("\xf0\x90\x80\x80"));  // U+10000, first 4-byte
  EXPECT_TRUE(isCleanText("\xf0\x9f\x8f\xab"));  // U+1F3EB school emoji
  EXPECT_TRUE(isCleanText("\xf4\x8f\xbf\xbf"));  // U+10FFFF, last code point
}

TEST(CleanText, RefusesAsciiControlCharacters) {
  for (int c = 0; c < 0x20; ++c) {
    if (c == '\t' || c == '\n') continue;
    std::string s = "a" + std::string(1, static_cast<char>(c)) + "b";
    EXPECT_FALSE(isCleanText(s)) << "control 0x" << std::hex << c;
  }
  EXPECT_FALSE(isCleanText(std::string("\0", 1)));
  EXPECT_FALSE(isCleanText(std::string("ok\0hidden", 9)));
  EXPECT_FALSE(isCleanText("\x1b[2J\x1b[H"));
  EXPECT_FALSE(isCleanText("windows\r\n"));
  EXPECT_FALSE(isCleanText("\x7f"));
}

TEST(CleanText, RefusesC1ControlCharacters) {
  // U+0080..U+009F are control characters too; U+009B is a one-character CSI for terminals.
  EXPECT_FALSE(isCleanText("\xc2\x80"));
  EXPECT_FALSE(isCleanText("\xc2\x85"));  // NEL
  EXPECT_FALSE(
      isCleanText("a\xc2\x9b"
                  "2Jb"));  // CSI 2J: clears a terminal
  EXPECT_FALSE(isCleanText("\xc2\x9f"));
}

TEST(CleanText, RefusesOverlongEncodings) {
  EXPECT_FALSE(isCleanText("\xc0\x80"));  // NUL as two bytes
  EXPECT_FALSE(isCleanText("\xc0\xaf"));  // '/' as two bytes
  EXPECT_FALSE(isCleanText("\xc1\xbf"));
  EXPECT_FALSE(isCleanText("\xe0\x80\xaf"));      // '/' as three bytes
  EXPECT_FALSE(isCleanText("\xe0\x9f\xbf"));      // U+07FF as three bytes
  EXPECT_FALSE(isCleanText("\xf0\x80\x80\xaf"));  // '/' as four bytes
  EXPECT_FALSE(isCleanText("\xf0\x8f\xbf\xbf"));  // U+FFFF as four bytes
}

TEST(CleanText, RefusesSurrogates) {
  EXPECT_FALSE(isCleanText("\xed\xa0\x80"));              // U+D800
  EXPECT_FALSE(isCleanText("\xed\xad\xbf"));              // U+DB7F
  EXPECT_FALSE(isCleanText("\xed\xb0\x80"));              // U+DC00
  EXPECT_FALSE(isCleanText("\xed\xbf\xbf"));              // U+DFFF
  EXPECT_FALSE(isCleanText("\xed\xa0\xbd\xed\xb8\x80"));  // CESU-8 pair
}

TEST(CleanText, RefusesCodePointsBeyondUnicode) {
  EXPECT_FALSE(isCleanText("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(isCleanText("\xf5\x80\x80\x80"));
  EXPECT_FALSE(isCleanText("\xf7\xbf\xbf\xbf"));
  EXPECT_FALSE(isCleanText("\xf8\x88\x80\x80\x80"));  // old 5-byte form
  EXPECT_FALSE(isCleanText("\xfc\x84\x80\x80\x80\x80"));
  EXPECT_FALSE(isCleanText("\xfe"));
  EXPECT_FALSE(isCleanText("\xff"));
}

TEST(CleanText, RefusesLoneAndMisplacedContinuationBytes) {
  EXPECT_FALSE(isCleanText("\x80"));
  EXPECT_FALSE(isCleanText("\xbf"));
  EXPECT_FALSE(
      isCleanText("a\x80"
                  "b"));
  EXPECT_FALSE(isCleanText("\xc3\xa4\xa4"));  // "ä" plus a stray continuation
}

TEST(CleanText, RefusesTruncatedSequences) {
  EXPECT_FALSE(isCleanText("\xc3"));
  EXPECT_FALSE(isCleanText("F\xc3"));
  EXPECT_FALSE(isCleanText("\xe2\x82"));
  EXPECT_FALSE(isCleanText("\xf0\x9f\x8f"));
  EXPECT_FALSE(
      isCleanText("\xc3"
                  "a"));  // lead byte followed by ASCII
  EXPECT_FALSE(isCleanText("\xe2\x28\xa1"));
  EXPECT_FALSE(isCleanText("\xf0\x9f\x8f\x28"));
}

TEST(CleanText, EveryTwoByteSequenceIsJudgedLikeADecoder) {
  // Exhaustive over all 65536 two-byte strings: clean exactly when it is two printable ASCII
  // characters or one well-formed 2-byte character at or above U+00A0.
  auto printable = [](unsigned c) { return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n'; };
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      std::string s{static_cast<char>(a), static_cast<char>(b)};
      bool expected =
          (printable(a) && printable(b)) || (a >= 0xc2 && a <= 0xdf && (b & 0xc0) == 0x80 &&
                                             (((a & 0x1f) << 6) | (b & 0x3f)) >= 0xa0);
      ASSERT_EQ(isCleanText(s), expected) << std::hex << a << " " << b;
    }
  }
}

}  // namespace
}  // namespace samband::common
