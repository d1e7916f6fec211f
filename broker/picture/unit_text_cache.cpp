// See unit_text_cache.h.
#include "broker/picture/unit_text_cache.h"

#include <string_view>
#include <utility>

namespace samband::broker {

namespace {

bool sameOptional(const std::optional<std::string>& kept,
                  const std::optional<std::string_view>& now) {
  if (kept.has_value() != now.has_value()) return false;
  return !kept.has_value() || std::string_view(*kept) == *now;
}

std::string joined(const std::set<std::string>& forms) {
  std::string out;
  for (const auto& f : forms) {
    out += f;
    out += '\n';
  }
  return out;
}

UnitTextCache::EntryPtr makeEntry(const UnitPictureRow& u,
                                  const UnitTextCache::ProviderNames& providers,
                                  const UnitTextCache::ExtraForms& extraForms,
                                  std::set<std::string>& formSet) {
  static const std::string kNoName;
  auto entry = std::make_shared<UnitTextCache::Entry>();
  entry->code = u.code;
  entry->providerId = u.providerId;
  auto p = providers.find(u.providerId);
  entry->providerName = p == providers.end() ? kNoName : p->second;
  entry->schoolForms = u.schoolForms;
  entry->name = u.name;
  entry->district = u.district;
  auto extra = extraForms.find(u.code);
  if (extra != extraForms.end()) entry->extraForms = joined(extra->second);
  entry->frameId = u.status ? u.status->frameId : 0;
  entry->operational = u.status ? u.status->operational : "unknown";
  entry->note = u.status ? u.status->note : "";
  if (u.status) {
    entry->pupilsEnrolled = u.status->pupilsEnrolled;
    entry->pupilsPresent = u.status->pupilsPresent;
    entry->receivedAt = u.status->receivedAt;
  }
  unitForms(u, extraForms, formSet, &entry->forms);
  ProviderRow provider;
  provider.id = entry->providerId;
  provider.name = entry->providerName;
  entry->fragment = makeUnitFragment(u, provider, entry->forms);
  return entry;
}

}  // namespace

common::Result<std::vector<UnitTextCache::EntryPtr>> UnitTextCache::current(
    Store& store, const ProviderNames& providers, const ExtraForms& extraForms) {
  PictureStore rows(store);
  static const std::string kNoName;
  std::lock_guard<std::mutex> guard(mutex_);
  // Provider names and capacity forms rarely change: check them per unit only when they did.
  const bool namesChanged = providers != lastProviders_;
  const bool formsChanged = extraForms != lastExtraForms_;
  std::vector<EntryPtr> out;
  out.reserve(entries_.size());
  std::vector<std::string> changed;  // codes to read again
  std::vector<size_t> changedAt;     // their places in `out`
  size_t cursor = 0;                 // entries_ and the keys are both in code order
  if (entries_.empty()) {
    // Nothing kept (the first render, or a cache made for one render): every unit is read and
    // written, so the keys need no pass of their own.
    auto all = rows.units();
    if (!all) return all.error();
    std::set<std::string> formSet;
    for (const auto& u : *all) out.push_back(makeEntry(u, providers, extraForms, formSet));
    rebuilt_ += out.size();
    entries_ = out;
    lastProviders_ = providers;
    lastExtraForms_ = extraForms;
    return out;
  }
  auto scanned = rows.forEachUnitKey([&](const UnitKeyView& key) {
    while (cursor < entries_.size() && std::string_view(entries_[cursor]->code) < key.code) {
      ++cursor;  // a unit that left the roster
    }
    bool same = cursor < entries_.size() && std::string_view(entries_[cursor]->code) == key.code;
    if (same) {
      const Entry& e = *entries_[cursor];
      same = e.frameId == key.frameId && std::string_view(e.providerId) == key.providerId &&
             std::string_view(e.schoolForms) == key.schoolForms && sameOptional(e.name, key.name) &&
             sameOptional(e.district, key.district);
      if (same && namesChanged) {
        auto p = providers.find(key.providerId);
        same = e.providerName == (p == providers.end() ? kNoName : p->second);
      }
      if (same && formsChanged) {
        auto extra = extraForms.find(e.code);
        same = extra == extraForms.end() ? e.extraForms.empty()
                                         : e.extraForms == joined(extra->second);
      }
    }
    if (same) {
      out.push_back(entries_[cursor++]);
    } else {
      changedAt.push_back(out.size());
      changed.emplace_back(key.code);
      out.push_back(nullptr);
    }
  });
  if (!scanned) return scanned.error();
  if (!changed.empty()) {
    // Many units changed (a roster import, a provider renamed): one pass over the table beats a
    // lookup each.
    auto fresh = changed.size() * 4 > out.size() ? rows.units() : rows.unitsByCode(changed);
    if (!fresh) return fresh.error();
    std::unordered_map<std::string, const UnitPictureRow*> byCode;
    byCode.reserve(fresh->size());
    for (const auto& u : *fresh) byCode.emplace(u.code, &u);
    std::set<std::string> formSet;
    for (size_t i = 0; i < changed.size(); ++i) {
      auto found = byCode.find(changed[i]);
      if (found == byCode.end()) {
        return common::unavailable("unit " + changed[i] +
                                   " left the roster during a read; ask again");
      }
      out[changedAt[i]] = makeEntry(*found->second, providers, extraForms, formSet);
    }
  }
  // Every entry now matches these names and forms.
  reused_ += out.size() - changed.size();
  rebuilt_ += changed.size();
  entries_ = out;
  if (namesChanged) lastProviders_ = providers;
  if (formsChanged) lastExtraForms_ = extraForms;
  return out;
}

UnitTextCache::Stats UnitTextCache::stats() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return Stats{reused_, rebuilt_, entries_.size()};
}

}  // namespace samband::broker
