// See inquiry_export.h. The pictures are rendered by one replay walked forward through the
// moments (each equal to `status --as-of` at that moment); the frames before the period are
// chosen from the replay at the checkpoint the period starts after.
#include "broker/inquiry/inquiry_export.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "broker/city/key_records.h"
#include "broker/inquiry/frame_json.h"
#include "broker/inquiry/inquiry_readme.h"
#include "broker/inquiry/manifest.h"
#include "broker/picture/as_of.h"
#include "broker/picture/board_view.h"
#include "broker/picture/moment.h"
#include "broker/picture/view.h"
#include "broker/store/calendar_store.h"
#include "broker/store/checkpoint_store.h"
#include "broker/store/city_store.h"
#include "broker/store/inquiry_store.h"
#include "broker/store/replay_store.h"
#include "broker/store/roster_store.h"
#include "broker/store/snapshot_store.h"
#include "common/checkpoint.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/config.h"
#include "common/ids.h"

namespace samband::broker::inquiry {

using nlohmann::json;

namespace {

std::string localStamp(int64_t ms, const char* format) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// The moments pictured: the start, every full local hour strictly between, the end.
std::vector<int64_t> pictureMoments(int64_t from, int64_t to) {
  std::vector<int64_t> out{from};
  const int64_t quarter = 15 * 60 * 1000;
  for (int64_t m = (from / quarter + 1) * quarter; m < to; m += quarter) {
    std::time_t t = static_cast<std::time_t>(m / 1000);
    std::tm tm{};
    localtime_r(&t, &tm);
    if (tm.tm_min == 0 && tm.tm_sec == 0) out.push_back(m);
  }
  out.push_back(to);
  return out;
}

// Batch frames (issue 16) go into each frame file once, on the first line of that file that
// names the batch; the other reports of the batch in the file carry only batch_id and index.
class BatchLines {
 public:
  explicit BatchLines(InquiryStore& reads) : reads_(reads) {}
  void newFile() { written_.clear(); }
  void add(const ExportFrame& f, json& line) {
    if (f.batchId == 0) return;
    line["batch_id"] = f.batchId;
    line["batch_index"] = f.batchIndex;
    if (!written_.insert(f.batchId).second) return;
    auto frame = reads_.batchFrame(f.batchId);
    line["batch"] = frame ? json(base64(*frame)) : json(nullptr);
  }

 private:
  InquiryStore& reads_;
  std::set<int64_t> written_;
};

json frameLine(const ExportFrame& f) {
  json line{{"id", f.id},
            {"sender", f.sender},
            {"key_id", f.keyId},
            {"seq", f.seq},
            {"kind", f.kind},
            {"mode", f.mode},
            {"sent_at", f.sentAt},
            {"received_at", f.receivedAt},
            {"body_hash", common::toHex(f.bodyHash)},
            {"envelope", base64(f.envelope)},
            {"body", nullptr}};
  auto parts = common::decodeEnvelope(f.envelope);
  if (parts) {
    auto body = common::decodeBody(parts->body);
    if (body) line["body"] = bodyJson(*body);
  }
  return line;
}

json holidaysJson(const std::vector<common::HolidayRange>& ranges) {
  json out = json::array();
  for (const auto& h : ranges) {
    out.push_back({common::formatCivilDate(h.from), common::formatCivilDate(h.to), h.name});
  }
  return out;
}

class Writer {
 public:
  explicit Writer(std::string dir) : dir_(std::move(dir)) {}
  common::Status put(const std::string& rel, const std::string& text) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(dir_ + "/" + rel).parent_path(), ec);
    if (ec) return common::unavailable("cannot create a folder in " + dir_ + ": " + ec.message());
    std::ofstream out(dir_ + "/" + rel, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return common::unavailable("cannot write " + dir_ + "/" + rel);
    files_++;
    return {};
  }
  int64_t files() const { return files_; }

 private:
  std::string dir_;
  int64_t files_ = 0;
};

}  // namespace

