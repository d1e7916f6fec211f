// RollupVerifier: what an upstream (county or national) broker believes of one enrolled city's
// relayed frames (docs/rollup.md). From the city's root public key alone: a city broker key is
// believed when a root-signed certificate is relayed (and not revoked); a provider key when an
// enrolment record signed by such a key enrols it (or a key rotation signed by a believed key
// of the same provider); a provider frame when that key signed its exact bytes, the unit is the
// provider's by the city's records, and its seq follows the chain (prevHash where consecutive;
// gaps are counted, as frames that are not relayed leave them). So a city broker cannot forge,
// alter or rewrite a provider's report: it can only withhold. One per city; one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/city_keyring.h"
#include "common/messages.h"

namespace samband::broker {

// The domain of a city broker's signature over its liveness summary (docs/rollup.md).
inline constexpr char kRollupLivenessDomain[] = "samband/v1/rollup-liveness";

// Which frames a city relays upward: actual unit status and capacity, provider key rotations,
// and the city's enrolment and city-key records. Nothing else (exercise and test traffic,
// readiness answers, directive acknowledgements, the city's checks and directives).
bool isRelayedUpward(const common::Message& m);

struct RollupAccepted {
  std::string sender;
  std::string keyIdHex;
  uint64_t seq = 0;
  common::Bytes bodyHash;
  common::Bytes frame;  // as signed: the envelope, or the batch frame the report came in
  std::optional<uint32_t> batchIndex;
  common::Message message;
  int64_t receivedAt = 0;
  bool afterGap = false;  // its seq did not follow the stored head directly
};

struct RollupRefused {
  common::RejectReason reason;
  std::string sender;  // empty when the frame did not decode that far
  std::string keyIdHex;
  uint64_t seq = 0;
  std::string detail;
};

struct RollupOutcome {
  std::vector<RollupAccepted> accepted;
  std::vector<RollupRefused> refused;
  size_t duplicates = 0;
};

class RollupVerifier {
 public:
  // The stored body hash of (sender, key id hex, seq), to tell a duplicate from a replay of a
  // different body below the head. Unset: only the head's own hash is known.
  using HashLookup = std::function<std::optional<common::Bytes>(
      const std::string& sender, const std::string& keyId, uint64_t seq)>;

  RollupVerifier(std::string city, const common::PublicKey& root);
  void setHashLookup(HashLookup lookup) { lookup_ = std::move(lookup); }

  // Checks the frames of one answer (envelopes or batch frames, each exactly as relayed) at
  // `receivedAt` (this broker's clock). The city's own records are checked first, so a provider
  // enrolled in the same answer is known. Accepted frames change this verifier's state (keys,
  // heads); the caller stores them. Never throws.
  RollupOutcome admit(const std::vector<common::Bytes>& frames, int64_t receivedAt);

  // The keyring of the city's root plus the relayed city key statements.
  const common::CityKeyring& keyring() const { return keyring_; }
  const std::string& city() const { return city_; }

 private:
  struct ProviderKey {
    std::string provider;
    common::PublicKey signPublic{};
    std::optional<int64_t> revokedAt;
    // The highest revokedAfterSeq any revocation record of the key names: its frames up to it
    // are history (admitted whenever relayed), later ones are refused. nullopt: only records
    // without one (judged by revokedAt against the time of receipt).
    std::optional<uint64_t> revokedAfterSeq;
  };
  struct Head {
    uint64_t seq = 0;
    common::Bytes hash;
  };
  struct Decoded {
    common::Message message;
    common::Bytes body;
    common::Bytes hash;
    std::optional<uint32_t> batchIndex;
  };

  void admitOne(const common::Bytes& frame, int64_t receivedAt, bool cityPass, RollupOutcome& out);
  // The chain rule; nullopt: accept (sets *afterGap), else the refusal. `duplicate` when the
  // same body is stored at that seq.
  std::optional<common::RejectReason> chainRule(const Decoded& d, const std::string& keyIdHex,
                                                bool* afterGap, bool* duplicate,
                                                std::string* detail) const;
  void apply(const common::Message& m, const std::string& keyIdHex, int64_t receivedAt);

  std::string city_;
  common::CityKeyring keyring_;
  std::map<std::string, ProviderKey> keys_;                    // by key id hex
  std::map<std::string, std::string> unitOwner_;               // unit -> provider
  std::map<std::pair<std::string, std::string>, Head> heads_;  // (sender, key id hex)
  HashLookup lookup_;
};

}  // namespace samband::broker
