// See offline_file.h. The decoder reads untrusted bytes: every length is checked against what is
// left before it is used, and every header value is bounded.
#include "common/offline_file.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/codec.h"
#include "common/ids.h"

namespace samband::common {

namespace {

constexpr size_t kLengthBytes = 4;
constexpr size_t kMaxDigits = 19;  // fits in int64_t / uint64_t without overflow

Error damaged(const std::string& what) {
  return invalidInput("not a readable Samband offline file: " + what +
                      "; copy it again from the agent's server (samband-agent export)");
}

bool parseNumber(std::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > kMaxDigits) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

bool isKeyIdHex(const std::string& s) {
  Bytes ignored;
  return s.size() == 2 * kKeyIdBytes && fromHex(s, &ignored);
}

void putLength(std::string& out, uint32_t n) {
  const char b[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
  out.append(b, 4);
}

uint32_t getLength(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

Result<std::string> encodeOfflineFile(const OfflineFile& file) {
  const OfflineFileHeader& h = file.header;
  if (!isProviderId(h.provider)) {
    return invalidInput("offline file: provider '" + h.provider +
                        "' is not an organisation number NNNNNN-NNNN; check [agent] provider");
  }
  if (!isKeyIdHex(h.keyIdHex)) {
    return invalidInput("offline file: the key id must be 16 hex digits");
  }
  if (file.envelopes.size() > kMaxOfflineEnvelopes) {
    return invalidInput("the outbox holds " + std::to_string(file.envelopes.size()) +
                        " pending messages, more than one offline file carries (" +
                        std::to_string(kMaxOfflineEnvelopes) +
                        "); this should never happen: tell the city's operators");
  }
  std::string out(kOfflineMagic, kOfflineMagicBytes);
  out += "version: " + std::to_string(kOfflineVersion) + "\n";
  out += "provider: " + h.provider + "\n";
  out += "key_id: " + h.keyIdHex + "\n";
  out += "exported_at_ms: " + std::to_string(h.exportedAtMs < 0 ? 0 : h.exportedAtMs) + "\n";
  out += "count: " + std::to_string(file.envelopes.size()) + "\n";
  out += "first_seq: " + std::to_string(h.firstSeq) + "\n";
  out += "last_seq: " + std::to_string(h.lastSeq) + "\n";
  out += "\n";
  for (const Bytes& e : file.envelopes) {
    if (e.empty() || e.size() > kMaxFrameBytes) {
      return invalidInput("an outbox envelope of " + std::to_string(e.size()) +
                          " bytes is outside 1.." + std::to_string(kMaxFrameBytes) +
                          "; the outbox is damaged: tell the city's operators");
    }
    putLength(out, static_cast<uint32_t>(e.size()));
    out.append(reinterpret_cast<const char*>(e.data()), e.size());
    if (out.size() > kMaxOfflineFileBytes) {
      return invalidInput("the pending messages take more than " +
                          std::to_string(kMaxOfflineFileBytes >> 20) +
                          " MiB, more than one offline file carries; this should never happen: "
                          "tell the city's operators");
    }
  }
  return out;
}

Result<OfflineFile> decodeOfflineFile(const uint8_t* data, size_t size) {
  if (size > kMaxOfflineFileBytes) {
    return damaged("it has " + std::to_string(size) + " bytes, more than the limit of " +
                   std::to_string(kMaxOfflineFileBytes));
  }
  if (size < kOfflineMagicBytes || std::memcmp(data, kOfflineMagic, kOfflineMagicBytes) != 0) {
    return damaged("it does not start with \"SAMBAND-OFFLINE\" (wrong file?)");
  }
  size_t pos = kOfflineMagicBytes;
  const size_t headerLimit = std::min(size, pos + kMaxOfflineHeaderBytes);
  OfflineFile file;
  OfflineFileHeader& h = file.header;
  bool sawVersion = false, sawProvider = false, sawKey = false, sawCount = false;
  uint64_t count = 0;
  bool ended = false;
  while (pos < headerLimit) {
    const auto* nl = static_cast<const uint8_t*>(std::memchr(data + pos, '\n', headerLimit - pos));
    if (nl == nullptr) break;
    std::string_view line(reinterpret_cast<const char*>(data + pos),
                          static_cast<size_t>(nl - (data + pos)));
    pos = static_cast<size_t>(nl - data) + 1;
    if (line.empty()) {
      ended = true;
      break;
    }
    size_t colon = line.find(": ");
    if (colon == std::string_view::npos) return damaged("a header line has no \"key: value\"");
    std::string_view key = line.substr(0, colon);
    std::string value(line.substr(colon + 2));
    uint64_t n = 0;
    if (key == "version") {
      if (!parseNumber(value, &n)) return damaged("the version is not a number");
      if (n != kOfflineVersion) {
        return invalidInput("the offline file has format version " + value +
                            ", this broker reads version " + std::to_string(kOfflineVersion) +
                            "; install the samband-broker matching the provider's samband-agent");
      }
      h.version = static_cast<uint32_t>(n);
      sawVersion = true;
    } else if (key == "provider") {
      if (!isProviderId(value)) return damaged("the provider is not an organisation number");
      h.provider = value;
      sawProvider = true;
    } else if (key == "key_id") {
      if (!isKeyIdHex(value)) return damaged("the key id is not 16 hex digits");
      h.keyIdHex = value;
      sawKey = true;
    } else if (key == "exported_at_ms") {
      if (!parseNumber(value, &n) || n > static_cast<uint64_t>(INT64_MAX)) {
        return damaged("exported_at_ms is not a time");
      }
      h.exportedAtMs = static_cast<int64_t>(n);
    } else if (key == "count") {
      if (!parseNumber(value, &count)) return damaged("the count is not a number");
      if (count > kMaxOfflineEnvelopes) {
        return damaged("it announces " + value + " envelopes, more than the limit of " +
                       std::to_string(kMaxOfflineEnvelopes));
      }
      sawCount = true;
    } else if (key == "first_seq") {
      if (!parseNumber(value, &h.firstSeq)) return damaged("first_seq is not a number");
    } else if (key == "last_seq") {
      if (!parseNumber(value, &h.lastSeq)) return damaged("last_seq is not a number");
    }
    // Other keys are ignored: later versions may add informational lines.
  }
  if (!ended) {
    return damaged(headerLimit == size ? "it ends inside the header (truncated)"
                                       : "the header is longer than " +
                                             std::to_string(kMaxOfflineHeaderBytes) + " bytes");
  }
  if (!sawVersion || !sawProvider || !sawKey || !sawCount) {
    return damaged("the header lacks one of version, provider, key_id, count");
  }
  file.envelopes.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    const std::string which = "envelope " + std::to_string(i + 1) + " of " + std::to_string(count);
    if (size - pos < kLengthBytes) return damaged("it ends before " + which + " (truncated)");
    uint32_t n = getLength(data + pos);
    pos += kLengthBytes;
    if (n == 0 || n > kMaxFrameBytes) {
      return damaged(which + " claims " + std::to_string(n) + " bytes, outside 1.." +
                     std::to_string(kMaxFrameBytes));
    }
    if (size - pos < n) return damaged("it ends inside " + which + " (truncated)");
    file.envelopes.emplace_back(data + pos, data + pos + n);
    pos += n;
  }
  if (pos != size) {
    return damaged(std::to_string(size - pos) + " unexpected bytes after the last envelope");
  }
  return file;
}

}  // namespace samband::common
