// See city_key_announcer.h.
#include "broker/city/city_key_announcer.h"

#include "broker/store/city_key_store.h"
#include "common/log.h"

namespace samband::broker {

namespace {
// Connections come and go; the map of what each was given is dropped (and everything given again,
// harmlessly) rather than allowed to grow without bound.
constexpr size_t kMaxRoutes = 100'000;
}  // namespace

void CityKeyAnnouncer::refresh(Store& store, int64_t nowMs) {
  if (refreshedAt_ != INT64_MIN && nowMs - refreshedAt_ < kRefreshMs) return;
  refreshedAt_ = nowMs;
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
