// See audit.h. Uses only the archive's bytes and the enrolled public keys.
#include "broker/audit/audit.h"

#include <cstring>
#include <optional>
#include <set>
#include <sstream>

#include "broker/city/city_chain.h"
#include "broker/store/archive_store.h"
#include "common/codec.h"

namespace samband::broker {

nlohmann::json AuditReport::toJson() const {
  return {{"frames", frames},
          {"senders", senders},
          {"chains", chains},
          {"bad_signatures", badSignatures},
          {"chain_breaks", chainBreaks},
          {"duplicates", duplicates},
          {"undecodable", undecodable},
          {"intact", intact()},
          {"problems", problems}};
}

std::string AuditReport::toText() const {
  std::ostringstream out;
  out << "frames " << frames << ", senders " << senders << ", chains " << chains
      << "\nbad signatures " << badSignatures << ", chain breaks " << chainBreaks << ", duplicates "
      << duplicates << ", undecodable " << undecodable << "\n";
  for (const auto& p : problems) out << "  " << p << "\n";
  out << (intact() ? "archive intact\n" : "ARCHIVE NOT INTACT\n");
  return out.str();
}

AuditReport auditArchive(Store& store) {
  AuditReport r;
  auto note = [&](const std::string& what) {
    if (r.problems.size() < 100) r.problems.push_back(what);
  };
  {
    // The city's own chain (readiness checks, directives) verifies with the key `serve` records.
    auto storedKeyId = store.meta(kMetaCityKeyId);
    auto storedKey = store.meta(kMetaCitySignPublic);
    for (const auto* read : {&storedKeyId, &storedKey}) {
      if (!read->ok()) {
        r.undecodable++;
        note("database error: " + read->error().message);
        return r;
      }
    }
    std::string cityKeyId = storedKeyId->value_or("");
    std::optional<common::PublicKey> cityKey;
    if (const auto& hex = *storedKey) {
      common::PublicKey pk{};
      if (common::fromHex(*hex, pk.data(), pk.size())) cityKey = pk;
    }
    std::string chainSender, chainKey;
    uint64_t prevSeq = 0;
    common::Bytes prevHash;
    std::set<std::string> senders;
    std::set<common::Bytes> seenBodies;
    auto walked = ArchiveStore(store).forEachFrame([&](const ArchivedFrame& f) {
      r.frames++;
      const std::string& sender = f.sender;
      const std::string& keyId = f.keyId;
      const uint64_t seq = f.seq;
      std::string where = sender + " key " + keyId + " seq " + std::to_string(seq);
      senders.insert(sender);
      if (sender != chainSender || keyId != chainKey) {
        chainSender = sender;
        chainKey = keyId;
        prevSeq = 0;
        prevHash.clear();
        r.chains++;
      }
      auto parts = common::decodeEnvelope(f.envelope);
      if (!parts) {
        r.undecodable++;
        note(where + ": envelope does not decode");
        return;
      }
      common::Bytes bodyHash = common::hash256(parts->body);
      if (keyId == cityKeyId && cityKey) {
        if (!common::verifyBody(*cityKey, parts->body, parts->signature)) {
          r.badSignatures++;
          note(where + ": signature does not verify");
        }
      } else if (!f.signPublic || f.signPublic->size() != 32) {
        r.badSignatures++;
        note(where + ": no enrolled key to verify it");
      } else {
        common::PublicKey pk{};
        std::memcpy(pk.data(), f.signPublic->data(), 32);
        if (!common::verifyBody(pk, parts->body, parts->signature)) {
          r.badSignatures++;
          note(where + ": signature does not verify");
        }
      }
      auto body = common::decodeBody(parts->body);
      if (!body || body->senderId != sender || common::toHex(body->keyId) != keyId ||
          body->seq != seq || bodyHash != f.bodyHash) {
        r.undecodable++;
        note(where + ": stored columns disagree with the signed body");
      } else if (seq != prevSeq + 1 || body->prevHash != prevHash) {
        r.chainBreaks++;
        note(where + (seq != prevSeq + 1 ? ": gap after seq " + std::to_string(prevSeq)
                                         : ": prevHash does not match the previous body"));
      }
      if (!seenBodies.insert(bodyHash).second) {
        r.duplicates++;
        note(where + ": the same body is stored twice");
      }
      prevSeq = seq;
      prevHash = bodyHash;
    });
    if (!walked) {
      r.undecodable++;
      note("database error: " + walked.error().message);
    }
    r.senders = static_cast<int64_t>(senders.size());
  }
  return r;
}

}  // namespace samband::broker