common::Result<ExportSummary> exportInquiry(Store& archive, const common::Identity& city,
                                            const ExportOptions& options, int64_t nowMs) {
  ExportOptions o = options;
  {
    // A period that starts before the archive starts with the archive.
    auto first = SnapshotStore(archive).firstFrame();
    if (!first) return first.error();
    if (!*first) return common::invalidInput("the archive is empty: there is nothing to export");
    o.fromMs = std::max(o.fromMs, (*first)->second);
  }
  if (o.toMs <= o.fromMs) {
    return common::invalidInput("--to must be after --from (and after the archive's start, " +
                                formatLocalMoment(o.fromMs) + ")");
  }
  if (o.toMs > nowMs) {
    return common::invalidInput("--to " + formatLocalMoment(o.toMs) +
                                " is in the future; end the period at or before now");
  }
  {
    std::error_code ec;
    if (std::filesystem::exists(o.outDir, ec) && !std::filesystem::is_empty(o.outDir, ec)) {
      return common::invalidInput("--out " + o.outDir +
                                  " exists and is not empty; name a new folder");
    }
    std::filesystem::create_directories(o.outDir, ec);
    if (ec) return common::invalidInput("cannot create --out " + o.outDir + ": " + ec.message());
  }
  ExportSummary summary;
  summary.fromMs = o.fromMs;
  Writer w(o.outDir);
  const BoardViewRules viewRules{o.rules.liveness, o.rules.reportOldAfterMs, o.rules.holidays};

  // 1. The pictures, walking one replay forward through the moments.
  auto start = pictureAsOf(archive, o.fromMs, nowMs);
  if (!start) return start.error();
  ArchiveReplay& r = (*start)->replay();
  const int64_t cutFrom = r.lastFrameId();
  json pictures = json::array();
  for (int64_t m : pictureMoments(o.fromMs, o.toMs)) {
    common::Status applied;
    auto walked =
        SnapshotStore(archive).forEachFrameAfter(r.lastFrameId(), [&](const ReplayFrame& f) {
          if (f.receivedAt > m) return false;
          applied = r.apply(f);
          return applied.ok();
        });
    if (!walked) return walked.error();
    if (!applied) return applied.error();
    if (auto s = r.seal(); !s) return s.error();
    if (auto s = labelReplay(archive, r, nowMs); !s) return s.error();
    PictureMoment pm{m, r.frames(), r.lastFrameId(), &archive};
    auto picture = currentPicture(r.store(), o.rules.liveness, m, o.rules.holidays, &pm);
    if (!picture) return picture.error();
    auto csv = BoardView(r.store(), viewRules, m, {}, &pm).csv();
    if (!csv) return csv.error();
    // Named by the local second; a moment in the same second as the one before it (an export
    // of a period shorter than a second) gets its milliseconds too, or it would overwrite it.
    std::string name = "pictures/" + localStamp(m, "%Y-%m-%dT%H%M%S%z");
    if (!pictures.empty() && pictures.back()["json"] == name + ".json") {
      char ms[8];
      std::snprintf(ms, sizeof ms, ".%03d", static_cast<int>(m % 1000));
      name = "pictures/" + localStamp(m, "%Y-%m-%dT%H%M%S") + ms + localStamp(m, "%z");
    }
    if (auto s = w.put(name + ".json", picture->dump(2) + "\n"); !s) return s.error();
    if (auto s = w.put(name + ".csv", *csv); !s) return s.error();
    pictures.push_back({{"at", common::formatRfc3339(m)},
                        {"at_local", formatLocalMoment(m)},
                        {"json", name + ".json"},
                        {"csv", name + ".csv"},
                        {"frames", r.frames()}});
    summary.pictures++;
  }
  const int64_t cutTo = r.lastFrameId();

  // 2. Where the period starts and ends: at checkpoints, so its completeness can be proven.
  InquiryStore reads(archive);
  auto before = reads.checkpointAtOrBefore(cutFrom);
  if (!before) return before.error();
  auto after = reads.checkpointCovering(cutTo);
  if (!after) return after.error();
  auto newest = CheckpointStore(archive).latest();
  if (!newest) return newest.error();
  const int64_t firstId = *before ? (*before)->lastFrameId : 0;
  int64_t framesBefore = 0;
  if (*before) {
    auto cp = common::decodeCheckpoint((*before)->header);
    if (!cp)
      return common::unavailable("checkpoint " + std::to_string((*before)->number) +
                                 " does not decode; run 'samband-broker audit'");
    framesBefore = static_cast<int64_t>(cp->frameCount);
  }
  const int64_t lastId = *after ? (*after)->lastFrameId : cutTo;

  // 3. The frames before the period the start rests on, each chain from its oldest one.
  std::vector<ExportFrame> anchors;
  if (firstId > 0) {
    auto replay0 = replayUpToFrame(archive, firstId);
    if (!replay0) return replay0.error();
    ReplayStore rs((*replay0)->store());
    auto ids = rs.stateFrameIds();
    if (!ids) return ids.error();
    for (const auto& [key, head] : (*replay0)->heads()) ids->push_back(head.frameId);
    auto stateFrames = reads.framesWithIds(*ids);
    if (!stateFrames) return stateFrames.error();
    std::map<std::pair<std::string, std::string>, int64_t> fromSeq;
    auto need = [&](const std::string& sender, const std::string& key, int64_t seq) {
      auto [it, fresh] = fromSeq.emplace(std::make_pair(sender, key), seq);
      if (!fresh) it->second = std::min(it->second, seq);
    };
    for (const auto& f : *stateFrames) need(f.sender, f.keyId, f.seq);
    for (const auto& [key, head] : (*replay0)->heads()) {
      if (head.sender == "city") need(head.sender, head.keyId, 1);
    }
    // Acknowledgements of directives (and answers to checks) still open at the start.
    auto open = rs.openCityFrameIds(o.fromMs);
    if (!open) return open.error();
    if (!open->empty()) {
      const int64_t oldest = *std::min_element(open->begin(), open->end());
      for (const auto& [key, head] : (*replay0)->heads()) {
        auto seq = reads.firstSeqAfter(head.sender, head.keyId, oldest, firstId);
        if (!seq) return seq.error();
        if (*seq) need(head.sender, head.keyId, **seq);
      }
    }
    // Key rotations: a rotated key keeps its provider a recipient of the city's messages.
    auto rotating = rs.providersWithRotations();
    if (!rotating) return rotating.error();
    for (const auto& provider : *rotating) {
      auto rotations = reads.rotationsOf(provider, firstId);
      if (!rotations) return rotations.error();
      for (const auto& f : *rotations) need(f.sender, f.keyId, f.seq);
    }
    for (const auto& [chain, seq] : fromSeq) {
      auto frames = reads.chainFrom(chain.first, chain.second, seq, firstId);
      if (!frames) return frames.error();
      anchors.insert(anchors.end(), frames->begin(), frames->end());
    }
    std::sort(anchors.begin(), anchors.end(),
              [](const ExportFrame& a, const ExportFrame& b) { return a.id < b.id; });
  }
  {
    std::string text;
    BatchLines batches(reads);
    for (const auto& f : anchors) {
      json line = frameLine(f);
      batches.add(f, line);
      text += line.dump() + "\n";
    }
    if (auto s = w.put(kBeforeFile, text); !s) return s.error();
    summary.framesBefore = static_cast<int64_t>(anchors.size());
  }

  // 4. The period's frames, one file per local hour of receipt.
  json frameFiles = json::array({kBeforeFile});
  {
    std::string current, text;
    common::Status failed;
    BatchLines batches(reads);
    auto flush = [&] {
      if (current.empty()) return;
      if (auto s = w.put(current, text); !s) failed = s;
      frameFiles.push_back(current);
      text.clear();
    };
    auto walked = reads.framesBetween(firstId, lastId, [&](const ExportFrame& f) {
      const std::string file = "frames/" + localStamp(f.receivedAt, "%Y-%m-%dT%H%z") + ".jsonl";
      if (file != current) {
        flush();
        current = file;
        batches.newFile();
      }
      json line = frameLine(f);
      batches.add(f, line);
      text += line.dump() + "\n";
      summary.framesInPeriod++;
    });
    flush();
    if (!walked) return walked.error();
    if (!failed) return failed.error();
  }
  summary.uncoveredFrames = *after ? 0 : cutTo - (*newest ? (*newest)->lastFrameId : 0);

  // 5. The city's checkpoints from the one the period starts after to the one that covers it.
  {
    const uint64_t from = *before ? (*before)->number : 1;
    const uint64_t to = *after ? (*after)->number : (*newest ? (*newest)->number : 0);
    auto cps = reads.checkpoints(from, to);
    if (!cps) return cps.error();
    std::string text;
    for (const auto& c : *cps) {
      auto cp = common::decodeCheckpoint(c.header);
      json line{{"number", c.number},
                {"header", common::toHex(c.header)},
                {"signature", common::toHex(c.signature)}};
      if (cp) {
        line["frame_count"] = cp->frameCount;
        line["signed_at"] = cp->signedAt;
        line["head_count"] = cp->headCount;
      }
      text += line.dump() + "\n";
    }
    summary.checkpoints = static_cast<int64_t>(cps->size());
    if (auto s = w.put(kCheckpointsFile, text); !s) return s.error();
  }

  // 6. Labels (today's roster, not signed), the city's key, the description, README, script.
  auto names = CityStore(archive).providerNames();
  if (!names) return names.error();
  auto units = RosterStore(archive).exportUnits();
  if (!units) return units.error();
  json unitLabels = json::array();
  for (const auto& u : *units) {
    unitLabels.push_back({{"code", u.code},
                          {"provider", u.providerId},
                          {"name", u.name},
                          {"district", u.district},
                          {"school_forms", u.schoolForms}});
  }
  if (auto s =
          w.put(kLabelsFile, json{{"providers", *names}, {"units", unitLabels}}.dump(2) + "\n");
      !s) {
    return s.error();
  }
  auto imported = CalendarStore(archive).holidays();
  if (!imported) return imported.error();
  {
    const std::string path = o.outDir + "/" + kCityKeyFile;
    if (auto s = city.publicPart().save(path); !s) return s.error();
  }
  int keyFiles = 1;  // city.pub
  // The city's root (issue 15): what certifies the broker keys whose records the frames hold.
  if (auto root = archive.meta(kMetaCityRootSignPublic); root.ok() && *root) {
    common::PublicIdentity pub{common::kCitySenderId, {}, {}};
    if (common::fromHex(**root, pub.signPublic.data(), pub.signPublic.size())) {
      if (auto s = pub.save(o.outDir + "/" + kRootKeyFile); !s) return s.error();
      ++keyFiles;
    }
  }
  json meta{{"format", kInquiryFormat},
            {"what", "Samband inquiry export"},
            {"from", common::formatRfc3339(o.fromMs)},
            {"to", common::formatRfc3339(o.toMs)},
            {"from_local", formatLocalMoment(o.fromMs)},
            {"to_local", formatLocalMoment(o.toMs)},
            {"exported_at", common::formatRfc3339(nowMs)},
            {"time_zone", o.rules.timeZone},
            {"city_key_id", common::toHex(city.keyId())},
            {"liveness",
             {{"stale_after_ms", o.rules.liveness.staleAfterMs},
              {"offline_after_ms", o.rules.liveness.offlineAfterMs}}},
            {"report_old_after_ms", o.rules.reportOldAfterMs},
            {"holidays_config", holidaysJson(o.rules.holidays)},
            {"holidays_imported", holidaysJson(*imported)},
            {"frames_before_period", framesBefore},
            {"period_after_frame_id", firstId},
            {"period_last_frame_id", lastId},
            {"checkpoint_before", *before ? json((*before)->number) : json(nullptr)},
            {"checkpoint_after", *after ? json((*after)->number) : json(nullptr)},
            {"uncovered_frames", summary.uncoveredFrames},
            {"frame_files", frameFiles},
            {"pictures", pictures}};
  if (auto s = w.put(kInquiryFile, meta.dump(2) + "\n"); !s) return s.error();
  if (auto s = w.put(kReadmeFile, readmeText(meta, summary.framesInPeriod, summary.framesBefore));
      !s) {
    return s.error();
  }
  if (auto s = w.put(kScriptFile, verifyScript()); !s) return s.error();
  auto manifest = makeManifest(o.outDir);
  if (!manifest) return manifest.error();
  if (auto s = w.put(kManifestFile, *manifest); !s) return s.error();
  if (auto s = w.put(kManifestSignatureFile, signManifest(city, *manifest) + "\n"); !s) {
    return s.error();
  }
  summary.files = w.files() + keyFiles;
  return summary;
}

}  // namespace samband::broker::inquiry
