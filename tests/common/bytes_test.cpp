// Hex encoding, BLAKE2b-256, secret memory and error-kind names.
#include "common/bytes.h"

#include <gtest/gtest.h>

#include "common/result.h"

namespace samband::common {
namespace {

TEST(Hex, EncodesLowercaseAndRoundTrips) {
  Bytes b = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(toHex(b), "0001abff");
  Bytes back;
  ASSERT_TRUE(fromHex("0001abff", &back));
  EXPECT_EQ(back, b);
  ASSERT_TRUE(fromHex("0001ABFF", &back));
  EXPECT_EQ(back, b);
  EXPECT_EQ(toHex(Bytes{}), "");
}

TEST(Hex, RefusesOddLengthNonHexAndWrongSize) {
  Bytes out;
  EXPECT_FALSE(fromHex("abc", &out));
  EXPECT_FALSE(fromHex("zz", &out));
  EXPECT_FALSE(fromHex("0g", &out));
  EXPECT_FALSE(fromHex("00 1", &out));
  EXPECT_FALSE(fromHex("0x01", &out));
  uint8_t four[4];
  EXPECT_FALSE(fromHex("000102", four, 4));
  EXPECT_FALSE(fromHex("0001020304", four, 4));
  EXPECT_FALSE(fromHex("00:1:0203", four, 4));
  EXPECT_TRUE(fromHex("00010203", four, 4));
  EXPECT_EQ(four[3], 3);
}

TEST(Hash256, IsBlake2b256) {
  initSodium();
  EXPECT_EQ(toHex(hash256(Bytes{})),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  Bytes abc = {'a', 'b', 'c'};
  EXPECT_EQ(toHex(hash256(abc)),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  EXPECT_EQ(hash256(abc).size(), 32u);
}

TEST(SecretBytes, HoldsWritableMemoryOfTheRequestedSize) {
  SecretBytes s(64);
  EXPECT_EQ(s.size(), 64u);
  for (size_t i = 0; i < s.size(); ++i) s.data()[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(s.data()[63], 63);
}

TEST(ErrorKind, NamesAreSnakeCase) {
  EXPECT_STREQ(errorKindName(ErrorKind::invalidInput), "invalid_input");
  EXPECT_STREQ(errorKindName(ErrorKind::unauthorised), "unauthorised");
  EXPECT_STREQ(errorKindName(ErrorKind::conflict), "conflict");
  EXPECT_STREQ(errorKindName(ErrorKind::notFound), "not_found");
  EXPECT_STREQ(errorKindName(ErrorKind::overloaded), "overloaded");
  EXPECT_STREQ(errorKindName(ErrorKind::unavailable), "unavailable");
  EXPECT_STREQ(errorKindName(ErrorKind::internal), "internal");
}

TEST(ResultType, CarriesValueOrError) {
  Result<int> good(7);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad(unauthorised("nope"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::unauthorised);
  EXPECT_EQ(bad.error().message, "nope");
  Status fine;
  EXPECT_TRUE(fine.ok());
  Status failed = unavailable("gone");
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::unavailable);
}

}  // namespace
}  // namespace samband::common
