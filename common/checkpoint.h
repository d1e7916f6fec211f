// Checkpoints and receipts: the city's signed statement, after each commit, of how far the
// archive reached (a running count and digest of every frame in archive order, chained to the
// previous checkpoint like a transparency log's signed tree head) and of every chain head the
// commit moved (a Merkle tree); and the compact receipt an ack carries, proving with the city's
// public key alone that the city held one head. Formats: docs/protocol.md.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::common {

// Domain-separation prefix of a checkpoint signature (NUL included), as for bodies.
inline constexpr char kCheckpointSignDomain[] = "samband/v1/checkpoint";
inline constexpr size_t kCheckpointHeaderBytes = 133;
inline constexpr size_t kMaxReceiptBytes = 1024;

// One chain head a commit moved: the newest frame of (sender, key) in that commit.
struct CheckpointHead {
  std::string sender;
  Bytes keyId;  // 8 bytes
  uint64_t seq = 0;
  Bytes bodyHash;  // 32 bytes
};

struct Checkpoint {
  uint64_t number = 0;      // 1, 2, 3, … without gaps
  Bytes prevHash;           // checkpointHash of number-1; 32 zero bytes for number 1
  uint64_t frameCount = 0;  // frames in the archive, in frame-id order, covered so far
  Bytes digest;             // running digest (below) over every covered frame's body hash
  uint32_t headCount = 0;   // heads in this checkpoint's tree
  Bytes headsRoot;          // Merkle root of the heads, sorted by (sender, key id)
  int64_t signedAt = 0;     // broker clock, ms
  Bytes cityKeyId;          // 8 bytes: the key that signs it
};

// 32 zero bytes: prevHash of checkpoint 1 and the digest before any frame.
Bytes zeroHash();
// digest' = BLAKE2b-256(digest || bodyHash) for each frame in archive order.
void extendDigest(Bytes& digest, const Bytes& bodyHash);

// Leaf = BLAKE2b-256(0x00 || len(sender) as one byte || sender || keyId || seq (8 bytes, big
// endian) || bodyHash); inner node = BLAKE2b-256(0x01 || left || right); the tree splits as in
// RFC 6962 (the left subtree holds the largest power of two below n).
Bytes headLeafHash(const CheckpointHead& head);
Bytes merkleRoot(const std::vector<Bytes>& leaves);
// The sibling hashes from leaf `index` up to the root.
std::vector<Bytes> merklePath(const std::vector<Bytes>& leaves, size_t index);
// A tree built once, whose paths then cost O(log n) each (the committer hands out one per ack).
class MerkleTree {
 public:
  explicit MerkleTree(std::vector<Bytes> leaves);
  const Bytes& root() const { return root_; }
  std::vector<Bytes> path(size_t index) const;  // as merklePath()

 private:
  std::vector<Bytes> leaves_;
  Bytes root_;
  mutable std::unordered_map<uint64_t, Bytes> nodes_;  // every inner node, from the constructor
};
// The root that `leaf` at `index` of `count` leaves with `path` leads to; empty when the path
// has the wrong length.
Bytes rootFromPath(const Bytes& leaf, size_t index, size_t count, const std::vector<Bytes>& path);

// The fixed 133-byte header (version 1): what is signed (after kCheckpointSignDomain) and hashed.
Bytes encodeCheckpoint(const Checkpoint& checkpoint);
// Errors: invalidInput when not a 133-byte version-1 header.
Result<Checkpoint> decodeCheckpoint(const Bytes& header);
// BLAKE2b-256 of the header bytes: the next checkpoint's prevHash.
Bytes checkpointHash(const Bytes& header);
Bytes signCheckpoint(const Identity& city, const Bytes& header);
bool verifyCheckpoint(const PublicKey& cityKey, const Bytes& header, const Bytes& signature);

// What an ack carries: the signed header, its signature, one head, its place in the tree and the
// path to the root.
struct Receipt {
  Bytes header;
  Bytes signature;
  CheckpointHead head;
  uint32_t index = 0;
  std::vector<Bytes> path;
  Checkpoint checkpoint;  // decoded header (filled by decodeReceipt)
};
Bytes encodeReceipt(const Receipt& receipt);
// Decodes without trusting: shape and lengths only. Errors: invalidInput.
Result<Receipt> decodeReceipt(const Bytes& bytes);
// The signature holds under `cityKey` and the path leads from the head to the signed root.
// Errors: invalidInput naming which part fails.
Status verifyReceipt(const Receipt& receipt, const PublicKey& cityKey);

}  // namespace samband::common
