// See offline_import.h. Each envelope becomes an InboundFrame on the `file` channel with a routing
// id of its own, so the committer's reply to it (ack, duplicate ack or reject) says what became
// of it, exactly as an agent would have been told.
#include "broker/ingest/offline_import.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "broker/ingest/committer.h"
#include "broker/ingest/ingress.h"
#include "broker/metrics/metrics.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/config.h"
#include "common/vocabulary.h"

namespace samband::broker {

namespace {

// Frames per SQLite transaction; the same order of size as the server's batches.
constexpr size_t kImportBatch = 256;

// Each envelope gets its own reply route: the committer merges consecutive acks to one route
// into one (cumulative) ack, and the summary counts every envelope's own answer.
std::string routeOf(size_t index) { return "offline-file/" + std::to_string(index); }

}  // namespace

size_t ImportSummary::refusedTotal() const {
  size_t n = 0;
  for (const auto& [reason, count] : refused) n += count;
  return n;
}

std::string ImportSummary::toJson() const {
  nlohmann::json j;
  j["file"] = file;
  j["provider"] = header.provider;
  j["key_id"] = header.keyIdHex;
  j["exported_at"] = header.exportedAtMs > 0
                         ? nlohmann::json(common::formatRfc3339(header.exportedAtMs))
                         : nlohmann::json(nullptr);
  j["envelopes"] = envelopes;
  j["accepted"] = accepted;
  j["duplicates"] = duplicates;
  j["refused"] = nlohmann::json::object();
  for (const auto& [reason, count] : refused) j["refused"][reason] = count;
  j["refused_total"] = refusedTotal();
  j["ok"] = refusedTotal() == 0;
  return j.dump(2) + "\n";
}

std::string ImportSummary::toText() const {
  std::ostringstream out;
  out << "Offline file " << file << " from provider " << header.provider << " (key "
      << header.keyIdHex;
  if (header.exportedAtMs > 0) out << ", exported " << common::formatRfc3339(header.exportedAtMs);
  out << "): " << envelopes << " envelope(s)\n"
      << "  accepted " << accepted << ", duplicates " << duplicates << ", refused "
      << refusedTotal();
  if (!refused.empty()) {
    out << " (";
    bool first = true;
    for (const auto& [reason, count] : refused) {
      out << (first ? "" : ", ") << reason << " " << count;
      first = false;
    }
    out << ")";
  }
  out << "\n";
  return out.str();
}

OfflineImport::OfflineImport(Store& store, RosterCache& roster, const common::Clock& clock,
                             const common::Identity* city)
    : store_(store), roster_(roster), clock_(clock), city_(city) {}

common::Result<ImportSummary> OfflineImport::importFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return common::invalidInput("cannot read the offline file " + path + ": " +
                                std::strerror(errno) +
                                "; check the path of the file samband-agent export wrote");
  }
  if (!S_ISREG(st.st_mode)) {
    return common::invalidInput(path +
                                " is not a regular file; give the file samband-agent "
                                "export wrote");
  }
  if (static_cast<uint64_t>(st.st_size) > common::kMaxOfflineFileBytes) {
    return common::invalidInput("the offline file " + path + " has " + std::to_string(st.st_size) +
                                " bytes, more than the limit of " +
                                std::to_string(common::kMaxOfflineFileBytes) +
                                "; it is not a file samband-agent export wrote");
  }
  auto bytes = common::readFile(path, common::kMaxOfflineFileBytes);
  if (!bytes) {
    return common::invalidInput(bytes.error().message +
                                "; check the file's permissions, or copy it again");
  }
  auto file = common::decodeOfflineFile(*bytes);
  if (!file) return common::invalidInput(path + ": " + file.error().message);

  ImportSummary summary;
  summary.file = path;
  summary.header = file->header;
  summary.envelopes = file->envelopes.size();

  Metrics metrics;  // the committer counts into it; this process reports through the summary
  Committer committer(store_, clock_, metrics, CommitterCity{city_});
  Ingress ingress(roster_, clock_);
  std::vector<WorkItem> batch;
  size_t batchStart = 0;

  auto commit = [&]() -> common::Status {
    if (batch.empty()) return {};
    const size_t count = batch.size();
    std::vector<Reply> replies = committer.apply(batch);
    batch.clear();
    if (replies.empty()) {
      return common::unavailable(
          "the database did not store envelopes " + std::to_string(batchStart + 1) + " to " +
          std::to_string(batchStart + count) + " of " + path +
          " (see the error above); the ones before are stored. Run the same import again once "
          "the database is writable: what is stored already counts as duplicate");
    }
    for (const Reply& reply : replies) {
      auto downlink = common::decodeDownlink(reply.downlink.data(), reply.downlink.size());
      if (!downlink) continue;
      if (auto* ack = std::get_if<common::AckMsg>(&*downlink)) {
        (ack->duplicate ? summary.duplicates : summary.accepted)++;
      } else if (auto* reject = std::get_if<common::RejectMsg>(&*downlink)) {
        summary.refused[common::rejectReasonName(reject->reason)]++;
      }
    }
    return {};
  };

  const int64_t receivedAt = clock_.nowMs();
  for (size_t i = 0; i < file->envelopes.size(); ++i) {
    if (batch.empty()) batchStart = i;
    InboundFrame frame;
    frame.routingId = routeOf(i);
    frame.data = std::move(file->envelopes[i]);
    frame.receivedAt = receivedAt;
    frame.channel = Channel::file;
    Admission admission = ingress.admit(std::move(frame));
    const auto* verified = std::get_if<VerifiedFrame>(&admission);
    // A key rotation enrolls a new key when it is committed; frames signed by that key later in
    // the file must be checked against a roster that already holds it.
    const bool rotation = verified != nullptr && std::holds_alternative<common::KeyRotationMsg>(
                                                     verified->message().payload);
    batch.push_back(WorkItem{routeOf(i), std::move(admission)});
    if (rotation || batch.size() >= kImportBatch) {
      if (common::Status s = commit(); !s) return s.error();
      if (rotation) roster_.refreshIfOlder(0);
    }
  }
  if (common::Status s = commit(); !s) return s.error();
  return summary;
}

}  // namespace samband::broker
