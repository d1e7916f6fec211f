// Verification of city messages: size, envelope, signature over the exact body bytes, then the
// body itself.
#include "agent/city_message.h"

#include "common/codec.h"
#include "common/ids.h"

namespace samband::agent {

namespace {

// The body's key id, read before the signature is checked (to pick the key that checks it).
common::Result<common::Bytes> signerOf(const common::Bytes& body) {
  auto decoded = common::decodeBody(body);
  if (!decoded) return decoded.error();
  return decoded->keyId;
}

}  // namespace

std::optional<common::CityKeyMsg> cityKeyRecordIn(const common::Bytes& envelope) {
  if (envelope.size() > common::kMaxFrameBytes) return std::nullopt;
  auto parts = common::decodeEnvelope(envelope);
  if (!parts) return std::nullopt;
  auto body = common::decodeBody(parts->body);
  if (!body || body->senderId != common::kCitySenderId) return std::nullopt;
  auto* record = std::get_if<common::CityKeyMsg>(&body->payload);
  if (record == nullptr) return std::nullopt;
  return *record;
}

common::Result<VerifiedCityMessage> verifyCityMessage(const common::Bytes& envelope,
                                                      const common::CityKeyring& cityKeys,
                                                      int64_t nowMs) {
  if (envelope.size() > common::kMaxFrameBytes) {
    return common::invalidInput("city message larger than the frame limit");
  }
  auto parts = common::decodeEnvelope(envelope);
  if (!parts) return common::invalidInput("city message: " + parts.error().message);
  auto signer = signerOf(parts->body);
  if (!signer) return common::invalidInput("city message body: " + signer.error().message);
  if (auto s = cityKeys.verifyBody(*signer, parts->body, parts->signature, nowMs); !s) {
    return common::unauthorised(
        "a message relayed as from the city is not signed by the pinned city key or a broker "
        "key it certified; it was refused (" +
        s.error().message + "; a forgery or a revoked broker: call the city's duty officer)");
  }
  auto body = common::decodeBody(parts->body);
  if (!body) return common::invalidInput("city message body: " + body.error().message);
  const bool checkOrDirective = std::holds_alternative<common::ReadinessCheckMsg>(body->payload) ||
                                std::holds_alternative<common::DirectiveMsg>(body->payload);
  if (body->senderId != common::kCitySenderId || !checkOrDirective) {
    return common::invalidInput(std::string("city-signed body of kind ") +
                                common::payloadKindName(body->payload) + " from '" +
                                body->senderId + "' is not a readiness check or directive");
  }
  VerifiedCityMessage out{std::move(body).value(), envelope, common::hash256(parts->body)};
  return out;
}

common::Result<common::Message> verifyTimeBeacon(const common::Bytes& envelope,
                                                 const common::CityKeyring& cityKeys,
                                                 int64_t nowMs) {
  if (envelope.size() > common::kMaxFrameBytes) {
    return common::invalidInput("time beacon larger than the frame limit");
  }
  auto parts = common::decodeEnvelope(envelope);
  if (!parts) return common::invalidInput("time beacon: " + parts.error().message);
  auto signer = signerOf(parts->body);
  if (!signer) return common::invalidInput("time beacon body: " + signer.error().message);
  if (auto s = cityKeys.verifyBody(*signer, parts->body, parts->signature, nowMs); !s) {
    return common::unauthorised(
        "a time beacon relayed as from the city is not signed by the pinned city key or a "
        "broker key it certified; it was refused (" +
        s.error().message + "; call the city's duty officer)");
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
