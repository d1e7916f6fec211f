// See rollup_protocol.h.
#include "broker/replication/rollup_protocol.h"

#include <nlohmann/json.hpp>

#include "broker/replication/rollup_verifier.h"
#include "common/bytes.h"

namespace samband::broker {

namespace {

common::Bytes domainInput(std::string_view domain, const std::string& message) {
  common::Bytes buf(domain.begin(), domain.end());
  buf.push_back(0);
  buf.insert(buf.end(), message.begin(), message.end());
  return buf;
}

bool hexKey(const nlohmann::json& j, const char* name, common::PublicKey& out) {
  return j.contains(name) && j[name].is_string() &&
         common::fromHex(j[name].get<std::string>(), out.data(), out.size());
}

}  // namespace

std::string encodeLiveness(const LivenessSummary& s) {
  nlohmann::json j;
  j["key_id"] = s.keyIdHex;
  j["at"] = s.at;
  j["providers"] = nlohmann::json::array();
  for (const auto& [id, age] : s.providers) {
    j["providers"].push_back({id, age ? nlohmann::json(*age) : nlohmann::json(nullptr)});
  }
  return j.dump();
}

common::Result<LivenessSummary> decodeLiveness(const std::string& text) {
  if (text.size() > kMaxLivenessBytes) return common::invalidInput("liveness summary too large");
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("key_id") || !j["key_id"].is_string() ||
      !j.contains("at") || !j["at"].is_number_integer() || !j.contains("providers") ||
      !j["providers"].is_array() || j["providers"].size() > kMaxLivenessProviders) {
    return common::invalidInput("liveness summary: not {key_id, at, providers}");
  }
  LivenessSummary s;
  s.keyIdHex = j["key_id"].get<std::string>();
  s.at = j["at"].get<int64_t>();
  for (const auto& p : j["providers"]) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_string() ||
        p[0].get<std::string>().size() > 64 ||
        !(p[1].is_null() || (p[1].is_number_integer() && p[1].get<int64_t>() >= 0))) {
      return common::invalidInput("liveness summary: a provider entry is not [id, age_ms|null]");
    }
    s.providers.emplace_back(
        p[0].get<std::string>(),
        p[1].is_null() ? std::nullopt : std::optional<int64_t>(p[1].get<int64_t>()));
  }
  return s;
}

common::Bytes signLiveness(const common::Identity& city, const std::string& json) {
  common::Bytes in = domainInput(kRollupLivenessDomain, json);
  return city.sign(in.data(), in.size());
}

std::string makeUpstreamRequest(const common::Identity& broker, const std::string& city,
                                const common::PublicKey& root,
                                const std::vector<common::SignedCityKey>& statements,
                                int64_t nowMs) {
  nlohmann::json j;
  j["samband_upstream_request"] = 1;
  j["city"] = city;
  j["root_sign_public"] = common::toHex(root.data(), root.size());
  j["sign_public"] = common::toHex(broker.signPublic().data(), 32);
  j["curve_public"] = common::toHex(broker.curvePublic().data(), 32);
  std::string lines;
  for (const auto& s : statements) lines += s.toText();
  j["city_keys"] = lines;
  j["signed_at"] = nowMs;
  common::Bytes in = domainInput(kUpstreamRequestDomain, j.dump());
  j["signature"] = common::toHex(broker.sign(in.data(), in.size()));
  return j.dump(2) + "\n";
}

common::Result<UpstreamRequest> verifyUpstreamRequest(const std::string& text,
                                                      const std::string& source, int64_t nowMs) {
  auto bad = [&](const std::string& what) {
    return common::invalidInput(source + ": " + what +
                                "; ask the city for a new file (samband-broker upstream-request)");
  };
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("samband_upstream_request", 0) != 1) {
    return bad("not an upstream request");
  }
  UpstreamRequest r;
  if (!j.contains("city") || !j["city"].is_string()) return bad("no city name");
  r.city = j["city"].get<std::string>();
  if (r.city.empty() || r.city.size() > 64) return bad("the city name must be 1 to 64 bytes");
  for (unsigned char c : r.city) {
    if (c < 0x20 || c == 0x7f) return bad("the city name holds a control character");
  }
  if (!hexKey(j, "root_sign_public", r.root) || !hexKey(j, "sign_public", r.signPublic) ||
      !hexKey(j, "curve_public", r.curvePublic)) {
    return bad("a key is not 64 hex digits");
  }
  if (!j.contains("signature") || !j["signature"].is_string() || !j.contains("city_keys") ||
      !j["city_keys"].is_string()) {
    return bad("no signature or city keys");
  }
  common::Bytes signature;
  if (!common::fromHex(j["signature"].get<std::string>(), &signature)) return bad("bad signature");
  auto statements = common::parseCityKeyLines(j["city_keys"].get<std::string>(), source);
  if (!statements) return statements.error();
  common::CityKeyring keyring(r.root);
  for (const auto& s : *statements) (void)keyring.add(s);
  const common::Bytes keyId = common::keyIdOf(r.signPublic);
  auto key = keyring.keyFor(keyId, nowMs);
  if (!key) {
    return common::unauthorised(
        source + ": the city broker key " + common::toHex(keyId) +
        " is not certified by the city's root (or is revoked): " + key.error().message);
  }
  if (*key != r.signPublic) return bad("the signing key does not match its certificate");
  for (const auto& k : keyring.keys()) {
    if (!k.isRoot && k.keyId == keyId && k.curvePublic != r.curvePublic) {
      return common::unauthorised(source +
                                  ": the transport key is not the one the root certified for "
                                  "this broker key");
    }
  }
  nlohmann::json unsignedPart = j;
  unsignedPart.erase("signature");
  if (auto s = keyring.verify(
          keyId, kUpstreamRequestDomain,
          [&] {
            const std::string d = unsignedPart.dump();
            return common::Bytes(d.begin(), d.end());
          }(),
          signature, nowMs);
      !s) {
    return common::unauthorised(source + ": the request's signature does not verify (altered?)");
  }
  return r;
}

}  // namespace samband::broker
