// See checkpoint.h. Fixed-layout big-endian encodings, so the signed bytes are documented byte by
// byte in docs/protocol.md and need no schema compiler to check.
#include "common/checkpoint.h"

#include <sodium.h>

#include <cstring>
#include <unordered_map>
#include <utility>

namespace samband::common {

namespace {

constexpr uint8_t kVersion = 1;

void putU64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void putU32(Bytes& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void putFixed(Bytes& out, const Bytes& b, size_t n) {
  for (size_t i = 0; i < n; ++i) out.push_back(i < b.size() ? b[i] : 0);
}

// A bounds-checked reader over received bytes.
struct Reader {
  const Bytes& in;
  size_t at = 0;
  bool ok = true;
  bool need(size_t n) {
    if (!ok || in.size() - at < n) ok = false;
    return ok;
  }
  uint64_t u64() {
    if (!need(8)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | in[at++];
    return v;
  }
  uint32_t u32() {
    if (!need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | in[at++];
    return v;
  }
  uint8_t u8() { return need(1) ? in[at++] : 0; }
  Bytes take(size_t n) {
    if (!need(n)) return {};
    Bytes b(in.begin() + static_cast<long>(at), in.begin() + static_cast<long>(at + n));
    at += n;
    return b;
  }
};

Bytes node(const Bytes& left, const Bytes& right) {
  Bytes buf;
  buf.reserve(65);
  buf.push_back(1);
  buf.insert(buf.end(), left.begin(), left.end());
  buf.insert(buf.end(), right.begin(), right.end());
  return hash256(buf);
}

size_t splitPoint(size_t n) {  // largest power of two below n (n >= 2)
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// Subtree roots by (first leaf, leaf count), so a tree's paths cost O(log n) each once built.
using NodeCache = std::unordered_map<uint64_t, Bytes>;

Bytes rootOf(const Bytes* leaves, size_t first, size_t n, NodeCache* cache) {
  if (n == 0) return hash256(nullptr, 0);
  if (n == 1) return leaves[first];
  const uint64_t key = (static_cast<uint64_t>(first) << 32) | n;
  if (cache != nullptr) {
    auto it = cache->find(key);
    if (it != cache->end()) return it->second;
  }
  size_t k = splitPoint(n);
  Bytes r = node(rootOf(leaves, first, k, cache), rootOf(leaves, first + k, n - k, cache));
  if (cache != nullptr) cache->emplace(key, r);
  return r;
}

void pathOf(const Bytes* leaves, size_t first, size_t n, size_t index, NodeCache* cache,
            std::vector<Bytes>& out) {
  if (n <= 1) return;
  size_t k = splitPoint(n);
  if (index < k) {
    pathOf(leaves, first, k, index, cache, out);
    out.push_back(rootOf(leaves, first + k, n - k, cache));
  } else {
    pathOf(leaves, first + k, n - k, index - k, cache, out);
    out.push_back(rootOf(leaves, first, k, cache));
  }
}

// Walks down the same splits as pathOf, consuming the path from its end (the root side).
Bytes rootFrom(const Bytes& leaf, size_t index, size_t n, const std::vector<Bytes>& path,
               size_t& used) {
  if (n <= 1) return leaf;
  size_t k = splitPoint(n);
  if (used >= path.size()) return {};
  const Bytes& sibling = path[path.size() - 1 - used];
  used++;
  if (index < k) {
    Bytes left = rootFrom(leaf, index, k, path, used);
    return left.empty() ? left : node(left, sibling);
  }
  Bytes right = rootFrom(leaf, index - k, n - k, path, used);
  return right.empty() ? right : node(sibling, right);
}

Bytes signingInput(const Bytes& header) {
  Bytes buf(sizeof kCheckpointSignDomain + header.size());
  std::memcpy(buf.data(), kCheckpointSignDomain, sizeof kCheckpointSignDomain);
  std::memcpy(buf.data() + sizeof kCheckpointSignDomain, header.data(), header.size());
  return buf;
}

}  // namespace

Bytes zeroHash() { return Bytes(32, 0); }

void extendDigest(Bytes& digest, const Bytes& bodyHash) {
  uint8_t buf[64];
  std::memcpy(buf, digest.data(), 32);
  std::memcpy(buf + 32, bodyHash.data(), bodyHash.size() < 32 ? bodyHash.size() : 32);
  crypto_generichash(digest.data(), 32, buf, sizeof buf, nullptr, 0);
}

Bytes headLeafHash(const CheckpointHead& h) {
  Bytes buf;
  buf.reserve(2 + h.sender.size() + 48);
  buf.push_back(0);
  buf.push_back(static_cast<uint8_t>(h.sender.size()));
  buf.insert(buf.end(), h.sender.begin(), h.sender.end());
  putFixed(buf, h.keyId, 8);
  putU64(buf, h.seq);
  putFixed(buf, h.bodyHash, 32);
  return hash256(buf);
}

Bytes merkleRoot(const std::vector<Bytes>& leaves) {
  return rootOf(leaves.data(), 0, leaves.size(), nullptr);
}

std::vector<Bytes> merklePath(const std::vector<Bytes>& leaves, size_t index) {
  std::vector<Bytes> out;
  if (index < leaves.size()) pathOf(leaves.data(), 0, leaves.size(), index, nullptr, out);
  return out;
}

MerkleTree::MerkleTree(std::vector<Bytes> leaves) : leaves_(std::move(leaves)) {
  root_ = rootOf(leaves_.data(), 0, leaves_.size(), &nodes_);
}

std::vector<Bytes> MerkleTree::path(size_t index) const {
  std::vector<Bytes> out;
  if (index < leaves_.size()) {
    pathOf(leaves_.data(), 0, leaves_.size(), index, &nodes_, out);
  }
  return out;
}

Bytes rootFromPath(const Bytes& leaf, size_t index, size_t count, const std::vector<Bytes>& path) {
  if (index >= count) return {};
  size_t used = 0;
  Bytes root = rootFrom(leaf, index, count, path, used);
  if (used != path.size()) return {};
  return root;
}

Bytes encodeCheckpoint(const Checkpoint& c) {
  Bytes out;
  out.reserve(kCheckpointHeaderBytes);
  out.push_back(kVersion);
  putU64(out, c.number);
  putFixed(out, c.prevHash, 32);
  putU64(out, c.frameCount);
  putFixed(out, c.digest, 32);
  putU32(out, c.headCount);
  putFixed(out, c.headsRoot, 32);
  putU64(out, static_cast<uint64_t>(c.signedAt));
  putFixed(out, c.cityKeyId, 8);
  return out;
}

Result<Checkpoint> decodeCheckpoint(const Bytes& header) {
  if (header.size() != kCheckpointHeaderBytes || header[0] != kVersion) {
    return invalidInput("not a version-1 checkpoint header");
  }
  Reader r{header, 1};
  Checkpoint c;
  c.number = r.u64();
  c.prevHash = r.take(32);
  c.frameCount = r.u64();
  c.digest = r.take(32);
  c.headCount = r.u32();
  c.headsRoot = r.take(32);
  c.signedAt = static_cast<int64_t>(r.u64());
  c.cityKeyId = r.take(8);
  return c;
}

Bytes checkpointHash(const Bytes& header) { return hash256(header); }

Bytes signCheckpoint(const Identity& city, const Bytes& header) {
  Bytes buf = signingInput(header);
  return city.sign(buf.data(), buf.size());
}

bool verifyCheckpoint(const PublicKey& cityKey, const Bytes& header, const Bytes& signature) {
  if (signature.size() != crypto_sign_BYTES) return false;
  Bytes buf = signingInput(header);
  return crypto_sign_verify_detached(signature.data(), buf.data(), buf.size(), cityKey.data()) == 0;
}

Bytes encodeReceipt(const Receipt& r) {
  Bytes out;
  out.push_back(kVersion);
  out.insert(out.end(), r.header.begin(), r.header.end());
  putFixed(out, r.signature, 64);
  out.push_back(static_cast<uint8_t>(r.head.sender.size()));
  out.insert(out.end(), r.head.sender.begin(), r.head.sender.end());
  putFixed(out, r.head.keyId, 8);
  putU64(out, r.head.seq);
  putFixed(out, r.head.bodyHash, 32);
  putU32(out, r.index);
  out.push_back(static_cast<uint8_t>(r.path.size()));
  for (const auto& p : r.path) putFixed(out, p, 32);
  return out;
}

Result<Receipt> decodeReceipt(const Bytes& bytes) {
  if (bytes.size() > kMaxReceiptBytes) return invalidInput("receipt longer than 1024 bytes");
  Reader r{bytes};
  if (r.u8() != kVersion) return invalidInput("not a version-1 receipt");
  Receipt out;
  out.header = r.take(kCheckpointHeaderBytes);
  out.signature = r.take(64);
  size_t senderLen = r.u8();
  Bytes sender = r.take(senderLen);
  out.head.sender.assign(sender.begin(), sender.end());
  out.head.keyId = r.take(8);
  out.head.seq = r.u64();
  out.head.bodyHash = r.take(32);
  out.index = r.u32();
  size_t pathLen = r.u8();
  for (size_t i = 0; i < pathLen && r.ok; ++i) out.path.push_back(r.take(32));
  if (!r.ok || r.at != bytes.size()) return invalidInput("receipt is cut short or too long");
  auto cp = decodeCheckpoint(out.header);
  if (!cp) return cp.error();
  out.checkpoint = std::move(cp).value();
  return out;
}

Status verifyReceipt(const Receipt& r, const PublicKey& cityKey) {
  if (!verifyCheckpoint(cityKey, r.header, r.signature)) {
    return invalidInput("the checkpoint signature does not verify with the city's key");
  }
  Bytes root = rootFromPath(headLeafHash(r.head), r.index, r.checkpoint.headCount, r.path);
  if (root.empty() || root != r.checkpoint.headsRoot) {
    return invalidInput(
        "the head is not in the signed checkpoint (Merkle path does not lead to "
        "its root)");
  }
  return {};
}

}  // namespace samband::common
