// See rollup_verifier.h; the checks are the ingest gate's (broker/ingest/ingress.cpp) made
// against one city's relayed records instead of this broker's roster.
#include "broker/replication/rollup_verifier.h"

#include <algorithm>

#include "common/batch_envelope.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/signing.h"

namespace samband::broker {

using common::RejectReason;

bool isRelayedUpward(const common::Message& m) {
  if (m.senderId == common::kCitySenderId) {
    return std::holds_alternative<common::EnrolmentMsg>(m.payload) || m.isCityKey();
  }
  if (std::holds_alternative<common::KeyRotationMsg>(m.payload)) return true;
  if (m.mode != common::Mode::ACTUAL) return false;
  return std::holds_alternative<common::UnitStatusMsg>(m.payload) ||
         std::holds_alternative<common::CapacityMsg>(m.payload);
}

namespace {

const std::string* unitOf(const common::Payload& p) {
  if (auto* s = std::get_if<common::UnitStatusMsg>(&p)) return &s->unitCode;
  if (auto* c = std::get_if<common::CapacityMsg>(&p)) return &c->unitCode;
  return nullptr;
}

common::PublicKey keyOf(const common::Bytes& b) {
  common::PublicKey k{};
  if (b.size() == k.size()) std::copy(b.begin(), b.end(), k.begin());
  return k;
}

}  // namespace

RollupVerifier::RollupVerifier(std::string city, const common::PublicKey& root)
    : city_(std::move(city)), keyring_(root) {}

RollupOutcome RollupVerifier::admit(const std::vector<common::Bytes>& frames, int64_t receivedAt) {
  RollupOutcome out;
  std::vector<bool> cityFrame(frames.size(), false);
  for (size_t i = 0; i < frames.size(); ++i) {
    if (common::isBatchFrame(frames[i])) continue;
    auto parts = common::decodeEnvelope(frames[i]);
    if (!parts) continue;
    auto m = common::decodeBody(parts->body);
    if (m && m->senderId == common::kCitySenderId) cityFrame[i] = true;
  }
  for (size_t i = 0; i < frames.size(); ++i) {
    if (cityFrame[i]) admitOne(frames[i], receivedAt, true, out);
  }
  for (size_t i = 0; i < frames.size(); ++i) {
    if (!cityFrame[i]) admitOne(frames[i], receivedAt, false, out);
  }
  return out;
}

std::optional<RejectReason> RollupVerifier::chainRule(const Decoded& d, const std::string& keyIdHex,
                                                      bool* afterGap, bool* duplicate,
                                                      std::string* detail) const {
  *afterGap = false;
  *duplicate = false;
  const auto& m = d.message;
  auto it = heads_.find({m.senderId, keyIdHex});
  if (it == heads_.end()) {
    *afterGap = m.seq > 1;
    return std::nullopt;
  }
  const Head& head = it->second;
  if (m.seq <= head.seq) {
    std::optional<common::Bytes> stored;
    if (m.seq == head.seq) {
      stored = head.hash;
    } else if (lookup_) {
      stored = lookup_(m.senderId, keyIdHex, m.seq);
    }
    if (stored && *stored == d.hash) {
      *duplicate = true;
      return std::nullopt;
    }
    *detail = "seq " + std::to_string(m.seq) + " is at or below the stored head " +
              std::to_string(head.seq) + " of this chain with a different body";
    return RejectReason::REPLAY;
  }
  if (m.seq == head.seq + 1) {
    if (m.prevHash != head.hash) {
      *detail = "prevHash does not link seq " + std::to_string(m.seq) + " to the stored seq " +
                std::to_string(head.seq);
      return RejectReason::OUT_OF_ORDER;
    }
    return std::nullopt;
  }
  *afterGap = true;
  return std::nullopt;
}

void RollupVerifier::apply(const common::Message& m, const std::string& keyIdHex,
                           int64_t receivedAt) {
  (void)receivedAt;
  if (auto* e = std::get_if<common::EnrolmentMsg>(&m.payload)) {
    const std::string id = common::toHex(e->keyId);
    switch (e->action) {
      case common::EnrolmentAction::ENROL: {
        auto it = keys_.find(id);
        // A record naming a key already enrolled for another provider changes nothing.
        if (it != keys_.end() && it->second.provider != e->provider) break;
        if (it == keys_.end() && e->signPublic.size() == 32 &&
            common::keyIdOf(keyOf(e->signPublic)) == e->keyId) {
          keys_[id] = ProviderKey{e->provider, keyOf(e->signPublic), std::nullopt, std::nullopt};
        }
        for (const auto& u : e->units) unitOwner_[u] = e->provider;
        break;
      }
      case common::EnrolmentAction::REVOKE: {
        auto it = keys_.find(id);
        if (it == keys_.end() || it->second.provider != e->provider) break;
        if (!it->second.revokedAt) it->second.revokedAt = e->effectiveAt;
        // Judged by chain position, as on the peer channel (docs/replication.md): a key's head
        // is the highest any revocation record names (each broker of the city may write one).
        if (e->revokedAfterSeq) {
          it->second.revokedAfterSeq =
              std::max(it->second.revokedAfterSeq.value_or(0), *e->revokedAfterSeq);
        }
        break;
      }
      case common::EnrolmentAction::UNITS:
        for (const auto& u : e->units) unitOwner_[u] = e->provider;
        break;
    }
    return;
  }
  if (auto* kr = std::get_if<common::KeyRotationMsg>(&m.payload)) {
    const std::string id = common::toHex(kr->newKeyId);
    if (keys_.count(id) == 0 && kr->newSignPublic.size() == 32 &&
        common::keyIdOf(keyOf(kr->newSignPublic)) == kr->newKeyId) {
      keys_[id] = ProviderKey{m.senderId, keyOf(kr->newSignPublic), std::nullopt, std::nullopt};
    }
  }
  (void)keyIdHex;
}

void RollupVerifier::admitOne(const common::Bytes& frame, int64_t receivedAt, bool cityPass,
                              RollupOutcome& out) {
  std::string chainKeyId;  // known once the frame decoded
  auto refuse = [&](RejectReason r, std::string sender, uint64_t seq, std::string detail) {
    out.refused.push_back(RollupRefused{r, std::move(sender), chainKeyId, seq, std::move(detail)});
  };
  if (frame.size() > common::kMaxFrameBytes) {
    refuse(RejectReason::OVERSIZED, "", 0, "frame over the size limit");
    return;
  }
  // Decode: one envelope, or a batch (one signature over its reports).
  std::vector<Decoded> members;
  common::Bytes signature;
  const bool batch = common::isBatchFrame(frame);
  if (batch) {
    bool oversized = false;
    auto parts = common::decodeBatch(frame, &oversized);
    if (!parts) {
      refuse(oversized ? RejectReason::OVERSIZED : RejectReason::MALFORMED, "", 0,
             parts.error().message);
      return;
    }
    signature = parts->signature;
    for (size_t i = 0; i < parts->bodies.size(); ++i) {
      auto m = common::decodeBody(parts->bodies[i]);
      if (!m) {
        refuse(RejectReason::MALFORMED, "", 0, m.error().message);
        return;
      }
      if (!members.empty() && (m->senderId != members.front().message.senderId ||
                               m->keyId != members.front().message.keyId)) {
        refuse(RejectReason::MALFORMED, m->senderId, m->seq, "a batch of several senders");
        return;
      }
      members.push_back(Decoded{std::move(m).value(), parts->bodies[i],
                                common::hash256(parts->bodies[i]), static_cast<uint32_t>(i)});
    }
  } else {
    auto parts = common::decodeEnvelope(frame);
    if (!parts) {
      refuse(RejectReason::MALFORMED, "", 0, parts.error().message);
      return;
    }
    auto m = common::decodeBody(parts->body);
    if (!m) {
      refuse(RejectReason::MALFORMED, "", 0, m.error().message);
      return;
    }
    signature = parts->signature;
    members.push_back(
        Decoded{std::move(m).value(), parts->body, common::hash256(parts->body), std::nullopt});
  }
  if (members.empty()) {
    refuse(RejectReason::MALFORMED, "", 0, "an empty batch");
    return;
  }
  const common::Message& first = members.front().message;
  const std::string keyIdHex = common::toHex(first.keyId);
  chainKeyId = keyIdHex;
  const bool fromCity = first.senderId == common::kCitySenderId;
  if (fromCity != cityPass) return;  // the other pass takes it

  if (fromCity) {
    if (batch) {
      refuse(RejectReason::MALFORMED, first.senderId, first.seq, "the city sends no batches");
      return;
    }
    const common::Message& m = first;
    if (!isRelayedUpward(m)) {
      refuse(RejectReason::FORBIDDEN, m.senderId, m.seq,
             "a city record of a kind that is not relayed upward");
      return;
    }
    // A statement proves itself by the root's signature; learn it before checking the frame
    // that carries it (it may certify that very key). One that does not verify teaches nothing.
    if (m.isCityKey()) (void)keyring_.add(std::get<common::CityKeyMsg>(m.payload));
    if (auto s = keyring_.verifyBody(m.keyId, members.front().body, signature, receivedAt); !s) {
      refuse(RejectReason::BAD_SIGNATURE, m.senderId, m.seq, s.error().message);
      return;
    }
  } else {
    auto key = keys_.find(keyIdHex);
    if (key == keys_.end() || key->second.provider != first.senderId) {
      refuse(RejectReason::UNKNOWN_SENDER, first.senderId, first.seq,
             "no key " + keyIdHex + " of " + first.senderId + " is enrolled by a record of city " +
                 city_ + " that its root proves");
      return;
    }
    bool holds;
    if (batch) {
      std::vector<common::Bytes> bodies;
      for (const auto& d : members) bodies.push_back(d.body);
      holds = common::verifyBatch(key->second.signPublic, bodies, signature);
    } else {
      holds = common::verifyBody(key->second.signPublic, members.front().body, signature);
    }
    if (!holds) {
      refuse(RejectReason::BAD_SIGNATURE, first.senderId, first.seq,
             "the provider's signature does not verify over the relayed bytes");
      return;
    }
    // A revocation with a chain head is judged per report below; one without, by receipt time.
    if (!key->second.revokedAfterSeq && key->second.revokedAt &&
        receivedAt >= *key->second.revokedAt) {
      refuse(RejectReason::REVOKED, first.senderId, first.seq, "key " + keyIdHex + " is revoked");
      return;
    }
  }

  for (auto& d : members) {
    const common::Message& m = d.message;
    if (!fromCity) {
      if (!isRelayedUpward(m)) {
        if (!batch) {
          refuse(RejectReason::FORBIDDEN, m.senderId, m.seq,
                 "a frame of a kind that is not relayed upward (only actual status and capacity)");
        }
        continue;  // a batch may carry them beside relayed reports: signed, just not kept
      }
      const auto& key = keys_.at(keyIdHex);
      if (key.revokedAfterSeq && m.seq > *key.revokedAfterSeq) {
        refuse(RejectReason::REVOKED, m.senderId, m.seq,
               "key " + keyIdHex + " is revoked after seq " + std::to_string(*key.revokedAfterSeq));
        continue;
      }
      if (const std::string* unit = unitOf(m.payload)) {
        auto owner = unitOwner_.find(*unit);
        if (owner == unitOwner_.end() || owner->second != m.senderId) {
          refuse(RejectReason::UNIT_NOT_OWNED, m.senderId, m.seq,
                 "unit " + *unit + " is not the provider's by the city's records");
          continue;
        }
      }
      if (auto* kr = std::get_if<common::KeyRotationMsg>(&m.payload)) {
        if (kr->newSignPublic.size() != 32 ||
            common::keyIdOf(keyOf(kr->newSignPublic)) != kr->newKeyId) {
          refuse(RejectReason::MALFORMED, m.senderId, m.seq,
                 "key_rotation.newKeyId is not the key id of newSignPublic");
          continue;
        }
      }
    }
    bool afterGap = false;
    bool duplicate = false;
    std::string detail;
    if (auto r = chainRule(d, keyIdHex, &afterGap, &duplicate, &detail)) {
      refuse(*r, m.senderId, m.seq, detail);
      continue;
    }
    if (duplicate) {
      out.duplicates++;
      continue;
    }
    heads_[{m.senderId, keyIdHex}] = Head{m.seq, d.hash};
    apply(m, keyIdHex, receivedAt);
    RollupAccepted a;
    a.sender = m.senderId;
    a.keyIdHex = keyIdHex;
    a.seq = m.seq;
    a.bodyHash = d.hash;
    a.frame = frame;
    a.batchIndex = d.batchIndex;
    a.message = m;
    a.receivedAt = receivedAt;
    a.afterGap = afterGap;
    out.accepted.push_back(std::move(a));
  }
}

}  // namespace samband::broker
