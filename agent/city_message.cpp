// Verification of city messages: size, envelope, signature over the exact body bytes, then the
// body itself.
#include "agent/city_message.h"

#include "common/codec.h"
#include "common/ids.h"

namespace samband::agent {

common::Result<VerifiedCityMessage> verifyCityMessage(const common::Bytes& envelope,
                                                      const common::PublicKey& citySign) {
  if (envelope.size() > common::kMaxFrameBytes) {
    return common::invalidInput("city message larger than the frame limit");
  }
  auto parts = common::decodeEnvelope(envelope);
  if (!parts) return common::invalidInput("city message: " + parts.error().message);
  if (!common::verifyBody(citySign, parts->body, parts->signature)) {
    return common::unauthorised(
        "a message relayed as from the city is not signed by the pinned city key; it was "
        "refused (if the city rotated its key, update [broker] city_sign_public in agent.toml)");
  }
  auto body = common::decodeBody(parts->body);
  if (!body) return common::invalidInput("city message body: " + body.error().message);
  if (body->senderId != common::kCitySenderId || !body->isFromCityOnly() || body->isTimeBeacon()) {
    return common::invalidInput(std::string("city-signed body of kind ") +
                                common::payloadKindName(body->payload) + " from '" +
                                body->senderId + "' is not a readiness check or directive");
  }
  VerifiedCityMessage out{std::move(body).value(), envelope, common::hash256(parts->body)};
  return out;
}

common::Result<common::Message> verifyTimeBeacon(const common::Bytes& envelope,
                                                 const common::PublicKey& citySign) {
  if (envelope.size() > common::kMaxFrameBytes) {
    return common::invalidInput("time beacon larger than the frame limit");
  }
  auto parts = common::decodeEnvelope(envelope);
  if (!parts) return common::invalidInput("time beacon: " + parts.error().message);
  if (!common::verifyBody(citySign, parts->body, parts->signature)) {
    return common::unauthorised(
        "a time beacon relayed as from the city is not signed by the pinned city key; it was "
        "refused (if the city rotated its key, update [broker] city_sign_public in agent.toml, "
        "otherwise call the city's duty officer)");
  }
  auto body = common::decodeBody(parts->body);
  if (!body) return common::invalidInput("time beacon body: " + body.error().message);
  if (body->senderId != common::kCitySenderId || !body->isTimeBeacon()) {
    return common::invalidInput(std::string("a city-signed ") +
                                common::payloadKindName(body->payload) +
                                " came where the time beacon belongs; it was ignored");
  }
  return std::move(body).value();
}

const char* cityMessageKind(const common::Message& message) {
  return common::payloadKindName(message.payload);
}

std::string cityMessageRef(const common::Message& message) {
  if (auto* c = std::get_if<common::ReadinessCheckMsg>(&message.payload)) return c->checkId;
  if (auto* d = std::get_if<common::DirectiveMsg>(&message.payload)) return d->directiveId;
  return "";
}

}  // namespace samband::agent
