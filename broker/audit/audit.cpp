// See audit.h. Nothing stored is believed until it follows from the signed bytes: keys from the
// city's roster records, columns and the picture from the bodies, completeness from the city's
// checkpoints and the agents' receipts.
#include "broker/audit/audit.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "broker/audit/check_pool.h"
#include "broker/audit/frame_check.h"
#include "broker/audit/picture_replay.h"
#include "broker/audit/seen_bodies.h"
#include "broker/audit/stored_batch.h"
#include "broker/city/city_chain.h"
#include "broker/city/key_records.h"
#include "broker/store/audit_store.h"
#include "broker/store/checkpoint_store.h"
#include "common/checkpoint.h"
#include "common/city_keyring.h"
#include "common/codec.h"
#include "common/ids.h"
#include "common/vocabulary.h"

namespace samband::broker {

nlohmann::json AuditReport::toJson() const {
  return {{"frames", frames},
          {"senders", senders},
          {"chains", chains},
          {"bad_signatures", badSignatures},
          {"chain_breaks", chainBreaks},
          {"duplicates", duplicates},
          {"undecodable", undecodable},
          {"column_mismatches", columnMismatches},
          {"picture_mismatches", pictureMismatches},
          {"keys_without_record", keysWithoutRecord},
          {"key_mismatches", keyMismatches},
          {"checkpoints", checkpoints},
          {"checkpoint_problems", checkpointProblems},
          {"uncovered_frames", uncoveredFrames},
          {"receipts_checked", receiptsChecked},
          {"receipt_problems", receiptProblems},
          {"city_key_source", cityKeySource},
          {"since", since},
          {"signatures_checked", signaturesChecked},
          {"checkpoint_signatures_checked", checkpointSignaturesChecked},
          {"all_checkpoint_signatures", allCheckpointSignatures},
          {"intact", intact()},
          {"problems", problems}};
}

std::string AuditReport::toText() const {
  std::ostringstream out;
  out << "frames " << frames << ", senders " << senders << ", chains " << chains
      << "\nbad signatures " << badSignatures << ", chain breaks " << chainBreaks << ", duplicates "
      << duplicates << ", undecodable " << undecodable << "\ncolumn mismatches " << columnMismatches
      << ", picture mismatches " << pictureMismatches << "\nkeys without a city record "
      << keysWithoutRecord << ", key mismatches " << keyMismatches << "\ncheckpoints "
      << checkpoints << ", checkpoint problems " << checkpointProblems
      << ", frames after the newest checkpoint " << uncoveredFrames
      << "\ncheckpoint signatures verified " << checkpointSignaturesChecked
      << (allCheckpointSignatures || checkpoints == checkpointSignaturesChecked
              ? ""
              : " (the newest each city key signed; every earlier checkpoint is bound to them by "
                "its hash chain; --all-checkpoint-signatures verifies each)")
      << "\nreceipts checked " << receiptsChecked << ", receipt problems " << receiptProblems
      << "\n";
  if (since > 1) {
    out << "signatures checked from frame " << since << " on (" << signaturesChecked
        << "); earlier frames were hashed, chained and replayed but their signatures not "
           "re-verified (--since)\n";
  }
  for (const auto& p : problems) out << "  " << p << "\n";
  if (cityKeySource == "database") {
    out << "note: the city's key was read from the database itself; pass --city-keys city.pub to "
           "prove keys from the city's public key alone\n";
  }
  out << (intact() ? "archive intact\n" : "ARCHIVE NOT INTACT\n");
  return out.str();
}

namespace {

// Appends the lowercase hex of `b` (as common::toHex writes it) without a temporary string.
void appendHex(std::string& out, const common::Bytes& b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (uint8_t c : b) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
}

struct Boundary {  // what a checkpoint says about the frames up to its count
  uint64_t number = 0;
  common::Bytes digest;
  common::Bytes headsRoot;
  uint32_t headCount = 0;
};

class Auditor {
 public:
  Auditor(Store& store, const AuditOptions& options, AuditReport& r)
      : store_(store), options_(options), r_(r), batches_(store) {}

  void run();

 private:
  void note(const std::string& what) {
    if (r_.problems.size() < 100) r_.problems.push_back(what);
  }
  bool loadCityKey();
  void checkKeys();
  void loadCheckpoints();
  void walkFrames();
  void visit(const StoredFrame& f, FrameCheck& check);
  void touchHead(const StoredFrame& f);
  void closeCheckpoint();
  void checkReceipts();

