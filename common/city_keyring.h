// The city key hierarchy (docs/decisions/0008-city-key-hierarchy.md): an offline root key signs
// statements about brokers' operational city keys (certificates and revocations), and a
// CityKeyring answers "may this key sign for the city at this time?" from the root's public key
// plus those statements alone. Used by the agent (city messages, time beacons, receipts) and by
// the broker (audit, inquiry verify, peers' city chains).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/checkpoint.h"
#include "common/identity.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::common {

// The domain-separation prefix of a root's signature over a statement (NUL included). Distinct
// from bodies, checkpoints and manifests, so no other signature can pass for a certificate.
inline constexpr char kCityKeySignDomain[] = "samband/v1/city-key";
inline constexpr size_t kMaxCityKeyLabel = 64;

enum class CityKeyAction : uint8_t { certify = 1, revoke = 2 };

// What the root states about one operational key (layout in docs/protocol.md, "City keys").
struct CityKeyStatement {
  CityKeyAction action = CityKeyAction::certify;
  Bytes rootKeyId;          // 8 bytes: the root that signs the statement
  Bytes keyId;              // 8 bytes: the operational key it is about
  PublicKey signPublic{};   // certify: the key's Ed25519 half; revoke: zero
  PublicKey curvePublic{};  // certify: the key's X25519 (transport) half; revoke: zero
  int64_t issuedAt = 0;     // ms since epoch, when the root signed it
  int64_t effectiveAt = 0;  // certify: valid from; revoke: refused from this time on
  std::string label;        // the broker's name ("primary", "standby"), at most 64 bytes

  Bytes encode() const;
  // Errors: invalidInput for a wrong version, size, action or label, or a certificate whose key
  // id does not belong to its signing key.
  static Result<CityKeyStatement> decode(const Bytes& bytes);
};

// A statement with the root's signature, as archived (CityKeyMsg) and as written to files.
struct SignedCityKey {
  CityKeyStatement statement;
  Bytes statementBytes;  // exactly as signed
  Bytes signature;       // 64 bytes

  bool isCertificate() const { return statement.action == CityKeyAction::certify; }
  CityKeyMsg toMessage() const { return CityKeyMsg{statementBytes, signature}; }
  // Decodes (does not verify: CityKeyring::add does). Errors: invalidInput.
  static Result<SignedCityKey> fromMessage(const CityKeyMsg& message);
  // One "certificate = HEX:HEX" or "revocation = HEX:HEX" line, with a comment line above it.
  std::string toText() const;
};

// Signs a certificate for `key` (its sign and curve halves) under `root`.
SignedCityKey certifyCityKey(const Identity& root, const PublicIdentity& key,
                             const std::string& label, int64_t nowMs);
// Signs a revocation of `keyId` from `fromMs` on under `root`.
SignedCityKey revokeCityKey(const Identity& root, const Bytes& keyId, const std::string& label,
                            int64_t nowMs, int64_t fromMs);

// The statements in a text file: every "certificate = ..." and "revocation = ..." line (other
// lines, e.g. the root's public identity, are ignored). Not verified. Errors: invalidInput naming
// `source` and the line.
Result<std::vector<SignedCityKey>> parseCityKeyLines(const std::string& text,
                                                     const std::string& source);
Result<std::vector<SignedCityKey>> loadCityKeyLines(const std::string& path);

// What `--city-keys` names: a public identity of the city (the root's root.pub, or the city.pub
// of a single-key installation, which is a root that certified itself), optionally followed by
// certificate and revocation lines.
struct CityKeysFile {
  PublicIdentity root;
  std::vector<SignedCityKey> statements;
  // The transport (CURVE) key an agent should pin: the first certificate's curve half, else the
  // file's own curve_public (a single-key installation).
  PublicKey transportKey() const;
};
Result<CityKeysFile> loadCityKeysFile(const std::string& path);

// One operational key as the keyring sees it.
struct CityKeyStatus {
  Bytes keyId;
  std::string label;
  PublicKey signPublic{};
  PublicKey curvePublic{};
  bool isRoot = false;                 // the root itself (a single-key installation)
  bool certified = false;              // a root-signed certificate is held
  std::optional<int64_t> revokedFrom;  // a root-signed revocation is held
  int64_t certifiedAt = 0;
};

class CityKeyring {
 public:
  explicit CityKeyring(const PublicKey& root);

  const PublicKey& root() const { return root_; }
  Bytes rootKeyId() const { return keyIdOf(root_); }

  // Believes `key` only if the root signed it (kCityKeySignDomain) and it names this root.
  // Returns true when it taught the keyring something new. Errors: unauthorised (another root,
  // bad signature, a revocation of the root itself), invalidInput (malformed).
  Result<bool> add(const SignedCityKey& key);
  Result<bool> add(const CityKeyMsg& message);

  // The signing key that `keyId` names, if it may sign for the city at `atMs`: the root itself,
  // or a certified key not revoked at or before `atMs`. Errors: unauthorised, saying which.
  Result<PublicKey> keyFor(const Bytes& keyId, int64_t atMs) const;
  // Ed25519 by the key `keyId` names (keyFor) over `domain` NUL || `message`.
  Status verify(const Bytes& keyId, std::string_view domain, const Bytes& message,
                const Bytes& signature, int64_t atMs) const;
  // verify() with the body domain (common/signing.h).
  Status verifyBody(const Bytes& keyId, const Bytes& body, const Bytes& signature,
                    int64_t atMs) const;

  // Every key the keyring knows (root first), for `city-key list` and status pages.
  std::vector<CityKeyStatus> keys() const;
  // Every statement it believed, in the order added (to persist or pass on).
  const std::vector<SignedCityKey>& statements() const { return statements_; }

 private:
  PublicKey root_;
  std::string rootKeyIdHex_;
  std::map<std::string, CityKeyStatus> keys_;  // by key id hex, root excluded
  std::vector<SignedCityKey> statements_;
};

// A checkpoint header signed by a city key the keyring accepts at the checkpoint's own signedAt
// (the key id is read from the header). Errors: invalidInput (header), unauthorised.
Status verifyCityCheckpoint(const CityKeyring& cityKeys, const Bytes& header,
                            const Bytes& signature);
// verifyReceipt() with the key the receipt's checkpoint names, if the keyring accepts it.
Status verifyCityReceipt(const CityKeyring& cityKeys, const Receipt& receipt);

}  // namespace samband::common
