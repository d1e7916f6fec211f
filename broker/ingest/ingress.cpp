// See ingress.h; the order of checks is the table in docs/protocol.md.
#include "broker/ingest/ingress.h"

#include <algorithm>

#include "common/batch_envelope.h"
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

// The committer enrolls newKeyId as given; it must name newSignPublic (32 bytes, checked by
// decodeBody), or a provider could claim the key id of someone else's key. Null when fine.
const char* keyRotationFault(const common::Message& m) {
  auto* kr = std::get_if<common::KeyRotationMsg>(&m.payload);
  if (kr == nullptr) return nullptr;
  common::PublicKey newKey{};
  std::copy(kr->newSignPublic.begin(), kr->newSignPublic.end(), newKey.begin());
  if (kr->newKeyId != common::keyIdOf(newKey)) {
    return "key_rotation.newKeyId is not the key id of newSignPublic";
  }
  common::PublicKey newCurve{};
  std::copy(kr->newCurvePublic.begin(), kr->newCurvePublic.end(), newCurve.begin());
  if (common::isSmallOrderCurveKey(newCurve)) {
    return "key_rotation.newCurvePublic is a weak (small-order) X25519 key";
  }
  return nullptr;
}

Refusal refuse(RejectReason r, std::string detail) {
  return Refusal{r, std::move(detail), {}, {}, 0};
}

