// See key_records.h.
#include "broker/city/key_records.h"

#include <cstring>

#include "broker/store/audit_store.h"
#include "broker/store/city_key_store.h"
#include "common/codec.h"
#include "common/ids.h"

namespace samband::broker {

namespace {

// The `kind` column of each key record (common::payloadKindName of its payload).
constexpr const char* kEnrolmentKind = "enrolment";
constexpr const char* kKeyRotationKind = "key_rotation";

struct Rotation {
  std::string sender;
  std::string signerKeyId;
  common::Bytes body, signature;
  common::KeyRotationMsg rotation;
};

}  // namespace

common::CityKeyring cityKeyringFromEnvelopes(
    const common::PublicKey& root, const std::vector<std::pair<int64_t, common::Bytes>>& frames,
    std::vector<std::string>* problems) {
  common::CityKeyring keyring(root);
  for (const auto& [frameId, envelope] : frames) {
    auto parts = common::decodeEnvelope(envelope);
    if (!parts) continue;
    auto body = common::decodeBody(parts->body);
    if (!body || body->senderId != common::kCitySenderId) continue;
    auto* record = std::get_if<common::CityKeyMsg>(&body->payload);
    if (record == nullptr) continue;
    if (auto added = keyring.add(*record); !added && problems != nullptr) {
      problems->push_back("frame " + std::to_string(frameId) + ": " + added.error().message);
    }
  }
  return keyring;
}

common::Result<common::CityKeyring> cityKeyringFromArchive(Store& store,
                                                           const common::PublicKey& root,
                                                           std::vector<std::string>* problems) {
  auto records = archivedCityKeys(store);
  if (!records) return records.error();
  std::vector<std::pair<int64_t, common::Bytes>> frames;
  frames.reserve(records->size());
  for (auto& r : *records) frames.emplace_back(r.frameId, std::move(r.envelope));
  return cityKeyringFromEnvelopes(root, frames, problems);
}

common::Result<common::PublicKey> recordedCityRoot(Store& store) {
  for (const char* key : {kMetaCityRootSignPublic, "city_sign_public"}) {
    auto hex = store.meta(key);
    if (!hex) return hex.error();
    common::PublicKey pk{};
    if (*hex && common::fromHex(**hex, pk.data(), pk.size())) return pk;
  }
  return common::Error{
      common::ErrorKind::notFound,
      "no city key recorded in the database yet; run `samband-broker serve` once or "
      "`city-key add --root-pub root.pub`"};
}

common::Result<common::CityKeyring> brokerCityKeyring(Store& store) {
  auto root = recordedCityRoot(store);
  if (!root) return root.error();
  return cityKeyringFromArchive(store, *root);
}

common::Result<ArchiveKeys> keysFromArchive(Store& store, const common::PublicKey& root) {
  std::vector<std::string> problems;
  auto keyring = cityKeyringFromArchive(store, root, &problems);
  if (!keyring) return keyring.error();
  auto out = keysFromArchive(store, *keyring);
  if (out) out->problems.insert(out->problems.begin(), problems.begin(), problems.end());
  return out;
}

common::Result<ArchiveKeys> keysFromArchive(Store& store, const common::CityKeyring& cityKeys) {
  ArchiveKeys out;
  std::vector<Rotation> rotations;
  std::map<std::string, int64_t> revocations;  // applied once every key is known
  // Only the rows stored as key records: the stored kind is not believed for anything else, and
  // the audit's walk checks every frame's kind against its signed body, so a record relabelled to
  // hide it from this pass is still found there.
  auto walked = AuditStore(store).forEachFrameOfKind(
      {kEnrolmentKind, kKeyRotationKind}, [&](const StoredFrame& f) {
        auto parts = common::decodeEnvelope(f.envelope);
        if (!parts) return;
        auto body = common::decodeBody(parts->body);
        if (!body) return;
        if (auto* kr = std::get_if<common::KeyRotationMsg>(&body->payload)) {
          rotations.push_back(
              {body->senderId, common::toHex(body->keyId), parts->body, parts->signature, *kr});
          return;
        }
        auto* rec = std::get_if<common::EnrolmentMsg>(&body->payload);
        if (rec == nullptr) return;
        if (body->senderId != common::kCitySenderId ||
            !cityKeys.verifyBody(body->keyId, parts->body, parts->signature, f.receivedAt)) {
          out.problems.push_back("frame " + std::to_string(f.id) +
                                 ": a roster record not signed by a certified city key");
          return;
        }
        out.records++;
        const std::string keyId = common::toHex(rec->keyId);
        if (rec->action == common::EnrolmentAction::ENROL) {
          common::PublicKey pk{};
          std::memcpy(pk.data(), rec->signPublic.data(), 32);
          if (common::toHex(common::keyIdOf(pk)) != keyId) {
            out.problems.push_back("frame " + std::to_string(f.id) +
                                   ": enrolment record whose key id is not its key's");
            return;
          }
          auto& k = out.keys[keyId];
          if (!k.provider.empty() && k.provider != rec->provider) {
            out.problems.push_back("key " + keyId + " recorded for two providers");
          }
          k.provider = rec->provider;
          k.signPublic = rec->signPublic;
          k.curvePublic = rec->curvePublic;
          k.provenBy = "record";
        } else if (rec->action == common::EnrolmentAction::REVOKE) {
          revocations.emplace(keyId, rec->effectiveAt);  // the first one counts
        }
      });
  if (!walked) return walked.error();
  // A rotation proves its new key once its signer is proven for the same provider; rotations
  // may chain, so repeat until nothing changes.
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& r : rotations) {
      const std::string newKeyId = common::toHex(r.rotation.newKeyId);
      if (out.keys.count(newKeyId) != 0) continue;
      auto signer = out.keys.find(r.signerKeyId);
      if (signer == out.keys.end() || signer->second.provider != r.sender ||
          signer->second.signPublic.size() != 32) {
        continue;
      }
      common::PublicKey pk{};
      std::memcpy(pk.data(), signer->second.signPublic.data(), 32);
      if (!common::verifyBody(pk, r.body, r.signature)) continue;
      ProvenKey k;
      k.provider = r.sender;
      k.signPublic = r.rotation.newSignPublic;
      k.curvePublic = r.rotation.newCurvePublic;
      k.provenBy = "rotation";
      out.keys.emplace(newKeyId, std::move(k));
      changed = true;
    }
  }
  for (const auto& [keyId, at] : revocations) {
    auto it = out.keys.find(keyId);
    if (it == out.keys.end()) {
      out.problems.push_back("revocation record of key " + keyId + ", which no record enrolled");
    } else {
      it->second.revokedAt = at;
    }
  }
  return out;
}

}  // namespace samband::broker
