// See inquiry_verify.h. Nothing in the folder is believed before it follows from the signed
// bytes and the city's key: the manifest from its signature, keys from roster records, the
// period's completeness from the checkpoints, the pictures from a replay of the frames.
#include "broker/inquiry/inquiry_verify.h"

#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "broker/city/key_records.h"
#include "broker/city/readiness_schedule.h"
#include "broker/inquiry/frame_json.h"
#include "broker/inquiry/manifest.h"
#include "broker/picture/archive_replay.h"
#include "broker/picture/board_view.h"
#include "broker/picture/moment.h"
#include "broker/picture/view.h"
#include "broker/store/archive_store.h"
#include "broker/store/calendar_store.h"
#include "broker/store/replay_store.h"
#include "common/batch_envelope.h"
#include "common/checkpoint.h"
#include "common/city_keyring.h"
#include "common/codec.h"
#include "common/config.h"
#include "common/identity.h"
#include "common/ids.h"
#include "common/signing.h"
#include "common/vocabulary.h"

namespace samband::broker::inquiry {

using nlohmann::json;

nlohmann::json VerifyReport::toJson() const {
  return {
      {"files", files},     {"frames", frames},           {"signatures_checked", signaturesChecked},
      {"chains", chains},   {"checkpoints", checkpoints}, {"pictures", pictures},
      {"intact", intact()}, {"problems", problems},       {"notes", notes}};
}

std::string VerifyReport::toText() const {
  std::ostringstream out;
  out << "files " << files << ", frames " << frames << ", signatures " << signaturesChecked
      << ", chains " << chains << ", checkpoints " << checkpoints << ", pictures " << pictures
      << "\n";
  for (const auto& p : problems) out << "  PROBLEM " << p << "\n";
  for (const auto& n : notes) out << "  note: " << n << "\n";
  out << (intact()
              ? "export intact: every file, signature, chain, checkpoint and picture checks out\n"
              : "EXPORT NOT INTACT\n");
  return out.str();
}

namespace {

struct Frame {
  std::string where;  // "frames/x.jsonl line 3"
  std::string file;
  int64_t id = 0, receivedAt = 0;
  common::Bytes envelope;
  common::Bytes body, signature, bodyHash;
  common::Message message;
  bool decoded = false;
  int64_t batchId = 0;  // issue 16: the batch whose signature covers it; 0: its own
  uint32_t batchIndex = 0;
};

std::vector<common::HolidayRange> holidaysOf(const json& j, std::vector<std::string>* problems) {
  std::vector<common::HolidayRange> out;
  if (!j.is_array()) return out;
  for (const auto& h : j) {
    if (!h.is_array() || h.size() != 3 || !h[0].is_string() || !h[1].is_string() ||
        !h[2].is_string()) {
      problems->push_back(std::string(kInquiryFile) + ": a holiday is not [from, to, name]");
      continue;
    }
    auto from = common::parseCivilDate(h[0], "holiday");
    auto to = common::parseCivilDate(h[1], "holiday");
    if (!from || !to) {
      problems->push_back(std::string(kInquiryFile) + ": a holiday date does not parse");
      continue;
    }
    out.push_back({*from, *to, h[2]});
  }
  return out;
}

class Verifier {
 public:
  Verifier(std::string dir, std::string cityKeysPath, VerifyReport& r)
      : dir_(std::move(dir)), cityKeysPath_(std::move(cityKeysPath)), r_(r) {}
  void run();

 private:
  void problem(const std::string& what) { r_.problems.push_back(what); }
  std::optional<std::string> read(const std::string& rel) {
    auto text = common::readFile(dir_ + "/" + rel, size_t{1} << 34);
    if (!text) return std::nullopt;
    return std::move(text).value();
  }
  bool checkManifest();
  bool loadMeta();
  void loadFrames();
  void checkSignatures();
  // Why `f`, a report stored from a batch, is not proven by its batch; nullopt when it is.
  std::optional<std::string> batchProblem(const Frame& f, const common::PublicKey& pk);
  void checkChains();
  void checkCheckpoints();
  void checkPictures();

