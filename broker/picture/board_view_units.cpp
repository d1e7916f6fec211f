// See board_view.h: BoardView::unitsText(), GET /api/units written as JSON text from each unit's
// kept text (UnitTextCache), checked against the database rows. The same answer as units().dump()
// byte for byte (keys in nlohmann::json's sorted order, its number and string formatting),
// without building, copying and freeing a tree of every unit: for 10,000 units that tree was most
// of the time (docs/performance.md).
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "broker/picture/board_view.h"
#include "broker/picture/liveness.h"
#include "broker/picture/unit_json_text.h"
#include "broker/picture/view.h"
#include "broker/store/picture_store.h"
#include "broker/store/read_transaction.h"
#include "common/clock.h"
#include "common/vocabulary.h"

namespace samband::broker {

namespace {

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

common::Result<std::string> BoardView::unitsText(const UnitFilter& filter) {
  if (moment_ != nullptr) {  // a past picture: the tree (rare, and never cached)
    auto answer = units(filter);
    if (!answer) return answer.error();
    return answer->dump();
  }
  // Without the board's cache (tools, tests, benchmarks) a cache of this call's own: one way
  // to write the units, as pictureText() does.
  if (unitTexts_ != nullptr) return unitsTextFromCache(filter, *unitTexts_);
  UnitTextCache once;
  return unitsTextFromCache(filter, once);
}

common::Result<std::string> BoardView::unitsTextFromCache(const UnitFilter& filter,
                                                          UnitTextCache& cache) {
  // One state of the database for every read below: the units' keys, the rows of those that
  // changed, and the providers, forms and marks they are written with.
  auto transaction = ReadTransaction::begin(store_);
  if (!transaction) return transaction.error();
  PictureStore rows(store_);
  auto providerRows = rows.providerNames();  // liveness needs no archive look-up
  if (!providerRows) return providerRows.error();
  auto capacityForms = rows.capacityForms("actual");
  if (!capacityForms) return capacityForms.error();
  auto markRows = rows.whatIfMarks();
  if (!markRows) return markRows.error();
  auto ageRule = reportAgeRule(store_, rules_.holidays);
  if (!ageRule) return ageRule.error();

  struct Provider {
    const ProviderRow* row;
    const char* liveness;
    std::vector<const UnitTextCache::Entry*> units;
  };
  std::map<std::string, Provider> providers;  // by id: the picture's order
  UnitTextCache::ProviderNames names;
  for (const auto& p : *providerRows) {
    providers.emplace(p.id, Provider{&p, livenessOf(p.lastSeen, nowMs_, rules_.liveness), {}});
    names.emplace(p.id, p.name);
  }
  UnitTextCache::ExtraForms extraForms;  // from capacity reports
  for (const auto& [code, form] : *capacityForms) extraForms[code].insert(form);
  auto entries = cache.current(store_, names, extraForms);
  if (!entries) return entries.error();
  for (const auto& e : *entries) {
    if (!scope_.allows(e->district)) continue;
    auto it = providers.find(e->providerId);
    if (it != providers.end()) it->second.units.push_back(e.get());
  }
  std::set<std::string> marks;
  for (const auto& m : *markRows) marks.insert(m.code);
  const std::string query = lower(filter.query);

  size_t bytes = 64;
  for (const auto& e : *entries) bytes += e->fragment.text.size() + 96;
  std::string text;
  text.reserve(bytes);
  JsonText out(text);
  const UnitJsonContext context{nowMs_, &*ageRule, rules_.reportOldAfterMs};
  out.raw("{");
  out.key("generated_at");
  out.time(nowMs_);
  out.field("units");
  out.raw("[");
  bool first = true;
  static const std::string kNoDistrictText;
  for (const auto& [id, provider] : providers) {
    const ProviderRow& p = *provider.row;
    for (const UnitTextCache::Entry* e : provider.units) {
      const std::string& district = e->district ? *e->district : kNoDistrictText;
      if (!filter.district.empty() && district != filter.district) continue;
      if (!filter.provider.empty() && p.id != filter.provider) continue;
      if (!filter.state.empty() && e->operational != filter.state) continue;
      if (!filter.form.empty() &&
          std::find(e->forms.begin(), e->forms.end(), filter.form) == e->forms.end()) {
        continue;
      }
      if (!query.empty()) {
        std::string hay = lower(e->code + "\n" + e->name.value_or("") + "\n" + p.name + "\n" +
                                p.id + "\n" + district + "\n" + e->note);
        if (hay.find(query) == std::string::npos) continue;
      }
      if (!first) out.raw(",");
      first = false;
      writeUnitFragment(out, e->fragment, provider.liveness, marks.count(e->code) > 0, context);
    }
  }
  out.raw("]}");
  return text;
}

}  // namespace samband::broker
