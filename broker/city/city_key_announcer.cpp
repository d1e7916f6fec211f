// See city_key_announcer.h.
#include "broker/city/city_key_announcer.h"

#include <atomic>

#include "broker/store/city_key_store.h"
#include "common/log.h"

namespace samband::broker {

namespace {
// Connections come and go; the map of what each was given is dropped (and everything given again,
// harmlessly) rather than allowed to grow without bound.
constexpr size_t kMaxRoutes = 100'000;
// Bumped by every committer of the process that archives a key record.
std::atomic<uint64_t> archivedGeneration{0};
}  // namespace

void CityKeyAnnouncer::recordArchived() {
  archivedGeneration.fetch_add(1, std::memory_order_release);
}

void CityKeyAnnouncer::refresh(Store& store, int64_t nowMs) {
  const uint64_t generation = archivedGeneration.load(std::memory_order_acquire);
  if (refreshedAt_ != INT64_MIN && nowMs - refreshedAt_ < kRefreshMs && generation == generation_) {
    return;
  }
  refreshedAt_ = nowMs;
  generation_ = generation;
  auto records = archivedCityKeys(store);
  if (!records) {
    common::logWarn("city", "cannot read the city key records: " + records.error().message);
    return;
  }
  // Records are only ever appended to the archive, so the list only grows.
  if (records->size() <= records_.size()) return;
  records_.clear();
  for (auto& r : *records) records_.push_back(std::move(r.envelope));
}

std::vector<common::Bytes> CityKeyAnnouncer::dueFor(Store& store, const std::string& routingId,
                                                    int64_t nowMs) {
  refresh(store, nowMs);
  if (records_.empty()) return {};
  if (sent_.size() > kMaxRoutes) sent_.clear();
  size_t& given = sent_[routingId];
  std::vector<common::Bytes> out(records_.begin() + static_cast<std::ptrdiff_t>(given),
                                 records_.end());
  given = records_.size();
  return out;
}

}  // namespace samband::broker
