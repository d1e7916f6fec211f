// RFC 4180 quoting of one CSV field.
#include "common/csv.h"

#include <gtest/gtest.h>

namespace samband::common {
namespace {

TEST(CsvField, LeavesPlainTextAsItIs) {
  EXPECT_EQ(csvField("Skärholmen"), "Skärholmen");
  EXPECT_EQ(csvField(""), "");
  EXPECT_EQ(csvField("=SUM(A1)"), "=SUM(A1)");
}

TEST(CsvField, QuotesCommasQuotesAndLineBreaks) {
  EXPECT_EQ(csvField("a,b"), "\"a,b\"");
  EXPECT_EQ(csvField("say \"hej\""), "\"say \"\"hej\"\"\"");
  EXPECT_EQ(csvField("a\nb"), "\"a\nb\"");
  EXPECT_EQ(csvField("a\rb"), "\"a\rb\"");
}

}  // namespace
}  // namespace samband::common