  Store& store_;
  const AuditOptions& options_;
  AuditReport& r_;
  common::PublicKey cityKey_{};  // the root (a single-key installation's own key)
  std::string cityKeyId_;
  std::optional<common::PublicKey> brokerKey_;    // the key this broker signs with, from meta
  std::unique_ptr<common::CityKeyring> keyring_;  // root + archived certificates/revocations
  ArchiveKeys proven_;
  FrameKeys frameKeys_;
  std::unique_ptr<PictureReplay> replay_;
  // By frame count, strictly growing; the walk meets them in order (nextBoundary_). A broker at a
  // city's usual pace seals about one per frame, so this is a vector and a cursor, not a map.
  std::vector<std::pair<uint64_t, Boundary>> boundaries_;
  size_t nextBoundary_ = 0;
  uint64_t lastCovered_ = 0;
  // The walk. Per frame it looks up two tables and allocates nothing once they hold every chain.
  struct ChainHead {  // a chain as its signed bodies say: the last seq and body hash
    uint64_t seq = 0;
    common::Bytes hash;
  };
  struct Head {  // a chain as its stored columns say, for the checkpoints' heads
    std::string keyIdHex;
    common::CheckpointHead head;
    bool touched = false;  // since the last checkpoint
  };
  std::set<std::string> senders_;
  std::unordered_map<std::string, ChainHead> chains_;  // "sender/key id hex" -> head
  std::string chainKey_, keyIdHex_, headKey_;          // reused lookup keys
  std::unordered_map<std::string, size_t> headIndex_;  // (sender, key id) columns -> heads_
  std::vector<Head> heads_;
  std::vector<size_t> touched_;  // heads_ changed since the last checkpoint
  SeenBodies bodies_;
  common::Bytes digest_ = common::zeroHash();
  uint64_t count_ = 0;
  StoredBatchCheck batches_;  // reports stored from batches (issue 16)
};

bool Auditor::loadCityKey() {
  auto storedKey = store_.meta(kMetaCitySignPublic);
  if (!storedKey.ok()) {
    r_.undecodable++;
    note("database error: " + storedKey.error().message);
    return false;
  }
  std::optional<common::PublicKey> fromDb;
  if (const auto& hex = *storedKey) {
    common::PublicKey pk{};
    if (common::fromHex(*hex, pk.data(), pk.size())) fromDb = pk;
  }
  brokerKey_ = fromDb;
  // With a city root (issue 15) the database records it; the broker's own key is then one the
  // root certified.
  if (auto root = store_.meta(kMetaCityRootSignPublic); root.ok() && *root) {
    common::PublicKey pk{};
    if (common::fromHex(**root, pk.data(), pk.size())) fromDb = pk;
  }
  if (options_.cityKey) {
    cityKey_ = *options_.cityKey;
    r_.cityKeySource = "city.pub";
  } else if (fromDb) {
    cityKey_ = *fromDb;
    r_.cityKeySource = "database";
  } else {
    // Nothing can be proven without it; an empty archive with no keys is still intact.
    r_.cityKeySource = "none";
    note("no city key in the database (serve never ran): pass --city-keys city.pub");
  }
  cityKeyId_ = common::toHex(common::keyIdOf(cityKey_));
  return true;
}

void Auditor::checkKeys() {
  std::vector<std::string> keyProblems;
  auto keyring = cityKeyringFromArchive(store_, cityKey_, &keyProblems);
  if (!keyring) {
    r_.undecodable++;
    note("database error: " + keyring.error().message);
    return;
  }
  keyring_ = std::make_unique<common::CityKeyring>(std::move(keyring).value());
  for (const auto& p : keyProblems) {
    r_.keyMismatches++;
    note(p);
  }
  if (brokerKey_ && !keyring_->keyFor(common::keyIdOf(*brokerKey_), INT64_MIN).ok()) {
    r_.keyMismatches++;
    note("the broker's own city key " + common::toHex(common::keyIdOf(*brokerKey_)) +
         " is neither the city root given nor certified by it");
  }
  auto proven = keysFromArchive(store_, *keyring_);
  if (!proven) {
    r_.undecodable++;
    note("database error: " + proven.error().message);
    return;
  }
  proven_ = std::move(proven).value();
  for (const auto& p : proven_.problems) {
    r_.keyMismatches++;
    note(p);
  }
  auto stored = AuditStore(store_).keys();
  if (!stored) {
    r_.undecodable++;
    note("database error: " + stored.error().message);
    return;
  }
  std::set<std::string> seen;
  for (const auto& k : *stored) {
    seen.insert(k.keyId);
    auto it = proven_.keys.find(k.keyId);
    if (it == proven_.keys.end()) {
      r_.keysWithoutRecord++;
      note("key " + k.keyId + " (provider " + k.providerId +
           ") has no city-signed enrolment record: inserted into the database by hand, or "
           "enrolled before records existed (check it with 'samband-broker keys', then run "
           "'samband-broker certify-keys')");
      continue;
    }
    const ProvenKey& p = it->second;
    if (p.provider != k.providerId || p.signPublic != k.signPublic ||
        p.curvePublic != k.curvePublic) {
      r_.keyMismatches++;
      note("key " + k.keyId + ": the keys table differs from its city record");
    }
    if (p.revokedAt && !k.revokedAt) {
      r_.keyMismatches++;
      note("key " + k.keyId + ": revoked by a city record, but not revoked in the keys table");
    }
  }
  for (const auto& [id, p] : proven_.keys) {
    if (seen.count(id) == 0) {
      r_.keyMismatches++;
      note("key " + id + " (provider " + p.provider +
           ") is recorded but missing from the keys table");
    }
  }
}

void Auditor::loadCheckpoints() {
  common::Bytes prevHash = common::zeroHash();
  uint64_t expected = 1, lastCount = 0;
  r_.allCheckpointSignatures = options_.allCheckpointSignatures;
  // Without --all-checkpoint-signatures: per city key (hex), the newest checkpoint it signed and
  // the key, verified after the walk.
  std::map<std::string, std::pair<uint64_t, common::PublicKey>> newestByKey;
  CheckpointStore checkpoints(store_);
  auto walked = checkpoints.forEach([&](const StoredCheckpoint& c) {
    r_.checkpoints++;
    auto name = [&] { return "checkpoint " + std::to_string(c.number); };
    auto cp = common::decodeCheckpoint(c.header);
    if (!cp || cp->number != c.number) {
      r_.checkpointProblems++;
      note(name() + ": header does not decode");
      return;
    }
    // Whether its key may sign for the city at its time: for every checkpoint (a map lookup).
    auto key = keyring_->keyFor(cp->cityKeyId, cp->signedAt);
    if (!key) {
      r_.checkpointProblems++;
      note(name() + ": " + key.error().message);
    } else if (options_.allCheckpointSignatures) {
      r_.checkpointSignaturesChecked++;
      if (!common::verifyCheckpoint(*key, c.header, c.signature)) {
        r_.checkpointProblems++;
        note(name() + ": the checkpoint signature does not verify with city key " +
             common::toHex(cp->cityKeyId));
      }
    } else {
      newestByKey[common::toHex(cp->cityKeyId)] = {c.number, *key};
    }
    if (c.number != expected) {
      r_.checkpointProblems++;
      note(name() + ": checkpoints " + std::to_string(expected) + " to " +
           std::to_string(c.number - 1) + " are missing");
    } else if (cp->prevHash != prevHash) {
      r_.checkpointProblems++;
      note(name() + ": not chained to the checkpoint before it");
    }
    if (cp->frameCount <= lastCount) {
      r_.checkpointProblems++;
      note(name() + ": frame count does not grow");
    } else {
      boundaries_.emplace_back(cp->frameCount, Boundary{cp->number, std::move(cp->digest),
                                                        std::move(cp->headsRoot), cp->headCount});
    }
    lastCount = std::max(lastCount, cp->frameCount);
    prevHash = common::checkpointHash(c.header);
    expected = c.number + 1;
  });
  if (!walked) {
    r_.undecodable++;
    note("database error: " + walked.error().message);
  }
  lastCovered_ = lastCount;
  for (const auto& [keyHex, newest] : newestByKey) {
    const std::string name = "checkpoint " + std::to_string(newest.first);
    auto c = checkpoints.byNumber(newest.first);
    if (!c || !*c) {
      r_.undecodable++;
      note(name + ": cannot be read again: " + (c ? "it is gone" : c.error().message));
      continue;
    }
    r_.checkpointSignaturesChecked++;
    if (!common::verifyCheckpoint(newest.second, (*c)->header, (*c)->signature)) {
      r_.checkpointProblems++;
      note(name + ": the checkpoint signature does not verify with city key " + keyHex +
           " (the newest checkpoint this key signed: the checkpoints it signed before are bound "
           "to it by the hash chain)");
    }
  }
}

void Auditor::closeCheckpoint() {
  if (nextBoundary_ >= boundaries_.size() || boundaries_[nextBoundary_].first != count_) return;
  const Boundary& b = boundaries_[nextBoundary_++].second;
  // Named only in a problem (about one checkpoint per frame at a city's usual pace).
  auto name = [&] { return "checkpoint " + std::to_string(b.number); };
  if (digest_ != b.digest) {
    r_.checkpointProblems++;
    note(name() +
         ": the archive's frames up to it are not the frames it signed (deleted, inserted "
         "or altered before frame " +
         std::to_string(count_ + 1) + ")");
    digest_ = b.digest;  // report each checkpoint once, not every later one again
  }
  // The heads of the chains the commit touched, in (sender, key id) order as signed.
  std::sort(touched_.begin(), touched_.end(), [&](size_t a, size_t b) {
    const Head& x = heads_[a];
    const Head& y = heads_[b];
    return std::tie(x.head.sender, x.keyIdHex) < std::tie(y.head.sender, y.keyIdHex);
  });
  std::vector<common::Bytes> leaves;
  leaves.reserve(touched_.size());
  for (size_t i : touched_) {
    leaves.push_back(common::headLeafHash(heads_[i].head));
    heads_[i].touched = false;
  }
  touched_.clear();
  if (leaves.size() != b.headCount || common::merkleRoot(leaves) != b.headsRoot) {
    r_.checkpointProblems++;
    note(name() + ": the chain heads it signed are not the archive's");
  }
}

void Auditor::touchHead(const StoredFrame& f) {
  // Keyed by the stored columns, as the committer signed them into the checkpoint's heads; the
  // sender's length first, so no two (sender, key) pairs share a key.
  headKey_.clear();
  const auto n = static_cast<uint32_t>(f.sender.size());
  headKey_.append(reinterpret_cast<const char*>(&n), sizeof n);
  headKey_ += f.sender;
  headKey_ += f.keyId;
  auto it = headIndex_.find(headKey_);
  if (it == headIndex_.end()) {
    senders_.insert(f.sender);
    Head h;
    h.keyIdHex = f.keyId;
    h.head.sender = f.sender;
    if (!common::fromHex(f.keyId, &h.head.keyId)) h.head.keyId.assign(8, 0);
    it = headIndex_.emplace(headKey_, heads_.size()).first;
    heads_.push_back(std::move(h));
  }
  Head& h = heads_[it->second];
  if (!h.touched) {
    h.touched = true;
    touched_.push_back(it->second);
  }
  h.head.seq = f.seq;
  h.head.bodyHash.assign(f.bodyHash.begin(), f.bodyHash.end());
}

void Auditor::visit(const StoredFrame& f, FrameCheck& check) {
  r_.frames++;
  // Named only in a problem: building it for every frame cost more than some checks.
  auto where = [&] { return f.sender + " key " + f.keyId + " seq " + std::to_string(f.seq); };
  count_++;
  common::extendDigest(digest_, f.bodyHash);
  touchHead(f);
  closeCheckpoint();

  if (!check.decodeProblem.empty()) {
    r_.undecodable++;
    note(where() + ": " + check.decodeProblem);
    return;
  }
  const common::Message* body = &check.body;
  keyIdHex_.clear();
  appendHex(keyIdHex_, body->keyId);
  // Signature, with a key the archive proves (checked by checkFrame, maybe on a worker).
  switch (check.signature) {
    case FrameCheck::Signature::verified:
      r_.signaturesChecked++;
      break;
    case FrameCheck::Signature::bad:
      r_.signaturesChecked++;
      r_.badSignatures++;
      note(where() + ": " +
           (check.signatureProblem.empty() ? "signature does not verify" : check.signatureProblem));
      break;
    case FrameCheck::Signature::noProvenKey:
      r_.badSignatures++;
      note(where() + ": no key proven by a city record to verify it");
      break;
    case FrameCheck::Signature::inBatch:
      // Issue 16: the signature is its batch's, stored as sent; checked here, in frame order,
      // so each batch is opened once for the run of its reports.
      r_.signaturesChecked++;
      if (auto problem = batches_.check(f.id, check.batchBody, check.batchKey)) {
        r_.badSignatures++;
        note(where() + ": " + *problem);
      }
      break;
    case FrameCheck::Signature::notChecked:
      break;
  }
  // Every derived column.
  const common::Bytes& bodyHash = check.bodyHash;
  bool headerDiffers = false;
  auto column = [&](bool same, const char* name, bool header) {
    if (same) return;
    r_.columnMismatches++;
    headerDiffers = headerDiffers || header;
    note(where() + " (frame " + std::to_string(f.id) + "): column " + name +
         " differs from the signed body");
  };
  column(f.sender == body->senderId, "sender", true);
  column(f.keyId == keyIdHex_, "key_id", true);
  column(f.seq == body->seq, "seq", true);
  column(f.bodyHash == bodyHash, "body_hash", true);
  column(f.kind == common::payloadKindName(body->payload), "kind", false);
  column(f.mode == common::modeName(body->mode), "mode", false);
  column(f.sentAt == body->sentAt, "sent_at", false);
  if (headerDiffers) r_.undecodable++;
  // The chain, from the signed fields.
  chainKey_.assign(body->senderId);
  chainKey_ += '/';
  chainKey_ += keyIdHex_;
  auto link = chains_.find(chainKey_);
  if (link == chains_.end()) {
    link = chains_.emplace(chainKey_, ChainHead{}).first;
    r_.chains++;
  }
  ChainHead& chain = link->second;
  if (body->seq != chain.seq + 1) {
    r_.chainBreaks++;
    note(where() + ": gap after seq " + std::to_string(chain.seq));
  } else if (body->prevHash != chain.hash) {
    r_.chainBreaks++;
    note(where() + ": prevHash does not match the previous body");
  }
  chain.seq = body->seq;
  chain.hash.assign(bodyHash.begin(), bodyHash.end());
  if (!bodies_.insert(bodyHash)) {
    r_.duplicates++;
    note(where() + ": the same body is stored twice");
  }
  if (replay_) {
    if (auto s = replay_->apply(*body, f.id, f.receivedAt); !s) {
      note("picture replay failed: " + s.error().message);
      replay_.reset();
    }
  }
}

void Auditor::walkFrames() {
  auto replay = PictureReplay::create();
  if (replay) {
    replay_ = std::move(replay).value();
  } else {
    r_.pictureMismatches++;
    note("cannot rebuild the picture: " + replay.error().message);
  }
  frameKeys_.city = keyring_.get();
  frameKeys_.proven = &proven_;
  const int64_t since = std::max<int64_t>(1, options_.since);
  r_.since = options_.since > 1 ? options_.since : 0;
  int threads = options_.threads;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto lastId = AuditStore(store_).maxFrameId();
  const int64_t lastFrameId = lastId ? *lastId : 0;
  // Batches of frames: read here, checked on the pool (or here when serial), walked here in
  // frame-id order. A few batches per worker in flight keep the workers busy while this thread
  // reads and walks.
  constexpr size_t kBatch = 1024;
  std::unique_ptr<CheckPool> pool;
  if (threads > 1) pool = std::make_unique<CheckPool>(threads, frameKeys_, since);
  const size_t maxInFlight = static_cast<size_t>(threads) * 3;
  // Batches walked are reused, buffers and all: after the first few batches the reading and
  // checking allocate only what decoding a body needs.
  std::vector<std::unique_ptr<CheckedBatch>> spare;
  auto fresh = [&] {
    std::unique_ptr<CheckedBatch> b;
    if (spare.empty()) {
      b = std::make_unique<CheckedBatch>();
      b->frames.resize(kBatch);
    } else {
      b = std::move(spare.back());
      spare.pop_back();
    }
    b->size = 0;
    return b;
  };
  auto walkBatch = [&](std::unique_ptr<CheckedBatch> b) {
    for (size_t i = 0; i < b->size; i++) visit(b->frames[i], b->checks[i]);
    if (options_.progress && b->size > 0) {
      options_.progress(r_.frames, lastFrameId, b->frames[b->size - 1].id);
    }
    spare.push_back(std::move(b));
  };
  std::unique_ptr<CheckedBatch> batch = fresh();
  auto flush = [&] {
    if (batch->size == 0) return;
    if (!pool) {
      checkBatch(*batch, frameKeys_, since);
      walkBatch(std::move(batch));
    } else {
      pool->submit(std::move(batch));
      while (pool->pending() > maxInFlight) walkBatch(pool->takeOldest());
    }
    batch = fresh();
  };
  FrameCursor cursor(store_);
  while (cursor.next(batch->frames[batch->size])) {
    if (++batch->size >= kBatch) flush();
  }
  flush();
  if (pool) {
    while (pool->pending() > 0) walkBatch(pool->takeOldest());
    pool.reset();
  }
  if (cursor.error()) {
    r_.undecodable++;
    note("database error: " + cursor.error()->message);
  }
  r_.senders = static_cast<int64_t>(senders_.size());
  if (count_ < lastCovered_) {
    r_.checkpointProblems++;
    note("checkpoint covering " + std::to_string(lastCovered_) + " frames, but the archive holds " +
         std::to_string(count_) + ": frames were deleted");
  } else if (count_ > lastCovered_) {
    r_.uncoveredFrames = static_cast<int64_t>(count_ - lastCovered_);
    note(std::to_string(r_.uncoveredFrames) +
         " frame(s) after the newest checkpoint: its successors were deleted, or the frames were "
         "written before checkpoints existed (start 'samband-broker serve' once: it signs a "
         "checkpoint over them)");
  }
  if (replay_) {
    int64_t count = 0;
    auto diff = replay_->differences(store_, 20, count);
    if (!diff) {
      r_.pictureMismatches++;
      note("cannot compare the picture: " + diff.error().message);
    } else {
      r_.pictureMismatches += count;
      for (const auto& d : *diff) note("picture: " + d);
    }
  }
}

void Auditor::checkReceipts() {
  CheckpointStore checkpoints(store_);
  for (const auto& [file, text] : options_.receipts) {
    r_.receiptsChecked++;
    bool counted = false;  // one problem per receipt, each reason noted
    auto fail = [&](const std::string& why) {
      if (!counted) r_.receiptProblems++;
      counted = true;
      note("receipt " + file + ": " + why);
    };
    auto j = nlohmann::json::parse(text, nullptr, false);
    common::Bytes bytes;
    if (j.is_discarded() || !j.is_object() || !j.contains("receipt") || !j["receipt"].is_string() ||
        !common::fromHex(j["receipt"].get<std::string>(), &bytes)) {
      fail("not a receipt (use the JSON of 'samband-agent receipt --json')");
      continue;
    }
    auto receipt = common::decodeReceipt(bytes);
    if (!receipt) {
      fail(receipt.error().message);
      continue;
    }
    if (auto s = common::verifyCityReceipt(*keyring_, *receipt); !s) {
      fail(s.error().message + " (not proof of anything)");
      continue;
    }
    const uint64_t n = receipt->checkpoint.number;
    auto stored = checkpoints.byNumber(n);
    if (!stored) {
      fail("database error: " + stored.error().message);
      continue;
    }
    if (!*stored) {
      fail("the city signed checkpoint " + std::to_string(n) +
           ", which the archive no longer holds: the archive was truncated");
    } else if ((*stored)->header != receipt->header) {
      fail("checkpoint " + std::to_string(n) + " in the archive is not the one the city signed");
    }
    const auto& h = receipt->head;
    auto hash = ArchiveStore(store_).bodyHashAt(h.sender, common::toHex(h.keyId), h.seq);
    if (!hash) {
      fail("database error: " + hash.error().message);
    } else if (!*hash || **hash != h.bodyHash) {
      fail("the acknowledged frame " + h.sender + " key " + common::toHex(h.keyId) + " seq " +
           std::to_string(h.seq) + " is missing from the archive");
    }
  }
}

void Auditor::run() {
  if (!loadCityKey()) return;
  checkKeys();
  if (!keyring_) return;
  loadCheckpoints();
  walkFrames();
  checkReceipts();
}

}  // namespace

AuditReport auditArchive(Store& store, const AuditOptions& options) {
  AuditReport r;
  Auditor(store, options, r).run();
  return r;
}

}  // namespace samband::broker