// A revoked key's frame. From a peer broker (docs/replication.md, "Revocations and pulled
// history"), by its place in the key's chain: what any broker archived before the revocation
// reached it (at or below the head its revocation record names) is history and stays; the time
// it is pulled says nothing. From an agent or a file, by the receive time. The committer also
// refuses a frame above the head that passed here before the roster was re-read.
bool isRevokedFor(const KeyRecord& key, uint64_t seq, const InboundFrame& in) {
  if (!key.revokedAt) return false;
  if (in.channel == Channel::peer && key.revokedAfterSeq) return seq > *key.revokedAfterSeq;
  return in.receivedAt >= *key.revokedAt;
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

std::optional<Refusal> Ingress::checkContent(const common::Message& m, const InboundFrame& in,
                                             std::shared_ptr<const RosterSnapshot>& snap) {
  if (m.isFromCityOnly() || m.senderId == common::kCitySenderId) {
    return refuse(RejectReason::FORBIDDEN, "only the city sends readiness checks and directives");
  }
  if (in.channel == Channel::file && m.isHeartbeat()) {
    return refuse(RejectReason::FORBIDDEN, "a heartbeat cannot travel in an offline file");
  }
  if (in.channel == Channel::peer && m.isHeartbeat()) {
    return refuse(RejectReason::FORBIDDEN, "a heartbeat is not relayed between brokers");
  }
  if (const std::string* unit = unitOf(m.payload)) {
    auto owner = snap->unitOwner.find(*unit);
    if (owner == snap->unitOwner.end() || owner->second != m.senderId) {
      roster_.refreshIfOlder(kRosterMissReloadMs);
      snap = roster_.current();
      owner = snap->unitOwner.find(*unit);
    }
    if (owner == snap->unitOwner.end() || owner->second != m.senderId) {
      return refuse(RejectReason::UNIT_NOT_OWNED,
                    "unit " + *unit + " is not in the roster of provider " + m.senderId);
    }
  }

  // Checked on signed frames only, so the reject (and the agent's dead letter with its advice)
  // reaches the sender that really stamped it. The receive time is the broker's clock.
  // Not on the peer channel: a standby pulls frames another broker's gate admitted long ago,
  // and the receive time here says nothing about the sender's clock then.
  if (in.channel != Channel::peer &&
      (m.sentAt > in.receivedAt + kMaxClockSkewMs || m.sentAt < in.receivedAt - kMaxClockSkewMs)) {
    const int64_t days = (m.sentAt - in.receivedAt) / (24 * 3600 * 1000);
    return refuse(RejectReason::CLOCK_SKEW,
                  "sentAt is " + std::to_string(days < 0 ? -days : days) + " days " +
                      (days < 0 ? "behind" : "ahead of") +
                      " the broker's clock (the limit is 30 days either way): fix the sender's "
                      "time synchronisation and report again");
  }

  if (auto found = common::findPersonalData(m.payload)) {
    // The number itself is never repeated: the detail is sent back, counted and may be logged.
    return refuse(RejectReason::PERSONAL_DATA,
                  std::string(found->field) +
                      " holds what looks like a personal identity or coordination number; reports "
                      "carry counts and states only: remove it and send again");
  }

  return std::nullopt;
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
  if (auto bad = keyRotationFault(*message)) return refuse(RejectReason::MALFORMED, bad);

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
  if (isRevokedFor(key->second, m.seq, in)) {
    return fail(RejectReason::REVOKED, "key " + known.keyIdHex + " is revoked");
  }
  if (auto refused = checkContent(m, in, snap)) {
    refused->sender = std::move(known.sender);
    refused->keyIdHex = std::move(known.keyIdHex);
    refused->seq = known.seq;
    return std::move(*refused);
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

namespace samband::broker {

std::vector<Admission> Ingress::admitBatch(InboundFrame&& in) {
  std::vector<Admission> out;
  auto whole = [&](Refusal r) {
    out.clear();
    out.emplace_back(std::move(r));
    return std::move(out);
  };
  bool oversized = false;
  auto parts = common::decodeBatch(in.data, &oversized);
  if (!parts) {
    return whole(refuse(oversized ? RejectReason::OVERSIZED : RejectReason::MALFORMED,
                        parts.error().message));
  }
  // Decode every body and check the batch's shape before any key is looked up: one sender and
  // key, no heartbeats, seq consecutive and each prevHash the hash of the body before it.
  std::vector<common::Message> messages;
  std::vector<common::Bytes> hashes;
  messages.reserve(parts->bodies.size());
  hashes.reserve(parts->bodies.size());
  for (size_t i = 0; i < parts->bodies.size(); ++i) {
    auto message = common::decodeBody(parts->bodies[i]);
    const std::string at = "batch report " + std::to_string(i + 1) + ": ";
    if (!message) return whole(refuse(RejectReason::MALFORMED, at + message.error().message));
    if (std::holds_alternative<common::KeyRotationMsg>(message->payload)) {
      // The roster's proof of a new key is its rotation frame's own signature (key_records.h).
      return whole(
          refuse(RejectReason::MALFORMED, at + "a key rotation travels alone, not in a batch"));
    }
    if (message->isHeartbeat()) {
      return whole(refuse(RejectReason::MALFORMED, at + "a heartbeat cannot travel in a batch"));
    }
    if (i > 0) {
      const common::Message& first = messages.front();
      if (message->senderId != first.senderId || message->keyId != first.keyId) {
        return whole(refuse(RejectReason::MALFORMED,
                            at + "a batch carries the reports of one sender and key only"));
      }
      if (message->seq != messages.back().seq + 1 || message->prevHash != hashes.back()) {
        return whole(refuse(RejectReason::MALFORMED,
                            at + "seq " + std::to_string(message->seq) +
                                " does not follow the report before it in the batch (a batch "
                                "is one unbroken stretch of its sender's chain)"));
      }
    }
    hashes.push_back(common::hash256(parts->bodies[i]));
    messages.push_back(std::move(message).value());
  }

  const common::Message& first = messages.front();
  Refusal known{RejectReason::MALFORMED, {}, first.senderId, common::toHex(first.keyId), first.seq};
  auto fail = [&](RejectReason r, std::string detail) {
    known.reason = r;
    known.detail = std::move(detail);
    return whole(known);
  };
  auto snap = roster_.current();
  auto key = snap->keys.find(known.keyIdHex);
  if (key == snap->keys.end()) {
    roster_.refreshIfOlder(kRosterMissReloadMs);
    snap = roster_.current();
    key = snap->keys.find(known.keyIdHex);
  }
  if (key == snap->keys.end() || key->second.providerId != first.senderId) {
    return fail(RejectReason::UNKNOWN_SENDER,
                "no enrolled key " + known.keyIdHex + " for sender " + first.senderId);
  }
  bool signatureHolds;
  if (metrics_ == nullptr) {
    signatureHolds = common::verifyBatch(key->second.signPublic, parts->bodies, parts->signature);
  } else {
    const int64_t t0 = common::threadCpuNs();
    signatureHolds = common::verifyBatch(key->second.signPublic, parts->bodies, parts->signature);
    const int64_t t1 = common::threadCpuNs();
    metrics_->verifySamples++;
    metrics_->verifySampleNanos += static_cast<uint64_t>(std::max<int64_t>(0, t1 - t0));
  }
  if (!signatureHolds) {
    return fail(RejectReason::BAD_SIGNATURE, "the batch signature does not verify over its " +
                                                 std::to_string(parts->bodies.size()) + " reports");
  }
  if (in.channel == Channel::network && in.transportProvider != first.senderId) {
    return fail(RejectReason::KEY_MISMATCH, "signed by " + first.senderId +
                                                " but the transport session belongs to " +
                                                in.transportProvider);
  }
  if (isRevokedFor(key->second, first.seq, in)) {
    return fail(RejectReason::REVOKED, "key " + known.keyIdHex + " is revoked");
  }

  auto frame = std::make_shared<const common::Bytes>(std::move(in.data));
  for (size_t i = 0; i < messages.size(); ++i) {
    common::Message& m = messages[i];
    if (isRevokedFor(key->second, m.seq, in)) {
      out.emplace_back(Refusal{RejectReason::REVOKED, "key " + known.keyIdHex + " is revoked",
                               m.senderId, known.keyIdHex, m.seq});
      continue;
    }
    if (auto refused = checkContent(m, in, snap)) {
      refused->sender = m.senderId;
      refused->keyIdHex = known.keyIdHex;
      refused->seq = m.seq;
      out.emplace_back(std::move(*refused));
      continue;
    }
    VerifiedFrame v;
    v.keyIdHex_ = known.keyIdHex;
    v.message_ = std::move(m);
    v.bodyHash_ = std::move(hashes[i]);
    v.body_ = std::move(parts->bodies[i]);
    v.receivedAt_ = in.receivedAt;
    v.channel_ = in.channel;
    v.batch_ = frame;
    v.batchIndex_ = static_cast<uint32_t>(i);
    out.emplace_back(std::move(v));
  }
  return out;
}

}  // namespace samband::broker
