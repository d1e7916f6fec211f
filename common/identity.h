// A party's identity: an Ed25519 signing key pair and a separate X25519 key pair for CurveZMQ.
// Secret halves live in sodium_malloc'd memory; identity files must have mode 0600.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace samband::common {

using PublicKey = std::array<uint8_t, 32>;
inline constexpr size_t kKeyIdBytes = 8;

// The first 8 bytes of BLAKE2b-256 over an Ed25519 public key.
Bytes keyIdOf(const PublicKey& signPublic);

// The public halves of an identity: what enrollment records and what agents pin for the city.
struct PublicIdentity {
  std::string id;
  PublicKey signPublic{};
  PublicKey curvePublic{};

  Bytes keyId() const { return keyIdOf(signPublic); }
  // Text form ("key = value" lines), the format of city.pub.
  std::string toText() const;
  // Parses the text form; `source` names the file in error messages.
  static Result<PublicIdentity> parse(const std::string& text, const std::string& source);
  static Result<PublicIdentity> load(const std::string& path);
  Status save(const std::string& path) const;
};

class Identity {
 public:
  Identity(const Identity&) = delete;
  Identity& operator=(const Identity&) = delete;

  // Fresh random keys for `id` (a provider id or "city").
  static std::unique_ptr<Identity> generate(const std::string& id);
  // A fresh signing key that keeps `transport`'s X25519 (CURVE) pair: a broker key rotated, or a
  // standby's key, that agents reach with the transport key they already pin (issue 15).
  static std::unique_ptr<Identity> generateSharingTransport(const std::string& id,
                                                            const Identity& transport);
  // Reads an identity file. Refuses a file readable or writable by group or others, naming the
  // chmod that fixes it.
  static Result<std::unique_ptr<Identity>> load(const std::string& path);
  // Writes the identity with mode 0600. Refuses to overwrite an existing file.
  Status save(const std::string& path) const;

  const std::string& id() const { return id_; }
  const PublicKey& signPublic() const { return signPublic_; }
  const PublicKey& curvePublic() const { return curvePublic_; }
  // 32-byte X25519 secret, for ZMQ_CURVE_SECRETKEY. Valid while this object lives.
  const uint8_t* curveSecret() const { return curveSecret_.data(); }
  Bytes keyId() const { return keyIdOf(signPublic_); }
  PublicIdentity publicPart() const { return {id_, signPublic_, curvePublic_}; }

  // Detached Ed25519 signature (64 bytes) over `size` bytes at `data`.
  Bytes sign(const uint8_t* data, size_t size) const;

 private:
  Identity();
  std::string id_;
  PublicKey signPublic_{};
  PublicKey curvePublic_{};
  SecretBytes signSecret_;   // 64 bytes
  SecretBytes curveSecret_;  // 32 bytes
};

// True when `path` exists and has no group/other permission bits.
bool hasPrivateMode(const std::string& path);

}  // namespace samband::common