  std::string dir_;
  std::string cityKeysPath_;
  VerifyReport& r_;
  common::PublicKey cityKey_{};  // the exporting broker's key (city.pub): signs the manifest
  common::PublicKey rootKey_{};  // the city's root (issue 15); cityKey_ in a single-key setup
  std::unique_ptr<common::CityKeyring> keyring_;
  json meta_;
  std::vector<Frame> before_, period_;
  std::map<int64_t, common::Bytes> batchFrames_;  // batch id -> the batch frame as sent
  // The last batch opened (its reports are checked one after another): id, key, bodies or error.
  int64_t openedBatch_ = 0;
  common::PublicKey openedKey_{};
  common::Result<std::vector<common::Bytes>> opened_ = std::vector<common::Bytes>{};
};

bool Verifier::checkManifest() {
  auto pub = common::PublicIdentity::load(dir_ + "/" + kCityKeyFile);
  if (!pub) {
    problem(std::string(kCityKeyFile) + ": " + pub.error().message +
            " (without the city's key nothing can be verified)");
    return false;
  }
  cityKey_ = pub->signPublic;
  rootKey_ = cityKey_;
  if (!cityKeysPath_.empty()) {
    auto root = common::PublicIdentity::load(cityKeysPath_);
    if (!root) {
      problem(cityKeysPath_ + ": " + root.error().message);
      return false;
    }
    rootKey_ = root->signPublic;
  } else if (auto root = common::PublicIdentity::load(dir_ + "/" + kRootKeyFile); root) {
    rootKey_ = root->signPublic;
    r_.notes.push_back(std::string("the city's root key was read from the export's own ") +
                       kRootKeyFile +
                       "; pass --city-keys root.pub to prove the keys "
                       "independently");
  }
  auto manifest = read(kManifestFile);
  auto signature = read(kManifestSignatureFile);
  auto files = filesUnder(dir_);
  if (!files) {
    problem(files.error().message);
    return false;
  }
  r_.files = static_cast<int64_t>(files->size());
  if (!manifest) {
    problem(std::string(kManifestFile) + ": missing; no file can be checked against it");
    return true;
  }
  std::string sig = signature.value_or("");
  while (!sig.empty() && (sig.back() == '\n' || sig.back() == '\r')) sig.pop_back();
  if (!signature) {
    problem(std::string(kManifestSignatureFile) + ": missing; the manifest is not signed");
  } else if (!verifyManifest(cityKey_, *manifest, sig)) {
    problem(std::string(kManifestFile) + ": the city's signature in " + kManifestSignatureFile +
            " does not verify: the manifest was changed, or is not the city's");
  }
  auto listed = parseManifest(*manifest);
  if (!listed) {
    problem(listed.error().message);
    return true;
  }
  std::set<std::string> present(files->begin(), files->end());
  for (const auto& [path, hash] : *listed) {
    if (present.count(path) == 0) {
      problem(path + ": missing (the manifest lists it)");
      continue;
    }
    auto text = read(path);
    if (!text) {
      problem(path + ": cannot be read");
    } else if (sha256Hex(*text) != hash) {
      problem(path + ": changed (its SHA-256 is not the one in the manifest)");
    }
  }
  for (const auto& path : *files) {
    if (path == kManifestFile || path == kManifestSignatureFile) continue;
    if (listed->count(path) == 0) problem(path + ": added (not in the manifest)");
  }
  return true;
}

bool Verifier::loadMeta() {
  auto text = read(kInquiryFile);
  if (!text) {
    problem(std::string(kInquiryFile) + ": missing; the export cannot be checked further");
    return false;
  }
  meta_ = json::parse(*text, nullptr, false);
  if (!meta_.is_object() || meta_.value("format", 0) != kInquiryFormat ||
      !meta_["frame_files"].is_array() || !meta_["pictures"].is_array()) {
    problem(std::string(kInquiryFile) + ": not an inquiry export of format " +
            std::to_string(kInquiryFormat));
    return false;
  }
  if (meta_.value("city_key_id", "") != common::toHex(common::keyIdOf(cityKey_))) {
    problem(std::string(kInquiryFile) + ": names city key " + meta_.value("city_key_id", "?") +
            ", but city.pub holds " + common::toHex(common::keyIdOf(cityKey_)));
  }
  applyTimeZone(meta_.value("time_zone", "Europe/Stockholm"));
  return true;
}

void Verifier::loadFrames() {
  std::set<std::string> listed;
  int64_t lastId = 0;
  for (const auto& f : meta_["frame_files"]) {
    const std::string file = f.is_string() ? f.get<std::string>() : "";
    listed.insert(file);
    auto text = read(file);
    if (!text) {
      problem(file +
              ": missing; its frames cannot be checked (chains and checkpoints below "
              "show what is lost)");
      continue;
    }
    std::istringstream in(*text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      Frame fr;
      fr.file = file;
      fr.where = file + " line " + std::to_string(n);
      auto j = json::parse(line, nullptr, false);
      if (!j.is_object() || !j["id"].is_number_integer() || !j["envelope"].is_string() ||
          !j["received_at"].is_number_integer()) {
        problem(fr.where + ": not a frame line");
        continue;
      }
      fr.id = j["id"];
      fr.receivedAt = j["received_at"];
      auto envelope = fromBase64(j["envelope"]);
      if (!envelope) {
        problem(fr.where + ": envelope is not base64");
        continue;
      }
      fr.envelope = *envelope;
      if (j.contains("batch_id")) {
        if (!j["batch_id"].is_number_integer() || !j["batch_index"].is_number_unsigned()) {
          problem(fr.where + ": batch_id and batch_index must be numbers");
        } else {
          fr.batchId = j["batch_id"];
          fr.batchIndex = j["batch_index"];
        }
        if (j.contains("batch")) {
          auto batch = j["batch"].is_string() ? fromBase64(j["batch"]) : std::nullopt;
          if (!batch) {
            problem(fr.where + ": batch is not base64");
          } else {
            batchFrames_[fr.batchId] = std::move(*batch);
          }
        }
      }
      if (fr.id <= lastId)
        problem(fr.where + ": frame id " + std::to_string(fr.id) +
                " is not after the one before it (frames out of order)");
      lastId = std::max(lastId, fr.id);
      auto parts = common::decodeEnvelope(fr.envelope);
      auto body =
          parts ? common::decodeBody(parts->body) : common::Result<common::Message>(parts.error());
      if (!parts || !body) {
        problem(fr.where + ": the signed bytes do not decode");
      } else {
        fr.body = parts->body;
        fr.signature = parts->signature;
        fr.bodyHash = common::hash256(fr.body);
        fr.message = *body;
        fr.decoded = true;
        const auto& m = fr.message;
        std::string differs;
        auto column = [&](bool same, const char* name) {
          if (!same) differs += std::string(differs.empty() ? "" : ", ") + name;
        };
        column(j.value("sender", "") == m.senderId, "sender");
        column(j.value("key_id", "") == common::toHex(m.keyId), "key_id");
        column(j.value("seq", int64_t{-1}) == static_cast<int64_t>(m.seq), "seq");
        column(j.value("kind", "") == common::payloadKindName(m.payload), "kind");
        column(j.value("mode", "") == common::modeName(m.mode), "mode");
        column(j.value("sent_at", int64_t{-1}) == m.sentAt, "sent_at");
        column(j.value("body_hash", "") == common::toHex(fr.bodyHash), "body_hash");
        column(j["body"] == bodyJson(m), "body");
        if (!differs.empty()) {
          problem(fr.where + " (" + m.senderId + " seq " + std::to_string(m.seq) +
                  "): differs from its signed bytes in " + differs);
        }
      }
      r_.frames++;
      (file == kBeforeFile ? before_ : period_).push_back(std::move(fr));
    }
  }
  std::error_code ec;
  if (std::filesystem::is_directory(dir_ + "/frames", ec)) {
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/frames", ec)) {
      const std::string rel = "frames/" + e.path().filename().string();
      if (listed.count(rel) == 0) problem(rel + ": a frame file inquiry.json does not list");
    }
  }
}

std::optional<std::string> Verifier::batchProblem(const Frame& f, const common::PublicKey& pk) {
  auto stored = batchFrames_.find(f.batchId);
  if (f.batchId == 0 || stored == batchFrames_.end()) {
    return std::string("its signature is its batch's, and no batch it names is in the export");
  }
  if (openedBatch_ != f.batchId || openedKey_ != pk) {
    opened_ = common::openBatch(stored->second, pk);
    openedBatch_ = f.batchId;
    openedKey_ = pk;
  }
  const auto& bodies = opened_;
  if (!bodies) return "batch " + std::to_string(f.batchId) + ": " + bodies.error().message;
  if (f.batchIndex >= bodies->size() || bodies.value()[f.batchIndex] != f.body) {
    return "batch " + std::to_string(f.batchId) + " does not hold this body at index " +
           std::to_string(f.batchIndex);
  }
  return std::nullopt;
}

void Verifier::checkSignatures() {
  // The keys the city's records prove, by replaying the records through the audit's own rule.
  auto mem = Store::openMemory();
  if (!mem) {
    problem("cannot check signatures: " + mem.error().message);
    return;
  }
  {
    ArchiveStore archive(**mem);
    for (const auto* list : {&before_, &period_}) {
      for (const auto& f : *list) {
        if (!f.decoded) continue;
        const auto& m = f.message;
        const std::string keyId = common::toHex(m.keyId);
        auto added = archive.appendFrame(
            NewFrame{m.senderId, keyId, m.seq, common::payloadKindName(m.payload),
                     common::modeName(m.mode), m.sentAt, f.receivedAt, f.bodyHash, f.envelope});
        if (!added) problem(f.where + ": " + added.error().message);
      }
    }
  }
  std::vector<std::pair<int64_t, common::Bytes>> envelopes;
  for (const auto* list : {&before_, &period_}) {
    for (const auto& f : *list) envelopes.emplace_back(f.id, f.envelope);
  }
  std::vector<std::string> keyProblems;
  keyring_ = std::make_unique<common::CityKeyring>(
      cityKeyringFromEnvelopes(rootKey_, envelopes, &keyProblems));
  for (const auto& p : keyProblems) problem("city key records: " + p);
  if (!keyring_->keyFor(common::keyIdOf(cityKey_), INT64_MIN)) {
    problem(std::string(kCityKeyFile) + ": the exporting broker's key " +
            common::toHex(common::keyIdOf(cityKey_)) +
            " is neither the city's root nor certified by it");
  }
  auto keys = keysFromArchive(**mem, *keyring_);
  if (!keys) {
    problem("cannot prove keys: " + keys.error().message);
    return;
  }
  for (const auto& p : keys->problems) problem("roster records: " + p);
  for (const auto* list : {&before_, &period_}) {
    for (const auto& f : *list) {
      if (!f.decoded) continue;
      const auto& m = f.message;
      const std::string keyId = common::toHex(m.keyId);
      r_.signaturesChecked++;
      if (m.senderId == common::kCitySenderId) {
        if (auto s = keyring_->verifyBody(m.keyId, f.body, f.signature, f.receivedAt); !s) {
          problem(f.where + ": the city's signature does not verify (" + s.error().message + ")");
        }
        continue;
      }
      auto k = keys->keys.find(keyId);
      if (k == keys->keys.end() || k->second.provider != m.senderId) {
        problem(f.where + " (" + m.senderId + " key " + keyId +
                "): no key proven by the city's roster records signs it");
        continue;
      }
      common::PublicKey pk{};
      std::memcpy(pk.data(), k->second.signPublic.data(), 32);
      if (common::isBatchMemberSignature(f.signature)) {
        // Issue 16: one signature over its batch, exported as sent.
        if (auto bad = batchProblem(f, pk)) {
          problem(f.where + " (" + m.senderId + " seq " + std::to_string(m.seq) + "): " + *bad);
        }
      } else if (!common::verifyBody(pk, f.body, f.signature)) {
        problem(f.where + " (" + m.senderId + " seq " + std::to_string(m.seq) +
                "): the signature does not verify");
      }
    }
  }
}

void Verifier::checkChains() {
  struct Head {
    uint64_t seq = 0;
    common::Bytes hash;
    std::string where;
  };
  std::map<std::string, Head> chains;
  std::set<common::Bytes> bodies;
  for (const auto* list : {&before_, &period_}) {
    for (const auto& f : *list) {
      if (!f.decoded) continue;
      const auto& m = f.message;
      const std::string chain = m.senderId + " key " + common::toHex(m.keyId);
      auto [it, first] = chains.try_emplace(chain);
      Head& h = it->second;
      if (first) {
        // A chain may start inside the export, except at seq 1, which has no predecessor.
        if (m.seq == 1 && !m.prevHash.empty()) {
          problem(f.where + " (" + chain + "): seq 1 names a predecessor");
        }
      } else if (m.seq != h.seq + 1) {
        problem(f.where + " (" + chain + "): seq " + std::to_string(m.seq) + " follows seq " +
                std::to_string(h.seq) + " (" + h.where + "): " +
                (m.seq > h.seq + 1 ? std::to_string(m.seq - h.seq - 1) + " frame(s) missing"
                                   : "repeated or out of order"));
      } else if (m.prevHash != h.hash) {
        problem(f.where + " (" + chain + " seq " + std::to_string(m.seq) +
                "): does not link to the frame before it in its chain");
      }
      h = Head{m.seq, f.bodyHash, f.where};
      if (!bodies.insert(f.bodyHash).second) problem(f.where + ": the same body appears twice");
    }
  }
  r_.chains = static_cast<int64_t>(chains.size());
}

void Verifier::checkCheckpoints() {
  auto text = read(kCheckpointsFile);
  if (!text) {
    problem(std::string(kCheckpointsFile) + ": missing; the period's completeness is unproven");
    return;
  }
  std::vector<common::Checkpoint> cps;
  std::istringstream in(*text);
  std::string line;
  int n = 0;
  common::Bytes prevHash;
  for (; std::getline(in, line);) {
    ++n;
    const std::string where = std::string(kCheckpointsFile) + " line " + std::to_string(n);
    auto j = json::parse(line, nullptr, false);
    common::Bytes header, signature;
    if (!j.is_object() || !j["header"].is_string() || !j["signature"].is_string() ||
        !common::fromHex(j["header"].get<std::string>(), &header) ||
        !common::fromHex(j["signature"].get<std::string>(), &signature)) {
      problem(where + ": not a checkpoint line");
      continue;
    }
    auto cp = common::decodeCheckpoint(header);
    if (!cp) {
      problem(where + ": the header does not decode");
      continue;
    }
    if (keyring_ ? !common::verifyCityCheckpoint(*keyring_, header, signature).ok()
                 : !common::verifyCheckpoint(cityKey_, header, signature)) {
      problem(where + " (checkpoint " + std::to_string(cp->number) +
              "): the city's signature does not verify");
    }
    if (!cps.empty()) {
      if (cp->number != cps.back().number + 1) {
        problem(where + ": checkpoint " + std::to_string(cp->number) + " follows " +
                std::to_string(cps.back().number) + " (checkpoints missing)");
      } else if (cp->prevHash != prevHash) {
        problem(where + ": checkpoint " + std::to_string(cp->number) +
                " is not chained to the one before it");
      }
    }
    prevHash = common::checkpointHash(header);
    cps.push_back(*cp);
  }
  r_.checkpoints = static_cast<int64_t>(cps.size());
  const bool hasBefore = !meta_["checkpoint_before"].is_null();
  const uint64_t framesBefore = meta_.value("frames_before_period", uint64_t{0});
  size_t next = 0;
  common::Bytes digest = common::zeroHash();
  if (hasBefore) {
    if (cps.empty() || cps[0].number != meta_["checkpoint_before"].get<uint64_t>()) {
      problem(std::string(kCheckpointsFile) + ": does not start at checkpoint " +
              meta_["checkpoint_before"].dump() + ", the one the period starts after");
      return;
    }
    if (cps[0].frameCount != framesBefore) {
      problem(std::string(kInquiryFile) + ": frames_before_period is not checkpoint " +
              std::to_string(cps[0].number) + "'s frame count");
    }
    digest = cps[0].digest;
    next = 1;
  } else if (framesBefore != 0 || !before_.empty()) {
    problem(std::string(kInquiryFile) + ": frames before the period but no checkpoint before it");
  }
  uint64_t count = framesBefore;
  std::map<std::pair<std::string, std::string>, common::CheckpointHead> heads;
  size_t segmentStart = 0;
  for (size_t i = 0; i < period_.size(); ++i) {
    const Frame& f = period_[i];
    // A frame that does not decode still counts in the archive's order; its hash is the
    // hash of whatever bytes are there (so a changed one breaks the digest).
    const common::Bytes hash = f.decoded ? f.bodyHash : common::hash256(f.envelope);
    count++;
    common::extendDigest(digest, hash);
    if (f.decoded) {
      auto& h = heads[{f.message.senderId, common::toHex(f.message.keyId)}];
      h.sender = f.message.senderId;
      h.keyId = f.message.keyId;
      h.seq = f.message.seq;
      h.bodyHash = hash;
    }
    while (next < cps.size() && cps[next].frameCount < count) {
      problem(std::string(kCheckpointsFile) + ": checkpoint " + std::to_string(cps[next].number) +
              " covers " + std::to_string(cps[next].frameCount) +
              " frames, but the export passes that count at a different frame: frames were "
              "removed or added before " +
              f.where);
      next++;
    }
    if (next < cps.size() && cps[next].frameCount == count) {
      const auto& cp = cps[next];
      const bool same = digest == cp.digest;
      if (!same) {
        problem(f.where + ": the frames up to here are not the ones checkpoint " +
                std::to_string(cp.number) + " signed (removed, added, changed or reordered)");
        digest = cp.digest;  // report each checkpoint once
      }
      std::vector<common::Bytes> leaves;
      for (const auto& [key, head] : heads) leaves.push_back(common::headLeafHash(head));
      if (leaves.size() != cp.headCount || common::merkleRoot(leaves) != cp.headsRoot) {
        problem(f.where + ": the chain heads checkpoint " + std::to_string(cp.number) +
                " signed are not the export's");
      }
      // Every frame it covers was received before the city signed it.
      for (size_t k = segmentStart; same && k <= i; ++k) {
        if (period_[k].receivedAt > cp.signedAt) {
          problem(period_[k].where + ": received after checkpoint " + std::to_string(cp.number) +
                  " that covers it was signed (its received time was changed)");
        }
      }
      segmentStart = i + 1;
      heads.clear();
      next++;
    }
  }
  if (next < cps.size()) {
    problem(std::string(kCheckpointsFile) + ": checkpoint " + std::to_string(cps[next].number) +
            " covers " + std::to_string(cps[next].frameCount) +
            " frames, but the export holds only " + std::to_string(count) +
            ": frames were removed");
  }
  if (!meta_["checkpoint_after"].is_null()) {
    if (cps.empty() || cps.back().number != meta_["checkpoint_after"].get<uint64_t>()) {
      problem(std::string(kCheckpointsFile) + ": does not reach checkpoint " +
              meta_["checkpoint_after"].dump() + ", the one that covers the period's end");
    }
  } else {
    r_.notes.push_back(std::to_string(meta_.value("uncovered_frames", 0)) +
                       " frame(s) at the period's end were not yet covered by a checkpoint when "
                       "exported: their completeness is not proven");
  }
}

void Verifier::checkPictures() {
  auto replay = ArchiveReplay::create();
  if (!replay) {
    problem("cannot rebuild the pictures: " + replay.error().message);
    return;
  }
  ArchiveReplay& r = **replay;
  for (const auto& f : before_) {
    if (auto s = r.apply(ReplayFrame{f.id, f.receivedAt, f.envelope}); !s) {
      problem("cannot rebuild the pictures: " + s.error().message);
      return;
    }
  }
  r.setFrames(meta_.value("frames_before_period", int64_t{0}));
  LivenessRules liveness;
  liveness.staleAfterMs = meta_["liveness"].value("stale_after_ms", liveness.staleAfterMs);
  liveness.offlineAfterMs = meta_["liveness"].value("offline_after_ms", liveness.offlineAfterMs);
  const auto configHolidays = holidaysOf(meta_["holidays_config"], &r_.problems);
  const auto imported = holidaysOf(meta_["holidays_imported"], &r_.problems);
  const BoardViewRules rules{liveness, meta_.value("report_old_after_ms", int64_t{26 * 3600000}),
                             configHolidays};
  std::map<std::string, std::string> providerNames;
  std::vector<UnitRosterRow> units;
  {
    auto text = read(kLabelsFile);
    auto labels = text ? json::parse(*text, nullptr, false) : json();
    if (!labels.is_object()) {
      problem(std::string(kLabelsFile) +
              ": missing or not JSON; names in the pictures will differ");
    } else {
      const json providers = labels.value("providers", json::object());
      for (const auto& [id, name] : providers.items()) {
        if (name.is_string()) providerNames[id] = name;
      }
      const json unitList = labels.value("units", json::array());
      for (const auto& u : unitList) {
        if (!u.is_object()) continue;
        UnitRosterRow row;
        row.code = u.value("code", "");
        row.providerId = u.value("provider", "");
        row.name = u.value("name", "");
        row.district = u.value("district", "");
        row.schoolForms = u.value("school_forms", "");
        units.push_back(std::move(row));
      }
    }
  }
  if (!imported.empty()) {
    if (auto s = CalendarStore(r.store()).replacePeriod(imported, "inquiry.json", 0); !s) {
      problem("cannot rebuild the pictures: " + s.error().message);
    }
  }
  size_t next = 0;
  for (const auto& p : meta_["pictures"]) {
    const std::string at = p.value("at", "");
    const std::string jsonFile = p.value("json", ""), csvFile = p.value("csv", "");
    auto parsed = parseMoment(at, "picture time");
    if (!parsed) {
      problem(std::string(kInquiryFile) + ": " + parsed.error().message);
      continue;
    }
    const int64_t m = *parsed;
    common::Status applied;
    while (next < period_.size() && period_[next].receivedAt <= m) {
      const Frame& f = period_[next++];
      applied = r.apply(ReplayFrame{f.id, f.receivedAt, f.envelope});
      if (!applied) break;
    }
    if (!applied) {
      problem("cannot rebuild the pictures: " + applied.error().message);
      return;
    }
    if (auto s = r.seal(); !s) {
      problem("cannot rebuild the pictures: " + s.error().message);
      return;
    }
    if (auto s = ReplayStore(r.store()).setLabels(providerNames, units); !s) {
      problem("cannot rebuild the pictures: " + s.error().message);
      return;
    }
    PictureMoment pm{m, r.frames(), r.lastFrameId(), nullptr};
    auto picture = currentPicture(r.store(), liveness, m, configHolidays, &pm);
    auto csv = BoardView(r.store(), rules, m, {}, &pm).csv();
    if (!picture || !csv) {
      problem("cannot rebuild the picture at " + at);
      continue;
    }
    r_.pictures++;
    auto stored = read(jsonFile);
    if (!stored) {
      problem(jsonFile + ": missing (the picture at " + at + ")");
    } else if (*stored != picture->dump(2) + "\n") {
      auto theirs = json::parse(*stored, nullptr, false);
      std::string where;
      if (!theirs.is_discarded()) {
        auto patch = json::diff(*picture, theirs);
        if (!patch.empty()) where = " first at " + patch[0].value("path", std::string("/"));
      }
      problem(jsonFile + ": is not the picture the frames give at " + at + where);
    }
    auto storedCsv = read(csvFile);
    if (!storedCsv) {
      problem(csvFile + ": missing (the picture at " + at + ")");
    } else if (*storedCsv != *csv) {
      std::istringstream a(*storedCsv), b(*csv);
      std::string la, lb;
      int line = 0;
      while (true) {
        ++line;
        const bool ga = static_cast<bool>(std::getline(a, la));
        const bool gb = static_cast<bool>(std::getline(b, lb));
        if (!ga || !gb || la != lb) break;
      }
      problem(csvFile + ": is not the picture the frames give at " + at + " (first at line " +
              std::to_string(line) + ")");
    }
  }
}

void Verifier::run() {
  if (!checkManifest()) return;
  if (!loadMeta()) return;
  loadFrames();
  checkSignatures();
  checkChains();
  checkCheckpoints();
  checkPictures();
}

}  // namespace

VerifyReport verifyInquiry(const std::string& dir, const std::string& cityKeysPath) {
  VerifyReport r;
  try {
    Verifier(dir, cityKeysPath, r).run();
  } catch (const std::exception& e) {
    r.problems.push_back(std::string("verification stopped: ") + e.what());
  }
  return r;
}

}  // namespace samband::broker::inquiry
