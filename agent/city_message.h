// The agent's gate for city traffic: a `city { envelope }` downlink is believed only when its
// body is signed by a city key the keyring accepts now (the pinned root, [broker]
// city_sign_public, or a broker key the root certified and has not revoked; common/
// city_keyring.h), decodes within the codec's limits, names the city as sender and is a kind
// only the city sends.
#pragma once

#include "common/bytes.h"
#include "common/city_keyring.h"
#include "common/identity.h"
#include "common/messages.h"
#include "common/result.h"

#include <optional>

namespace samband::agent {

struct VerifiedCityMessage {
  common::Message message;  // a ReadinessCheckMsg or DirectiveMsg from "city"
  common::Bytes envelope;   // exactly as received, for the inbox
  common::Bytes bodyHash;   // BLAKE2b-256 of the body: the inbox's duplicate key
};

// Errors: unauthorised when the signing key is not accepted by `cityKeys` at `nowMs` (unknown,
// revoked) or the signature does not verify; invalidInput when the bytes are malformed or the
// body is not a readiness check or directive from "city".
common::Result<VerifiedCityMessage> verifyCityMessage(const common::Bytes& envelope,
                                                      const common::CityKeyring& cityKeys,
                                                      int64_t nowMs);

// The root-signed statement a city key record carries (a `city` downlink whose body is a
// CityKeyRecord from "city"); nothing for any other envelope. The statement proves itself
// (CityKeys::learn checks the root's signature), so the carrying signature is not needed.
std::optional<common::CityKeyMsg> cityKeyRecordIn(const common::Bytes& envelope);

// The city's time beacon from a heartbeat reply (Head.beacon), checked like a city message: a
// key `cityKeys` accepts at `nowMs` over the exact body bytes, "city" as sender, a TimeBeacon
// body. Returns the body (its sentAt is the time the city signed it). Errors: unauthorised,
// invalidInput (malformed, or not a time beacon from "city").
common::Result<common::Message> verifyTimeBeacon(const common::Bytes& envelope,
                                                 const common::CityKeyring& cityKeys,
                                                 int64_t nowMs);

// "readiness_check" / "directive" and the check or directive id.
const char* cityMessageKind(const common::Message& message);
std::string cityMessageRef(const common::Message& message);

}  // namespace samband::agent
