// UnitTextCache: every unit's JSON text (UnitFragment) kept between renders of GET /api/units, so
// a render afresh reads each unit's key (roster fields and the frame of its status) and rebuilds
// only the units whose key changed since the last render, instead of reading and writing all
// 10,000 units each time. Never stale: every render checks every unit against the database it
// reads. Owned by the board; used through BoardView::useUnitTexts (board_view_units.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/picture/unit_json_text.h"
#include "broker/store/picture_store.h"
#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

class UnitTextCache {
 public:
  // One unit: its text, what the text was made from, and what filters and counts read.
  struct Entry {
    std::string code;
    UnitFragment fragment;
    // The key: the text is right while these are unchanged.
    int64_t frameId = 0;  // 0: not reported
    std::string providerId, providerName, schoolForms, extraForms;
    std::optional<std::string> name, district;
    // Resolved as the picture shows them ("unknown" and "" when not reported).
    std::string operational, note;
    int64_t pupilsEnrolled = -1, pupilsPresent = -1, receivedAt = 0;
    std::vector<std::string> forms;  // unitForms()
  };
  using EntryPtr = std::shared_ptr<const Entry>;
  // Provider names by id (a unit whose provider is missing gets an empty name).
  using ProviderNames = std::map<std::string, std::string, std::less<>>;
  // Forms of capacity reports by unit code, as unitForms() takes them.
  using ExtraForms = std::map<std::string, std::set<std::string>>;

  UnitTextCache() = default;
  UnitTextCache(const UnitTextCache&) = delete;
  UnitTextCache& operator=(const UnitTextCache&) = delete;

  // Every roster unit in code order, each entry matching what `store` reads now: call inside a
  // read transaction (ReadTransaction) that also read `providers` and `extraForms`, so the
  // keys and the rows re-read for changed units are of one state. Thread-safe (one caller at a
  // time updates the cache). Errors: the database's (unavailable).
  common::Result<std::vector<EntryPtr>> current(Store& store, const ProviderNames& providers,
                                                const ExtraForms& extraForms);

  struct Stats {
    uint64_t reused = 0;   // units whose kept text was still right
    uint64_t rebuilt = 0;  // units read and written again
    size_t units = 0;      // held now
  };
  Stats stats() const;

 private:
  mutable std::mutex mutex_;
  std::vector<EntryPtr> entries_;  // every unit of the last render, in code order
  ProviderNames lastProviders_;    // what entries_ were checked against
  ExtraForms lastExtraForms_;
  uint64_t reused_ = 0;
  uint64_t rebuilt_ = 0;
};

}  // namespace samband::broker
