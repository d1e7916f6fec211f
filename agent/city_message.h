// The agent's gate for city traffic: a `city { envelope }` downlink is believed only when its
// body is signed by the pinned city key ([broker] city_sign_public), decodes within the codec's
// limits, names the city as sender and is a kind only the city sends.
#pragma once

#include "common/bytes.h"
#include "common/identity.h"
#include "common/messages.h"
#include "common/result.h"

namespace samband::agent {

struct VerifiedCityMessage {
  common::Message message;  // a ReadinessCheckMsg or DirectiveMsg from "city"
  common::Bytes envelope;   // exactly as received, for the inbox
  common::Bytes bodyHash;   // BLAKE2b-256 of the body: the inbox's duplicate key
};

// Errors: unauthorised when the signature does not verify with `citySign`; invalidInput when the
// bytes are malformed or the body is not a city-only kind from "city".
common::Result<VerifiedCityMessage> verifyCityMessage(const common::Bytes& envelope,
                                                      const common::PublicKey& citySign);

// The city's time beacon from a heartbeat reply (Head.beacon), checked like a city message: the
// pinned city key over the exact body bytes, "city" as sender, a TimeBeacon body. Returns the
// body (its sentAt is the time the city signed it). Errors: unauthorised (not signed by
// `citySign`), invalidInput (malformed, or not a time beacon from "city").
common::Result<common::Message> verifyTimeBeacon(const common::Bytes& envelope,
                                                 const common::PublicKey& citySign);

// "readiness_check" / "directive" and the check or directive id.
const char* cityMessageKind(const common::Message& message);
std::string cityMessageRef(const common::Message& message);

}  // namespace samband::agent
