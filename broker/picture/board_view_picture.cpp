// See board_view.h: BoardView::pictureText(), GET /api/picture with its units written straight
// from the database rows as JSON text. The rest of the document (providers' own fields, checks,
// directives, refusals, summary, exercise) is small and still built as a tree; the units, most of
// the bytes and nearly all of the tree (10,000 units: ~30 values each), are not. Byte for byte
// picture().dump(): a test holds the two together.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "broker/picture/board_view.h"
#include "broker/picture/json_or_null.h"
#include "broker/picture/liveness.h"
#include "broker/picture/unit_json_text.h"
#include "broker/picture/view.h"
#include "broker/store/picture_store.h"
#include "broker/store/read_transaction.h"
#include "common/clock.h"

namespace samband::broker {

using nlohmann::json;

common::Result<std::string> BoardView::pictureText() {
  if (moment_ != nullptr) {  // a past picture: the tree (rare, and never cached)
    auto answer = picture();
    if (!answer) return answer.error();
    return answer->dump();
  }
  // One state of the database for every read below (the head, the rows, the units' keys).
  auto transaction = ReadTransaction::begin(store_);
  if (!transaction) return transaction.error();
  auto head = currentPictureWithoutUnits(store_, rules_.liveness, nowMs_, rules_.holidays);
  if (!head) return head.error();
  json& p = *head;
  auto rows = pictureRows(false);
  if (!rows) return rows.error();

  // Each unit's text from the board's UnitTextCache (only units that changed are read and
  // written again), or from one made for this render alone.
  UnitTextCache::ProviderNames names;
  for (const auto& provider : p["providers"]) {
    names.emplace(provider["id"].get<std::string>(), provider["name"].get<std::string>());
  }
  UnitTextCache::ExtraForms extraForms;  // from capacity reports
  for (const auto& [code, form] : rows->capacityForms) extraForms[code].insert(form);
  UnitTextCache once;
  auto entries = (unitTexts_ != nullptr ? *unitTexts_ : once).current(store_, names, extraForms);
  if (!entries) return entries.error();
  // Units in the scope, per provider, in the order currentPicture() lists them (a unit whose
  // provider the head does not list is left out there too).
  std::map<std::string, std::vector<const UnitTextCache::Entry*>> unitsOf;
  for (const auto& e : *entries) {
    if (scope_.allows(e->district)) unitsOf[e->providerId].push_back(e.get());
  }
  const std::set<std::string>& marks = rows->whatIfMarks;

  // The providers array, written as text; the summary counted on the way.
  PictureTotals totals;
  std::set<std::string> kept;  // unit codes in the picture (other_modes keeps only these)
  std::string providersText;
  size_t bytes = p["providers"].size() * 300 + 64;
  for (const auto& e : *entries) bytes += e->fragment.text.size() + 96;
  providersText.reserve(bytes);
  JsonText out(providersText);
  const UnitJsonContext context{nowMs_, &rows->ageRule, rules_.reportOldAfterMs};
  out.raw("[");
  for (auto& provider : p["providers"]) {
    const std::string id = provider["id"].get<std::string>();
    static const std::vector<const UnitTextCache::Entry*> kNoUnits;
    auto found = unitsOf.find(id);
    const auto& its = found == unitsOf.end() ? kNoUnits : found->second;
    if (scope_.isLimited() && its.empty()) continue;  // as DistrictScope::restrictPicture
    const std::string livenessName = provider["liveness"].get<std::string>();
    totals.liveness[livenessName]++;
    if (totals.providers++ > 0) out.raw(",");
    // The provider's own fields as dump() writes them; "units" sorts after all of them.
    provider.erase("units");
    std::string fields = provider.dump();
    fields.pop_back();  // the closing brace
    out.raw(fields);
    out.raw(fields.size() > 1 ? ",\"units\":[" : "\"units\":[");
    bool first = true;
    for (const UnitTextCache::Entry* e : its) {
      if (!first) out.raw(",");
      first = false;
      const bool isOld = writeUnitFragment(out, e->fragment, livenessName.c_str(),
                                           marks.count(e->code) > 0, context);
      if (scope_.isLimited()) kept.insert(e->code);
      ++totals.units;
      if (isOld) ++totals.old;
      if (e->fragment.reported) {
        totals.unitStates[e->operational]++;
        if (e->pupilsEnrolled >= 0) totals.enrolled += e->pupilsEnrolled;
        if (e->pupilsPresent >= 0) totals.present += e->pupilsPresent;
        totals.newest = std::max(totals.newest, e->receivedAt);
      } else {
        totals.unitStates["unknown"]++;
      }
    }
    out.raw("]}");
  }
  out.raw("]");

  if (scope_.isLimited() && p.contains("other_modes") && p["other_modes"].is_array()) {
    json keptRows = json::array();  // as DistrictScope::restrictPicture
    for (auto& r : p["other_modes"]) {
      if (kept.count(r.value("code", std::string()))) keptRows.push_back(std::move(r));
    }
    p["other_modes"] = std::move(keptRows);
  }
  addReplicationLag(p);
  addHeadlines(p, totals, *rows);

  // The document in dump()'s key order, the providers spliced in where they sort.
  std::string text;
  text.reserve(providersText.size() + 4096);
  text += '{';
  bool firstKey = true;
  for (const auto& [key, value] : p.items()) {
    if (!firstKey) text += ',';
    firstKey = false;
    text += json(key).dump();
    text += ':';
    if (key == "providers") {
      text += providersText;
    } else {
      text += value.dump();
    }
  }
  text += '}';
  return text;
}

}  // namespace samband::broker
