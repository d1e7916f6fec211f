// See archive_digest.h. Each frame contributes sender, 0x00, key id, 0x00, seq (8 bytes big
// endian) and its 32-byte body hash to one SHA-256, in (sender, key id, seq) order.
#include "broker/audit/archive_digest.h"

#include <sodium.h>

#include "broker/store/replication_store.h"
#include "common/bytes.h"
#include "common/ids.h"

namespace samband::broker {

namespace {

class Digester {
 public:
  Digester() { crypto_hash_sha256_init(&state_); }
  void add(const std::string& chain, uint64_t seq, const common::Bytes& bodyHash) {
    if (chain != lastChain_) {
      part_.chains++;
      lastChain_ = chain;
    }
    uint8_t seqBytes[8];
    for (int i = 0; i < 8; ++i) seqBytes[i] = static_cast<uint8_t>(seq >> (56 - 8 * i));
    crypto_hash_sha256_update(&state_, reinterpret_cast<const uint8_t*>(chain.data()),
                              chain.size());
    crypto_hash_sha256_update(&state_, seqBytes, sizeof seqBytes);
    crypto_hash_sha256_update(&state_, bodyHash.data(), bodyHash.size());
    part_.frames++;
  }
  DigestPart finish() {
    uint8_t out[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state_, out);
    part_.sha256 = common::toHex(out, sizeof out);
    return part_;
  }

 private:
  crypto_hash_sha256_state state_;
  DigestPart part_;
  std::string lastChain_;
};

}  // namespace

common::Result<ArchiveDigest> archiveDigest(Store& store) {
  Digester all;
  Digester providers;
  ReplicationStore rs(store);
  auto s = rs.forEachLink([&](const std::string& sender, const std::string& keyId, uint64_t seq,
                              const common::Bytes& bodyHash) {
    const std::string chain = sender + '\0' + keyId + '\0';
    all.add(chain, seq, bodyHash);
    if (sender != common::kCitySenderId) providers.add(chain, seq, bodyHash);
  });
  if (!s) return s.error();
  return ArchiveDigest{all.finish(), providers.finish()};
}

}  // namespace samband::broker
