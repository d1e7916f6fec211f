// See audit.h. Uses only the archive's bytes and the enrolled public keys.
#include "broker/audit/audit.h"

#include <SQLiteCpp/Statement.h>

#include <cstring>
#include <optional>
#include <set>
#include <sstream>

#include "broker/city/city_chain.h"
#include "common/codec.h"

namespace samband::broker {

namespace {
common::Bytes blob(const SQLite::Column& c) {
  auto* p = static_cast<const uint8_t*>(c.getBlob());
  return common::Bytes(p, p + c.getBytes());
}
}  // namespace

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
  try {
    // The city's own chain (readiness checks, directives) verifies with the key `serve` records.
    auto storedKeyId = store.meta(kMetaCityKeyId);
    auto storedKey = store.meta(kMetaCitySignPublic);
    if (!storedKeyId) throw std::runtime_error(storedKeyId.error().message);
    if (!storedKey) throw std::runtime_error(storedKey.error().message);
    std::string cityKeyId = storedKeyId->value_or("");
    std::optional<common::PublicKey> cityKey;
    if (const auto& hex = *storedKey) {
      common::PublicKey pk{};
      if (common::fromHex(*hex, pk.data(), pk.size())) cityKey = pk;
    }
    SQLite::Statement q(store.db(),
                        "SELECT f.sender, f.key_id, f.seq, f.body_hash, f.envelope, k.sign_public "
                        "FROM frames f LEFT JOIN keys k ON k.key_id=f.key_id "
                        "ORDER BY f.sender, f.key_id, f.seq");
    std::string chainSender, chainKey;
    uint64_t prevSeq = 0;
    common::Bytes prevHash;
    std::set<std::string> senders;
    std::set<common::Bytes> seenBodies;
    while (q.executeStep()) {
      r.frames++;
      std::string sender = q.getColumn(0).getString();
      std::string keyId = q.getColumn(1).getString();
      auto seq = static_cast<uint64_t>(q.getColumn(2).getInt64());
      common::Bytes storedHash = blob(q.getColumn(3));
      common::Bytes envelope = blob(q.getColumn(4));
      std::string where = sender + " key " + keyId + " seq " + std::to_string(seq);
      senders.insert(sender);
      if (sender != chainSender || keyId != chainKey) {
        chainSender = sender;
        chainKey = keyId;
        prevSeq = 0;
        prevHash.clear();
        r.chains++;
      }
      auto parts = common::decodeEnvelope(envelope);
      if (!parts) {
        r.undecodable++;
        note(where + ": envelope does not decode");
        continue;
      }
      common::Bytes bodyHash = common::hash256(parts->body);
      if (keyId == cityKeyId && cityKey) {
        if (!common::verifyBody(*cityKey, parts->body, parts->signature)) {
          r.badSignatures++;
          note(where + ": signature does not verify");
        }
      } else if (q.getColumn(5).isNull() || q.getColumn(5).getBytes() != 32) {
        r.badSignatures++;
        note(where + ": no enrolled key to verify it");
      } else {
        common::PublicKey pk{};
        std::memcpy(pk.data(), q.getColumn(5).getBlob(), 32);
        if (!common::verifyBody(pk, parts->body, parts->signature)) {
          r.badSignatures++;
          note(where + ": signature does not verify");
        }
      }
      auto body = common::decodeBody(parts->body);
      if (!body || body->senderId != sender || common::toHex(body->keyId) != keyId ||
          body->seq != seq || bodyHash != storedHash) {
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
    }
    r.senders = static_cast<int64_t>(senders.size());
  } catch (const std::exception& e) {
    r.undecodable++;
    note(std::string("database error: ") + e.what());
  }
  return r;
}

}  // namespace samband::broker
