// The offline transfer file: an agent's pending signed envelopes, carried to the city on a USB
// stick when the network is gone (`samband-agent export`, `samband-broker import`). The container
// only carries bytes; it adds no trust. Each envelope passes the broker's gate exactly like a
// network frame, so the header is informational and nothing in it is believed.
// Format (docs/protocol.md, "Offline transfer"):
//   "SAMBAND-OFFLINE\n"                     16 bytes of magic
//   "key: value\n" lines, then "\n"          the header (at most kMaxOfflineHeaderBytes)
//   count × (u32 big-endian length, bytes)   the envelopes, exactly as signed, in seq order
// and nothing after the last envelope.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace samband::common {

inline constexpr char kOfflineMagic[] = "SAMBAND-OFFLINE\n";
inline constexpr size_t kOfflineMagicBytes = sizeof kOfflineMagic - 1;
inline constexpr uint32_t kOfflineVersion = 1;
inline constexpr size_t kMaxOfflineHeaderBytes = 1024;
// Limits of one file. Days offline at the highest readiness level are a few thousand reports of
// under 2 KiB each; these bounds are far above that and keep a hostile file from exhausting the
// importer's memory.
inline constexpr size_t kMaxOfflineEnvelopes = 100'000;
inline constexpr size_t kMaxOfflineFileBytes = 64u * 1024 * 1024;

struct OfflineFileHeader {
  uint32_t version = kOfflineVersion;
  std::string provider;  // organisation number of the exporting agent (unsigned: informational)
  std::string keyIdHex;  // the signing key of the outbox at export time (16 hex digits)
  int64_t exportedAtMs = 0;
  uint64_t firstSeq = 0;  // 0 when the file is empty
  uint64_t lastSeq = 0;
};

struct OfflineFile {
  OfflineFileHeader header;
  std::vector<Bytes> envelopes;  // in seq order
};

// Serializes `file`. Errors (invalidInput) when the header is not valid or the envelopes exceed
// the limits above (an envelope larger than kMaxFrameBytes, too many, or a file too large).
Result<std::string> encodeOfflineFile(const OfflineFile& file);

// Parses untrusted bytes. Checks, in order: total size, magic, header (size, known keys in range,
// provider and key id well formed), then exactly the announced number of envelopes, each between
// 1 byte and kMaxFrameBytes, and no bytes after the last. Every failure is invalidInput with what
// is wrong; nothing partial is returned. The envelopes themselves are not decoded here: that is
// the broker's gate.
Result<OfflineFile> decodeOfflineFile(const uint8_t* data, size_t size);
inline Result<OfflineFile> decodeOfflineFile(const std::string& bytes) {
  return decodeOfflineFile(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace samband::common
