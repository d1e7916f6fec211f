// The roll-up protocol between a city broker and its upstream (county or national) broker
// (docs/rollup.md): the city connects (DEALER, CURVE client with its own transport key) and says
// hello; the upstream answers with pull requests (pull_protocol.h, the heads it holds of that
// city) and the city answers with the frames it relays upward exactly as their senders signed
// them, plus a liveness summary signed by its city key. Also the enrolment request a city
// broker writes for its upstream (`upstream-request`, read by `enroll-city`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/city_keyring.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::broker {

inline constexpr const char* kRelayHelloTag = "samband-relay-hello/1";
inline constexpr const char* kRelayAnswerTag = "samband-relay/1";
inline constexpr size_t kMaxLivenessBytes = 4 * 1024 * 1024;
inline constexpr size_t kMaxLivenessProviders = 100'000;
inline constexpr char kUpstreamRequestDomain[] = "samband/v1/upstream-request";

// What a city broker says of its providers' connections: per provider, how long ago (city
// broker clock) its last frame came, or null for never. The upstream turns ages into times on
// its own clock, so neither side's wall clock orders anything.
struct LivenessSummary {
  std::string keyIdHex;  // the city key that signs it
  int64_t at = 0;        // city broker clock, ms (informative only)
  std::vector<std::pair<std::string, std::optional<int64_t>>> providers;  // id, age ms
};
std::string encodeLiveness(const LivenessSummary& s);
// Errors: invalidInput (oversized, not JSON, wrong shape or range).
common::Result<LivenessSummary> decodeLiveness(const std::string& json);
// The city key's signature over the summary's exact bytes (kRollupLivenessDomain).
common::Bytes signLiveness(const common::Identity& city, const std::string& json);

// An upstream enrolment request: the city's name and root key, the city broker's transport key,
// the root's statements (proving the broker key), signed by the city broker key.
struct UpstreamRequest {
  std::string city;
  common::PublicKey root{};
  common::PublicKey signPublic{};
  common::PublicKey curvePublic{};
};
std::string makeUpstreamRequest(const common::Identity& broker, const std::string& city,
                                const common::PublicKey& root,
                                const std::vector<common::SignedCityKey>& statements,
                                int64_t nowMs);
// Checks the request from its own contents and the root key it names: the signer is the root
// or a key the root certified (and did not revoke) at `nowMs`, and a certified key's transport
// half is the request's. Errors: invalidInput (malformed, naming `source`), unauthorised.
common::Result<UpstreamRequest> verifyUpstreamRequest(const std::string& text,
                                                      const std::string& source, int64_t nowMs);

}  // namespace samband::broker
