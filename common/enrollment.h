// Enrollment requests: a new agent's public keys and units, signed by its own new key
// (proof of possession). Written by `samband-agent init`, read by `samband-broker enroll`.
#pragma once

#include <string>
#include <vector>

#include "common/identity.h"
#include "common/result.h"

namespace samband::common {

struct EnrollRequest {
  std::string provider;  // organisation number
  std::string name;      // the provider's name
  std::vector<std::string> units;
  PublicKey signPublic{};
  PublicKey curvePublic{};
  int64_t createdAt = 0;
  Bytes signature;

  Bytes keyId() const { return keyIdOf(signPublic); }
};

// True for an X25519 public key of small order (the all-zero key among them): a key that gives a
// shared secret anyone can compute. Such keys are refused wherever a transport key is enrolled.
bool isSmallOrderCurveKey(const PublicKey& curvePublic);

// Builds and signs a request with `identity` (whose id is the provider).
EnrollRequest makeEnrollRequest(const Identity& identity, const std::string& name,
                                const std::vector<std::string>& units, int64_t createdAt);
std::string enrollRequestToJson(const EnrollRequest& request);
// Parses and verifies a request: syntax of ids, unit codes, and the signature. `source` names the
// file in messages.
Result<EnrollRequest> parseEnrollRequest(const std::string& json, const std::string& source);

}  // namespace samband::common
