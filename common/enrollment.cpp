// Enrollment request JSON and its proof-of-possession signature.
#include "common/enrollment.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "common/codec.h"
#include "common/ids.h"

namespace samband::common {

namespace {

constexpr char kEnrollDomain[] = "samband/v1/enroll";
constexpr size_t kMaxUnitsPerRequest = 2000;

// The exact bytes the signature covers: the domain, then one field per line.
Bytes signedBytes(const EnrollRequest& r) {
  std::string s(kEnrollDomain, sizeof kEnrollDomain);
  s += r.provider + "\n" + r.name + "\n";
  for (size_t i = 0; i < r.units.size(); ++i) s += (i ? "," : "") + r.units[i];
  s += "\n" + toHex(r.signPublic.data(), 32) + "\n" + toHex(r.curvePublic.data(), 32) + "\n" +
       std::to_string(r.createdAt);
  return Bytes(s.begin(), s.end());
}

}  // namespace

bool isSmallOrderCurveKey(const PublicKey& curvePublic) {
  // X25519 clamps every scalar to a multiple of the cofactor 8, so any scalar times a point of
  // order 1, 2, 4 or 8 gives the all-zero output, which crypto_scalarmult reports as -1. Such a
  // "public key" gives a shared secret that anyone can compute: the handshake proves nothing.
  unsigned char scalar[crypto_scalarmult_SCALARBYTES] = {9};
  unsigned char out[crypto_scalarmult_BYTES];
  return crypto_scalarmult(out, scalar, curvePublic.data()) != 0;
}

EnrollRequest makeEnrollRequest(const Identity& identity, const std::string& name,
                                const std::vector<std::string>& units, int64_t createdAt) {
  EnrollRequest r;
  r.provider = identity.id();
  r.name = name;
  r.units = units;
  r.signPublic = identity.signPublic();
  r.curvePublic = identity.curvePublic();
  r.createdAt = createdAt;
  Bytes msg = signedBytes(r);
  r.signature = identity.sign(msg.data(), msg.size());
  return r;
}

std::string enrollRequestToJson(const EnrollRequest& r) {
  nlohmann::json j;
  j["kind"] = "samband-enroll-request";
  j["version"] = 1;
  j["provider"] = r.provider;
  j["name"] = r.name;
  j["units"] = r.units;
  j["key_id"] = toHex(r.keyId());
  j["sign_public"] = toHex(r.signPublic.data(), 32);
  j["curve_public"] = toHex(r.curvePublic.data(), 32);
  j["created_at"] = r.createdAt;
  j["signature"] = toHex(r.signature);
  return j.dump(2) + "\n";
}

Result<EnrollRequest> parseEnrollRequest(const std::string& text, const std::string& source) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return invalidInput(source +
                        " is not valid JSON; use the enroll-request.json that "
                        "'samband-agent init' wrote");
  }
  // Compare as JSON: json::value() would throw for a "kind" that is not a string.
  if (!j.contains("kind") || j["kind"] != "samband-enroll-request") {
    return invalidInput(source + " is not a Samband enrollment request (kind field)");
  }
  EnrollRequest r;
  try {
    r.provider = j.at("provider").get<std::string>();
    r.name = j.at("name").get<std::string>();
    r.units = j.at("units").get<std::vector<std::string>>();
    // A JSON number with a fraction or exponent (1.7e54) converted to int64 is undefined
    // behaviour: only whole numbers are taken (found by the enroll_request fuzz target).
    const nlohmann::json& created = j.at("created_at");
    if (!created.is_number_integer()) {
      return invalidInput(source +
                          ": created_at must be a whole number of milliseconds; use the "
                          "enroll-request.json that 'samband-agent init' wrote");
    }
    r.createdAt = created.get<int64_t>();
    if (!fromHex(j.at("sign_public").get<std::string>(), r.signPublic.data(), 32) ||
        !fromHex(j.at("curve_public").get<std::string>(), r.curvePublic.data(), 32) ||
        !fromHex(j.at("signature").get<std::string>(), &r.signature) ||
        r.signature.size() != crypto_sign_BYTES) {
      return invalidInput(source + ": keys and signature must be hex of the right length");
    }
  } catch (const nlohmann::json::exception& e) {
    return invalidInput(source + ": missing or mistyped field (" + e.what() + ")");
  }
  if (!isProviderId(r.provider)) {
    return invalidInput(source + ": provider '" + r.provider +
                        "' is not an organisation number NNNNNN-NNNN");
  }
  if (r.name.empty() || r.name.size() > kMaxShortText || !isCleanText(r.name)) {
    return invalidInput(source + ": name must be 1 to 200 bytes of plain text");
  }
  if (r.units.empty() || r.units.size() > kMaxUnitsPerRequest) {
    return invalidInput(source + ": a request must name from 1 to 2000 units");
  }
  for (const auto& u : r.units) {
    if (!isUnitCode(u)) return invalidInput(source + ": unit '" + u + "' is not 8 digits");
  }
  if (isSmallOrderCurveKey(r.curvePublic)) {
    return invalidInput(source +
                        ": curve_public is a weak X25519 key (all zero or of small order) that "
                        "would let anyone open the provider's connection; run 'samband-agent "
                        "init' again to make proper keys and send the new request");
  }
  Bytes msg = signedBytes(r);
  if (crypto_sign_verify_detached(r.signature.data(), msg.data(), msg.size(),
                                  r.signPublic.data()) != 0) {
    return unauthorised(source +
                        ": the signature does not match the key in the request; it was "
                        "altered or not made by the key's owner. Ask the provider to send the "
                        "file again");
  }
  return r;
}

}  // namespace samband::common
