// See picture_replay.h.
#include "broker/audit/picture_replay.h"

#include "broker/store/audit_store.h"
#include "common/vocabulary.h"

namespace samband::broker {

PictureReplay::PictureReplay(std::unique_ptr<Store> store)
    : store_(std::move(store)), archive_(std::make_unique<ArchiveStore>(*store_)) {}

common::Result<std::unique_ptr<PictureReplay>> PictureReplay::create() {
  auto store = Store::open(":memory:", Store::Access::readWrite);
  if (!store) return store.error();
  // The whole replay is one transaction of the private database, never committed: each apply()
  // on its own would be a transaction with its own journal, for every frame.
  if (auto begun = (*store)->beginScratchTransaction(); !begun) {
    return common::unavailable("cannot start the picture replay: " + begun.error().message);
  }
  return std::unique_ptr<PictureReplay>(new PictureReplay(std::move(store).value()));
}

common::Status PictureReplay::apply(const common::Message& m, int64_t frameId, int64_t receivedAt) {
  // The picture part of PictureProjection::apply, argument for argument.
  const char* mode = common::modeName(m.mode);
  if (auto* s = std::get_if<common::UnitStatusMsg>(&m.payload)) {
    return archive_->upsertUnitStatus(mode, m.senderId, frameId, m.sentAt, receivedAt, *s);
  }
  if (auto* c = std::get_if<common::CapacityMsg>(&m.payload)) {
    return archive_->replaceCapacity(mode, frameId, m.sentAt, *c);
  }
  if (auto* co = std::get_if<common::ContinuityMsg>(&m.payload)) {
    return archive_->upsertContinuity(mode, m.senderId, frameId, m.sentAt, *co);
  }
  return {};
}

common::Result<std::vector<std::string>> PictureReplay::differences(Store& stored, size_t limit,
                                                                    int64_t& count) {
  auto have = AuditStore(stored).pictureTables();
  if (!have) return have.error();
  auto want = AuditStore(*store_).pictureTables();
  if (!want) return want.error();
  std::vector<std::string> out;
  count = 0;
  auto note = [&](const std::string& s) {
    count++;
    if (out.size() < limit) out.push_back(s);
  };
  for (const auto& table : pictureTableNames()) {
    const TableRows& h = have->tables[table];
    const TableRows& w = want->tables[table];
    for (const auto& [key, row] : h) {
      auto it = w.find(key);
      if (it == w.end()) {
        note(table + " " + key + ": stored, but no archived frame says so");
        continue;
      }
      std::string cols;
      for (size_t i = 0; i < row.size() && i < it->second.size(); ++i) {
        if (row[i] != it->second[i]) {
          cols += (cols.empty() ? "" : ", ") + row[i].first + " stored '" + row[i].second +
                  "', archive says '" + it->second[i].second + "'";
        }
      }
      if (!cols.empty()) note(table + " " + key + ": " + cols);
    }
    for (const auto& [key, row] : w) {
      if (h.count(key) == 0) note(table + " " + key + ": in the archive, missing from the picture");
    }
  }
  return out;
}

}  // namespace samband::broker
