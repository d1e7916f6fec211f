// See ingress.h; the order of checks is the table in docs/protocol.md.
#include "broker/ingest/ingress.h"

#include <algorithm>

#include "common/codec.h"
#include "common/enrollment.h"
#include "common/ids.h"

namespace samband::broker {

using common::RejectReason;

namespace {

// How stale the roster may be before a miss triggers a reload (an enrollment just done by the
// CLI should take effect quickly; a flood of unknown keys must not hammer the database).
constexpr int64_t kRosterMissReloadMs = 250;

const std::string* unitOf(const common::Payload& p) {
  if (auto* s = std::get_if<common::UnitStatusMsg>(&p)) return &s->unitCode;
  if (auto* c = std::get_if<common::CapacityMsg>(&p)) return &c->unitCode;
  return nullptr;
}

Refusal refuse(RejectReason r, std::string detail) {
  return Refusal{r, std::move(detail), {}, {}, 0};
}

}  // namespace

Ingress::Ingress(RosterCache& roster, const common::Clock& clock, Metrics* metrics)
    : roster_(roster), clock_(clock), metrics_(metrics) {}

bool Ingress::verify(const common::PublicKey& key, const common::Bytes& body,
                     const common::Bytes& signature) {
  thread_local uint32_t count = 0;
  if (metrics_ == nullptr || ++count % kVerifySampleEvery != 0) {
    return common::verifyBody(key, body, signature);
  }
  const int64_t t0 = common::threadCpuNs();
  const bool ok = common::verifyBody(key, body, signature);
  const int64_t t1 = common::threadCpuNs();
  metrics_->verifySamples++;
  metrics_->verifySampleNanos += static_cast<uint64_t>(std::max<int64_t>(0, t1 - t0));
  return ok;
}

Admission Ingress::admit(InboundFrame&& in) {
  if (in.data.size() > common::kMaxFrameBytes) {
    return refuse(RejectReason::OVERSIZED, "frame of " + std::to_string(in.data.size()) +
                                               " bytes exceeds the limit of " +
                                               std::to_string(common::kMaxFrameBytes));
  }
  auto parts = common::decodeEnvelope(in.data);
  if (!parts) return refuse(RejectReason::MALFORMED, parts.error().message);
  auto message = common::decodeBody(parts->body);
  if (!message) return refuse(RejectReason::MALFORMED, message.error().message);
  if (auto* kr = std::get_if<common::KeyRotationMsg>(&message->payload)) {
    // The committer enrolls newKeyId as given; it must name newSignPublic (32 bytes, checked by
    // decodeBody), or a provider could claim the key id of someone else's key.
    common::PublicKey newKey{};
    std::copy(kr->newSignPublic.begin(), kr->newSignPublic.end(), newKey.begin());
    if (kr->newKeyId != common::keyIdOf(newKey)) {
      return refuse(RejectReason::MALFORMED,
                    "key_rotation.newKeyId is not the key id of newSignPublic");
    }
    common::PublicKey newCurve{};
    std::copy(kr->newCurvePublic.begin(), kr->newCurvePublic.end(), newCurve.begin());
    if (common::isSmallOrderCurveKey(newCurve)) {
      return refuse(RejectReason::MALFORMED,
                    "key_rotation.newCurvePublic is a weak (small-order) X25519 key");
    }
  }

  const common::Message& m = *message;
  Refusal known{RejectReason::MALFORMED, {}, m.senderId, common::toHex(m.keyId), m.seq};
  auto fail = [&](RejectReason r, std::string detail) {
    known.reason = r;
    known.detail = std::move(detail);
    return known;
  };

  if (in.channel == Channel::peer && m.senderId == common::kCitySenderId) {
    // Another broker's city chain: its signer must be a key the city's root certified.
    if (cityKeys_ == nullptr) {
      return fail(RejectReason::FORBIDDEN, "a city frame from a peer needs the city's keyring");
    }
    if (!m.isFromCityOnly()) {
      return fail(RejectReason::FORBIDDEN, "the city's chain holds only the city's messages");
    }
    if (auto s = cityKeys_->verifyBody(m.keyId, parts->body, parts->signature, in.receivedAt); !s) {
      return fail(RejectReason::BAD_SIGNATURE, s.error().message);
    }
    VerifiedFrame v;
    v.keyIdHex_ = std::move(known.keyIdHex);
    v.message_ = std::move(message).value();
    v.bodyHash_ = common::hash256(parts->body);
    v.body_ = std::move(parts->body);
    v.envelope_ = std::move(in.data);
    v.receivedAt_ = in.receivedAt;
    v.channel_ = in.channel;
    return v;
  }

  auto snap = roster_.current();
  auto key = snap->keys.find(known.keyIdHex);
  if (key == snap->keys.end()) {
    roster_.refreshIfOlder(kRosterMissReloadMs);
    snap = roster_.current();
    key = snap->keys.find(known.keyIdHex);
  }
  if (key == snap->keys.end() || key->second.providerId != m.senderId) {
    return fail(RejectReason::UNKNOWN_SENDER,
                "no enrolled key " + known.keyIdHex + " for sender " + m.senderId);
  }
  if (!verify(key->second.signPublic, parts->body, parts->signature)) {
    return fail(RejectReason::BAD_SIGNATURE, "signature does not verify");
  }
  if (in.channel == Channel::network && in.transportProvider != m.senderId) {
    return fail(RejectReason::KEY_MISMATCH, "signed by " + m.senderId +
                                                " but the transport session belongs to " +
                                                in.transportProvider);
  }
  if (key->second.revokedAt && in.receivedAt >= *key->second.revokedAt) {
    return fail(RejectReason::REVOKED, "key " + known.keyIdHex + " is revoked");
  }
  if (m.isFromCityOnly() || m.senderId == common::kCitySenderId) {
    return fail(RejectReason::FORBIDDEN, "only the city sends readiness checks and directives");
  }
  if (in.channel == Channel::file && m.isHeartbeat()) {
    return fail(RejectReason::FORBIDDEN, "a heartbeat cannot travel in an offline file");
  }
  if (in.channel == Channel::peer && m.isHeartbeat()) {
    return fail(RejectReason::FORBIDDEN, "a heartbeat is not relayed between brokers");
  }
  if (const std::string* unit = unitOf(m.payload)) {
    auto owner = snap->unitOwner.find(*unit);
    if (owner == snap->unitOwner.end() || owner->second != m.senderId) {
      roster_.refreshIfOlder(kRosterMissReloadMs);
      snap = roster_.current();
      owner = snap->unitOwner.find(*unit);
    }
    if (owner == snap->unitOwner.end() || owner->second != m.senderId) {
      return fail(RejectReason::UNIT_NOT_OWNED,
                  "unit " + *unit + " is not in the roster of provider " + m.senderId);
    }
  }

  // Checked on signed frames only, so the reject (and the agent's dead letter with its advice)
  // reaches the sender that really stamped it. The receive time is the broker's clock.
  if (m.sentAt > in.receivedAt + kMaxClockSkewMs || m.sentAt < in.receivedAt - kMaxClockSkewMs) {
    const int64_t days = (m.sentAt - in.receivedAt) / (24 * 3600 * 1000);
    return fail(RejectReason::CLOCK_SKEW,
                "sentAt is " + std::to_string(days < 0 ? -days : days) + " days " +
                    (days < 0 ? "behind" : "ahead of") +
                    " the broker's clock (the limit is 30 days either way): fix the sender's "
                    "time synchronisation and report again");
  }

  if (auto found = common::findPersonalData(m.payload)) {
    // The number itself is never repeated: the detail is sent back, counted and may be logged.
    return fail(RejectReason::PERSONAL_DATA,
                std::string(found->field) +
                    " holds what looks like a personal identity or coordination number; reports "
                    "carry counts and states only: remove it and send again");
  }

  VerifiedFrame v;
  v.keyIdHex_ = std::move(known.keyIdHex);
  v.message_ = std::move(message).value();
  v.bodyHash_ = common::hash256(parts->body);
  v.body_ = std::move(parts->body);
  v.envelope_ = std::move(in.data);
  v.receivedAt_ = in.receivedAt;
  v.channel_ = in.channel;
  return v;
}

}  // namespace samband::broker
