// See checkpointer.h. The frames since the last checkpoint are read back inside the transaction
// (they were just written, so from the page cache): one indexed range read and one signature per
// commit, whatever the number of frames.
#include "broker/city/checkpointer.h"

#include "common/codec.h"

namespace samband::broker {

Checkpointer::Checkpointer(Store& store, const common::Identity& city)
    : store_(store), city_(city) {}

void Checkpointer::forget() { last_.reset(); }

common::Status Checkpointer::load() {
  auto latest = store_.latest();
  if (!latest) return latest.error();
  Last l;
  l.hash = common::zeroHash();
  l.digest = common::zeroHash();
  if (*latest) {
    auto cp = common::decodeCheckpoint((*latest)->header);
    if (!cp) return common::internalError("stored checkpoint does not decode");
    l.number = cp->number;
    l.hash = common::checkpointHash((*latest)->header);
    l.frameCount = cp->frameCount;
    l.digest = cp->digest;
    l.lastFrameId = (*latest)->lastFrameId;
  }
  last_ = std::move(l);
  return {};
}

common::Result<bool> Checkpointer::seal(int64_t nowMs) {
  if (!last_) {
    if (auto s = load(); !s) return s.error();
  }
  Last next = *last_;
  // Newest frame per chain among the new frames; a std::map keeps them sorted by (sender, key).
  std::map<std::pair<std::string, std::string>, common::CheckpointHead> moved;
  auto read = store_.framesAfter(last_->lastFrameId, [&](const CoveredFrame& f) {
    next.frameCount++;
    common::extendDigest(next.digest, f.bodyHash);
    next.lastFrameId = f.id;
    auto& h = moved[{f.sender, f.keyId}];
    if (f.seq >= h.seq) {
      h.sender = f.sender;
      h.seq = f.seq;
      h.bodyHash = f.bodyHash;
    }
  });
  if (!read) return read.error();
  if (next.frameCount == last_->frameCount) return false;
  heads_.clear();
  headByKey_.clear();
  std::vector<common::Bytes> leaves;
  leaves.reserve(moved.size());
  for (auto& [key, head] : moved) {
    if (!common::fromHex(key.second, &head.keyId)) head.keyId.assign(8, 0);
    headByKey_[key.second] = heads_.size();
    leaves.push_back(common::headLeafHash(head));
    heads_.push_back(std::move(head));
  }
  tree_ = std::make_unique<common::MerkleTree>(std::move(leaves));
  common::Checkpoint cp;
  cp.number = last_->number + 1;
  cp.prevHash = last_->hash;
  cp.frameCount = next.frameCount;
  cp.digest = next.digest;
  cp.headCount = static_cast<uint32_t>(heads_.size());
  cp.headsRoot = tree_->root();
  cp.signedAt = nowMs;
  cp.cityKeyId = city_.keyId();
  header_ = common::encodeCheckpoint(cp);
  signature_ = common::signCheckpoint(city_, header_);
  if (auto s = store_.append(StoredCheckpoint{cp.number, header_, signature_, next.lastFrameId});
      !s) {
    return s.error();
  }
  next.number = cp.number;
  next.hash = common::checkpointHash(header_);
  last_ = std::move(next);
  return true;
}

common::Bytes Checkpointer::receiptFor(const std::string& keyIdHex, uint64_t seq) const {
  auto it = headByKey_.find(keyIdHex);
  if (!tree_ || it == headByKey_.end() || heads_[it->second].seq != seq) return {};
  common::Receipt r;
  r.header = header_;
  r.signature = signature_;
  r.head = heads_[it->second];
  r.index = static_cast<uint32_t>(it->second);
  r.path = tree_->path(it->second);
  return common::encodeReceipt(r);
}

}  // namespace samband::broker
