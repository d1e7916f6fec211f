// See manifest.h.
#include "broker/inquiry/manifest.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "common/config.h"
#include "common/signing.h"

namespace samband::broker::inquiry {

std::string sha256Hex(const std::string& data) {
  uint8_t out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const uint8_t*>(data.data()), data.size());
  return common::toHex(out, sizeof out);
}

common::Result<std::vector<std::string>> filesUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(dir, ec), end;
  if (ec) return common::invalidInput("cannot read the folder " + dir + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return common::invalidInput("cannot read the folder " + dir + ": " + ec.message());
    if (it->is_regular_file()) {
      out.push_back(std::filesystem::relative(it->path(), dir).generic_string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

common::Result<std::string> makeManifest(const std::string& dir) {
  auto files = filesUnder(dir);
  if (!files) return files.error();
  std::string out;
  for (const auto& f : *files) {
    if (f == kManifestFile || f == kManifestSignatureFile) continue;
    auto text = common::readFile(dir + "/" + f, size_t{1} << 34);
    if (!text) return text.error();
    out += sha256Hex(*text) + "  " + f + "\n";
  }
  return out;
}

common::Result<std::map<std::string, std::string>> parseManifest(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.size() < 67 || line[64] != ' ' || line[65] != ' ' ||
        line.find_first_not_of("0123456789abcdef") < 64) {
      return common::invalidInput(std::string(kManifestFile) + " line " + std::to_string(n) +
                                  " is not 'SHA256  path'");
    }
    out[line.substr(66)] = line.substr(0, 64);
  }
  return out;
}

namespace {

common::Bytes signingInput(const std::string& manifest) {
  common::Bytes buf(sizeof kManifestSignDomain + manifest.size());
  std::memcpy(buf.data(), kManifestSignDomain, sizeof kManifestSignDomain);
  if (!manifest.empty()) {
    std::memcpy(buf.data() + sizeof kManifestSignDomain, manifest.data(), manifest.size());
  }
  return buf;
}

}  // namespace

std::string signManifest(const common::Identity& city, const std::string& manifest) {
  const common::Bytes msg = signingInput(manifest);
  return common::toHex(city.sign(msg.data(), msg.size()));
}

bool verifyManifest(const common::PublicKey& city, const std::string& manifest,
                    const std::string& signatureHex) {
  common::Bytes sig;
  if (!common::fromHex(signatureHex, &sig) || sig.size() != crypto_sign_BYTES) return false;
  const common::Bytes msg = signingInput(manifest);
  return crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), city.data()) == 0;
}

std::string base64(const common::Bytes& bytes) {
  const size_t len = sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), len, bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(len - 1);  // the terminating NUL
  return out;
}

std::optional<common::Bytes> fromBase64(const std::string& text) {
  common::Bytes out(text.size() * 3 / 4 + 3);
  size_t len = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

}  // namespace samband::broker::inquiry
