// The offline file container: round trip, and hostile input (wrong magic, truncation anywhere,
// oversized records and files, lying counts, trailing bytes, broken headers) is refused with a
// sentence, never crashes and never returns a partial file.
#include "common/offline_file.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "common/codec.h"

namespace samband::common {
namespace {

OfflineFile sample(size_t envelopes = 3) {
  OfflineFile f;
  f.header.provider = "556677-8899";
  f.header.keyIdHex = "0123456789abcdef";
  f.header.exportedAtMs = 1764067580123;
  f.header.firstSeq = envelopes ? 5 : 0;
  f.header.lastSeq = envelopes ? 5 + envelopes - 1 : 0;
  for (size_t i = 0; i < envelopes; ++i) f.envelopes.push_back(Bytes(40 + i * 7, uint8_t(i + 1)));
  return f;
}

std::string encoded(const OfflineFile& f) {
  auto bytes = encodeOfflineFile(f);
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  return bytes.ok() ? *bytes : std::string();
}

// Offset of the first envelope's length prefix.
size_t bodyStart(const std::string& file) { return file.find("\n\n") + 2; }

void expectRefused(const std::string& bytes, const std::string& needle) {
  auto r = decodeOfflineFile(bytes);
  ASSERT_FALSE(r.ok()) << "accepted a hostile file; expected: " << needle;
  EXPECT_EQ(r.error().kind, ErrorKind::invalidInput);
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

TEST(OfflineFile, RoundTripKeepsEnvelopesExactlyAndInOrder) {
  OfflineFile f = sample();
  auto back = decodeOfflineFile(encoded(f));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->envelopes, f.envelopes);
  EXPECT_EQ(back->header.provider, "556677-8899");
  EXPECT_EQ(back->header.keyIdHex, "0123456789abcdef");
  EXPECT_EQ(back->header.exportedAtMs, 1764067580123);
  EXPECT_EQ(back->header.firstSeq, 5u);
  EXPECT_EQ(back->header.lastSeq, 7u);
}

TEST(OfflineFile, EmptyFileIsValid) {
  auto back = decodeOfflineFile(encoded(sample(0)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->envelopes.empty());
}

TEST(OfflineFile, StartsWithReadableMagicAndHeader) {
  std::string bytes = encoded(sample());
  EXPECT_EQ(bytes.rfind("SAMBAND-OFFLINE\nversion: 1\nprovider: 556677-8899\n", 0), 0u);
}

TEST(OfflineFile, RefusesWrongMagic) {
  std::string bytes = encoded(sample());
  bytes[0] = 'X';
  expectRefused(bytes, "does not start with");
  expectRefused("", "does not start with");
  expectRefused("SAMBAND", "does not start with");
  expectRefused("{\"format\": \"json lines\"}\n", "does not start with");
}

TEST(OfflineFile, RefusesEveryTruncation) {
  std::string bytes = encoded(sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = decodeOfflineFile(bytes.substr(0, n));
    EXPECT_FALSE(r.ok()) << "accepted the first " << n << " of " << bytes.size() << " bytes";
  }
}

TEST(OfflineFile, SaysWhereItIsTruncated) {
  std::string bytes = encoded(sample());
  expectRefused(bytes.substr(0, bytes.size() - 1), "ends inside envelope 3 of 3");
  expectRefused(bytes.substr(0, bodyStart(bytes) + 2), "ends before envelope 1 of 3");
  expectRefused(bytes.substr(0, 30), "truncated");
}

TEST(OfflineFile, RefusesTrailingBytes) {
  expectRefused(encoded(sample()) + "x", "unexpected bytes after the last envelope");
}

TEST(OfflineFile, RefusesRecordLongerThanAFrame) {
  std::string bytes = encoded(sample(1));
  size_t at = bodyStart(bytes);
  // Length 0x00010001 = 65537 > kMaxFrameBytes, without the bytes to back it.
  bytes[at] = 0;
  bytes[at + 1] = 1;
  bytes[at + 2] = 0;
  bytes[at + 3] = 1;
  expectRefused(bytes, "outside 1..65536");
  bytes[at] = char(0xff);  // 4 GiB claimed
  expectRefused(bytes, "outside 1..");
}

TEST(OfflineFile, RefusesEmptyRecord) {
  std::string bytes = encoded(sample(1));
  size_t at = bodyStart(bytes);
  bytes = bytes.substr(0, at) + std::string(4, '\0');
  expectRefused(bytes, "claims 0 bytes");
}

TEST(OfflineFile, RefusesCountAboveTheLimitBeforeReadingRecords) {
  std::string bytes = encoded(sample(1));
  auto pos = bytes.find("count: 1\n");
  bytes.replace(pos, 9, "count: 100001\n");
  expectRefused(bytes, "more than the limit of 100000");
  bytes.replace(bytes.find("count: 100001\n"), 14, "count: 99999999999999999999\n");
  expectRefused(bytes, "count is not a number");
}

TEST(OfflineFile, RefusesCountThatLies) {
  std::string bytes = encoded(sample(2));
  bytes.replace(bytes.find("count: 2\n"), 9, "count: 3\n");
  expectRefused(bytes, "ends before envelope 3 of 3");
  bytes.replace(bytes.find("count: 3\n"), 9, "count: 1\n");
  expectRefused(bytes, "unexpected bytes");
}

TEST(OfflineFile, RefusesFileAboveTheSizeLimit) {
  std::string big(kMaxOfflineFileBytes + 1, '\0');
  std::memcpy(big.data(), kOfflineMagic, kOfflineMagicBytes);
  expectRefused(big, "more than the limit");
}

TEST(OfflineFile, RefusesHeaderWithoutEnd) {
  std::string bytes(kOfflineMagic, kOfflineMagicBytes);
  for (int i = 0; i < 200; ++i) bytes += "note: padding padding\n";
  expectRefused(bytes, "header is longer than 1024 bytes");
}

TEST(OfflineFile, RefusesBrokenOrMissingHeaderFields) {
  const std::string good = encoded(sample(1));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string b = good;
    b.replace(b.find(from), from.size(), to);
    return b;
  };
  expectRefused(with("version: 1\n", "version: 2\n"), "format version 2");
  expectRefused(with("version: 1\n", "version: one\n"), "version is not a number");
  expectRefused(with("provider: 556677-8899\n", "provider: ../etc\n"), "provider");
  expectRefused(with("key_id: 0123456789abcdef\n", "key_id: xyz\n"), "key id");
  expectRefused(with("key_id: 0123456789abcdef\n", ""), "lacks one of");
  expectRefused(with("count: 1\n", ""), "lacks one of");
  expectRefused(with("provider: 556677-8899\n", "provider556677-8899\n"), "key: value");
  expectRefused(with("exported_at_ms: ", "exported_at_ms: -"), "exported_at_ms");
}

TEST(OfflineFile, IgnoresUnknownHeaderLines) {
  std::string bytes = encoded(sample(1));
  bytes.insert(bytes.find("count: "), "comment: added by a later version\n");
  auto r = decodeOfflineFile(bytes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->envelopes.size(), 1u);
}

TEST(OfflineFile, RandomMutationsNeverCrash) {
  const std::string good = encoded(sample(4));
  std::mt19937 rng(20261125);
  for (int round = 0; round < 5000; ++round) {
    std::string b = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) b[rng() % b.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) b.resize(rng() % b.size());
    auto r = decodeOfflineFile(b);
    if (r.ok()) {
      size_t total = 0;
      for (const auto& e : r->envelopes) {
        EXPECT_GE(e.size(), 1u);
        EXPECT_LE(e.size(), kMaxFrameBytes);
        total += e.size();
      }
      EXPECT_LE(total, b.size());
    }
  }
}

TEST(OfflineFile, EncoderRefusesWhatTheDecoderWouldRefuse) {
  OfflineFile f = sample(1);
  f.envelopes.push_back(Bytes(kMaxFrameBytes + 1, 1));
  EXPECT_FALSE(encodeOfflineFile(f).ok());
  f = sample(1);
  f.envelopes.push_back(Bytes());
  EXPECT_FALSE(encodeOfflineFile(f).ok());
  f = sample(1);
  f.header.provider = "city";
  EXPECT_FALSE(encodeOfflineFile(f).ok());
  f = sample(1);
  f.header.keyIdHex = "abc";
  EXPECT_FALSE(encodeOfflineFile(f).ok());
}

}  // namespace
}  // namespace samband::common
