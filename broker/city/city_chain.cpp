// See city_chain.h.
#include "broker/city/city_chain.h"

#include <SQLiteCpp/Statement.h>

#include "common/codec.h"
#include "common/ids.h"
#include "common/vocabulary.h"

namespace samband::broker {

CityChain::CityChain(Store& store, const common::Identity& city) : store_(store), city_(city) {}

void CityChain::publishKey() {
  for (const auto& [key, value] :
       {std::pair<const char*, std::string>{kMetaCityKeyId, common::toHex(city_.keyId())},
        {kMetaCitySignPublic, common::toHex(city_.signPublic().data(), 32)}}) {
    if (auto s = store_.setMeta(key, value); !s) throw std::runtime_error(s.error().message);
  }
}

IssuedMessage CityChain::issue(const common::Payload& payload, common::Mode mode, int64_t nowMs,
                               const std::vector<std::string>& recipients, const std::string& kind,
                               const std::string& ref) {
  auto& db = store_.db();
  const std::string keyId = common::toHex(city_.keyId());
  publishKey();
  common::Message m;
  m.senderId = common::kCitySenderId;
  m.keyId = city_.keyId();
  m.mode = mode;
  m.sentAt = nowMs;
  m.payload = payload;
  {
    SQLite::Statement head(db,
                           "SELECT seq, body_hash FROM frames WHERE sender=? AND key_id=? "
                           "ORDER BY seq DESC LIMIT 1");
    head.bind(1, common::kCitySenderId);
    head.bind(2, keyId);
    if (head.executeStep()) {
      m.seq = static_cast<uint64_t>(head.getColumn(0).getInt64()) + 1;
      auto c = head.getColumn(1);
      auto* p = static_cast<const uint8_t*>(c.getBlob());
      m.prevHash.assign(p, p + c.getBytes());
    } else {
      m.seq = 1;
    }
  }
  common::SealedFrame sealed = common::seal(city_, m);
  SQLite::Statement ins(db,
                        "INSERT INTO frames(sender, key_id, seq, kind, mode, sent_at, received_at, "
                        "body_hash, envelope) VALUES(?,?,?,?,?,?,?,?,?)");
  ins.bind(1, common::kCitySenderId);
  ins.bind(2, keyId);
  ins.bind(3, static_cast<int64_t>(m.seq));
  ins.bind(4, common::payloadKindName(m.payload));
  ins.bind(5, common::modeName(mode));
  ins.bind(6, nowMs);
  ins.bind(7, nowMs);
  ins.bind(8, sealed.bodyHash.data(), static_cast<int>(sealed.bodyHash.size()));
  ins.bind(9, sealed.envelope.data(), static_cast<int>(sealed.envelope.size()));
  ins.exec();
  IssuedMessage out{db.getLastInsertRowid(), m.seq, sealed.envelope};
  SQLite::Statement q(db,
                      "INSERT INTO outbound(provider_id, kind, ref, envelope, created_at) "
                      "VALUES(?,?,?,?,?)");
  for (const auto& provider : recipients) {
    q.reset();
    q.bind(1, provider);
    q.bind(2, kind);
    q.bind(3, ref);
    q.bind(4, sealed.envelope.data(), static_cast<int>(sealed.envelope.size()));
    q.bind(5, nowMs);
    q.exec();
  }
  return out;
}

std::vector<std::string> enrolledProviders(Store& store) {
  std::vector<std::string> out;
  SQLite::Statement q(store.db(),
                      "SELECT DISTINCT provider_id FROM keys WHERE revoked_at IS NULL "
                      "ORDER BY provider_id");
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

}  // namespace samband::broker
