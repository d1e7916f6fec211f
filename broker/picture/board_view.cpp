// See board_view.h. Exercise, system and test traffic never enters the real picture's units,
// summary, capacity or CSV; it is listed under "exercise" only.
#include "broker/picture/board_view.h"

#include <algorithm>
#include <climits>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

#include "broker/picture/json_or_null.h"
#include "broker/picture/payload_json.h"
#include "broker/picture/view.h"
#include "broker/store/picture_store.h"
#include "broker/store/replication_store.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/vocabulary.h"

namespace samband::broker {

using nlohmann::json;

namespace {

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

int formOrder(const std::string& form) {
  common::SchoolForm f{};
  return common::parseSchoolForm(form, &f) ? static_cast<int>(f) : 1000;
}

// "grundskola:1;grundskola:2;fritidshem:0" -> {"fritidshem", "grundskola"}.
void addFormsOf(const std::string& classes, std::set<std::string>* forms) {
  std::stringstream in(classes);
  std::string item;
  while (std::getline(in, item, ';')) {
    std::string form = item.substr(0, item.find(':'));
    if (!form.empty()) forms->insert(form);
  }
}

// In the protocol's order (förskola, förskoleklass, grundskola, ...), unknown names last.
std::vector<std::string> sortedForms(const std::set<std::string>& forms) {
  std::vector<std::string> out(forms.begin(), forms.end());
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return formOrder(a) < formOrder(b);
  });
  return out;
}

std::string jsonText(const json& j) { return j.is_string() ? j.get<std::string>() : ""; }

}  // namespace

common::Result<json> BoardView::picture() {
  auto current = currentPicture(store_, rules_.liveness, nowMs_, rules_.holidays, moment_);
  if (!current) return current.error();
  json p = std::move(*current);
  scope_.restrictPicture(p);
  addReplicationLag(p);
  auto rows = pictureRows();
  if (!rows) return rows.error();

  std::map<std::string, std::set<std::string>> forms;
  std::map<std::string, UnitStatusRow> timing;  // unit code -> its actual status
  for (const auto& u : rows->units) {
    addFormsOf(u.schoolForms, &forms[u.code]);
    if (u.status) timing[u.code] = *u.status;
  }
  for (const auto& [code, form] : rows->capacityForms) forms[code].insert(form);
  const std::set<std::string>& marks = rows->whatIfMarks;

  PictureTotals totals;
  totals.providers = static_cast<int64_t>(p["providers"].size());
  for (auto& provider : p["providers"]) {
    totals.liveness[provider["liveness"].get<std::string>()]++;
    for (auto& u : provider["units"]) {
      const std::string code = u["code"].get<std::string>();
      u["provider_id"] = provider["id"];
      u["provider_name"] = provider["name"];
      u["liveness"] = provider["liveness"];
      u["school_forms"] = forms.count(code) ? json(sortedForms(forms[code])) : json::array();
      u["whatif_failing"] = marks.count(code) > 0;
      auto t = timing.find(code);
      if (t != timing.end()) {
        int64_t age = std::max<int64_t>(0, nowMs_ - t->second.sentAt);
        // A report made Friday afternoon is not old on Monday morning: the limit counts school
        // time while the level is normal (currentPicture's rule).
        const int64_t schoolAge = rows->ageRule.ageMs(t->second.sentAt, nowMs_);
        bool expired = t->second.validUntil > 0 && t->second.validUntil < nowMs_;
        u["age_s"] = age / 1000;
        u["age_school_s"] = schoolAge / 1000;
        u["expired"] = expired;
        u["old"] = expired || schoolAge > rules_.reportOldAfterMs;
        totals.newest = std::max(totals.newest, t->second.receivedAt);
      } else {
        u["age_s"] = nullptr;
        u["age_school_s"] = nullptr;
        u["expired"] = false;
        u["old"] = false;
      }
      if (u["old"].get<bool>()) ++totals.old;
      totals.unitStates[u["operational"].get<std::string>()]++;
      ++totals.units;
      if (u["pupils_enrolled"].is_number_integer()) {
        totals.enrolled += u["pupils_enrolled"].get<int64_t>();
      }
      if (u["pupils_present"].is_number_integer()) {
        totals.present += u["pupils_present"].get<int64_t>();
      }
    }
  }
  addHeadlines(p, totals, *rows);
  return p;
}

common::Result<BoardView::PictureRows> BoardView::pictureRows(bool withUnits) {
  PictureStore store(store_);
  PictureRows rows;
  if (withUnits) {
    auto units = store.units();
    if (!units) return units.error();
    rows.units = std::move(*units);
  }
  auto capacityForms = store.capacityForms("actual");
  if (!capacityForms) return capacityForms.error();
  rows.capacityForms = std::move(*capacityForms);
  auto marks = store.whatIfMarks();
  if (!marks) return marks.error();
  for (const auto& m : *marks) rows.whatIfMarks.insert(m.code);
  auto level = store_.meta("level");
  if (!level) return level.error();
  rows.level = std::move(*level);
  auto ageRule = reportAgeRule(store_, rules_.holidays);
  if (!ageRule) return ageRule.error();
  rows.ageRule = std::move(*ageRule);
  auto otherModes = store.otherModes();
  if (!otherModes) return otherModes.error();
  rows.otherModes = std::move(*otherModes);
  return rows;
}

void BoardView::addHeadlines(json& p, const PictureTotals& totals, const PictureRows& rows) const {
  json unitSummary(totals.unitStates);
  unitSummary["total"] = totals.units;
  unitSummary["old"] = totals.old;
  json providerSummary(totals.liveness);
  providerSummary["total"] = totals.providers;
  p["summary"] = {{"units", unitSummary},
                  {"providers", providerSummary},
                  {"pupils_enrolled", totals.enrolled},
                  {"pupils_present", totals.present},
                  {"whatif_failing", rows.whatIfMarks.size()}};
  p["newest_report_at"] = timeOrNull(totals.newest);
  p["report_old_after_s"] = rules_.reportOldAfterMs / 1000;
  p["level"] = rows.level.value_or("normal");
  p["exercise"] = exerciseRows(rows.otherModes);
}

void BoardView::addReplicationLag(json& p) {
  // The standby broker's lag (docs/replication.md): the peer furthest behind, null without one.
  // Only live (a past moment has no standby lag), only when a peer is recorded.
  auto peers = moment_ == nullptr
                   ? ReplicationStore(store_).peers()
                   : common::Result<std::vector<PeerRecord>>(std::vector<PeerRecord>());
  if (!peers) return;
  for (const auto& r : *peers) {
    const int64_t behind = r.behindFrames.value_or(-1);
    if (p.contains("replication") && !p["replication"]["behind_frames"].is_null() &&
        behind <= p["replication"]["behind_frames"].get<int64_t>()) {
      continue;
    }
    p["replication"] = {
        {"peer", r.peer},
        {"behind_frames", r.behindFrames ? json(*r.behindFrames) : json()},
        {"last_contact", r.lastContact ? json(common::formatRfc3339(*r.lastContact)) : json()}};
  }
}

json BoardView::exerciseRows(const std::vector<OtherModeRow>& otherRows) const {
  json exercise = json::array();
  for (const auto& r : otherRows) {
    if (!scope_.allows(r.district)) continue;
    const UnitStatusRow& s = r.status;
    exercise.push_back({{"mode", r.mode},
                        {"code", r.code},
                        {"name", textOrNull(r.unitName)},
                        {"provider_id", r.providerId},
                        {"provider_name", r.providerName},
                        {"district", textOrNull(r.district)},
                        {"operational", s.operational},
                        {"reason", s.reason},
                        {"pupils_present", countOrNull(s.pupilsPresent)},
                        {"pupils_enrolled", countOrNull(s.pupilsEnrolled)},
                        {"staff_available", countOrNull(s.staffAvailable)},
                        {"staff_total", countOrNull(s.staffTotal)},
                        {"note", s.note},
                        {"reported_at", timeOrNull(s.sentAt)},
                        {"age_s", std::max<int64_t>(0, nowMs_ - s.sentAt) / 1000}});
  }
  return exercise;
}

common::Result<json> BoardView::units(const UnitFilter& filter) {
  auto picked = picture();
  if (!picked) return picked.error();
  json& p = *picked;
  json out = json::array();
  const std::string query = lower(filter.query);
  // The picture is ours to take apart: units are moved out of it, not copied (a copy of every
  // unit's JSON doubled the time of an unfiltered /api/units).
  for (auto& provider : p["providers"]) {
    for (auto& u : provider["units"]) {
      if (!filter.district.empty() && jsonText(u["district"]) != filter.district) continue;
      if (!filter.provider.empty() && u["provider_id"] != filter.provider) continue;
      if (!filter.state.empty() && u["operational"] != filter.state) continue;
      if (!filter.form.empty()) {
        const auto& forms = u["school_forms"];
        if (std::find(forms.begin(), forms.end(), filter.form) == forms.end()) continue;
      }
      if (!query.empty()) {
        std::string hay = lower(u["code"].get<std::string>() + "\n" + jsonText(u["name"]) + "\n" +
                                jsonText(u["provider_name"]) + "\n" + jsonText(u["provider_id"]) +
                                "\n" + jsonText(u["district"]) + "\n" + jsonText(u["note"]));
        if (hay.find(query) == std::string::npos) continue;
      }
      out.push_back(std::move(u));
    }
  }
  json answer = json::object();  // not an initializer list: that would copy `out` again
  answer["generated_at"] = p["generated_at"];
  answer["units"] = std::move(out);
  if (p.contains("as_of")) answer["as_of"] = p["as_of"];
  return answer;
}

common::Result<json> BoardView::providers() {
  auto picked = picture();
  if (!picked) return picked.error();
  json& p = *picked;
  json out = json::array();
  for (auto& provider : p["providers"]) {
    json states = json::object();
    for (const auto& u : provider["units"]) {
      std::string s = u["operational"].get<std::string>();
      states[s] = states.value(s, 0) + 1;
    }
    json item = provider;
    item["unit_count"] = provider["units"].size();
    item["unit_states"] = states;
    item.erase("units");
    out.push_back(std::move(item));
  }
  json answer{{"generated_at", p["generated_at"]}, {"providers", out}};
  if (p.contains("as_of")) answer["as_of"] = p["as_of"];
  return answer;
}

common::Result<std::optional<json>> BoardView::provider(const std::string& id, int64_t before,
                                                        int limit) {
  auto picked = picture();
  if (!picked) return picked.error();
  json& p = *picked;
  json found;
  for (auto& provider : p["providers"]) {
    if (provider["id"] == id) found = std::move(provider);
  }
  if (found.is_null()) return std::optional<json>();
  json units = std::move(found["units"]);
  found.erase("units");
  // A district-limited user sees the reports about their units and the provider's own messages
  // (continuity, readiness answers, acknowledgements), not reports about its other units.
  std::set<std::string> visible;
  for (const auto& u : units) visible.insert(u["code"].get<std::string>());

  // A past picture's history is the archive's, up to the moment's newest frame.
  PictureStore rows(moment_ != nullptr && moment_->archive != nullptr ? *moment_->archive : store_);
  const int64_t upTo = moment_ != nullptr ? moment_->lastFrameId : INT64_MAX;
  if (moment_ != nullptr && (before <= 0 || before > upTo + 1)) before = upTo + 1;
  auto frames = rows.framesOf(id, before, limit);
  if (!frames) return frames.error();
  auto total = rows.frameCountOf(id, upTo);
  if (!total) return total.error();
  json items = json::array();
  int64_t last = 0;
  for (const auto& f : *frames) {
    json item{{"frame_id", f.id},
              {"seq", f.seq},
              {"kind", f.kind},
              {"mode", f.mode},
              {"sent_at", timeOrNull(f.sentAt)},
              {"received_at", timeOrNull(f.receivedAt)},
              {"key_id", f.keyId}};
    last = f.id;
    auto envelope = common::decodeEnvelope(f.envelope.data(), f.envelope.size());
    if (!envelope) {
      item["payload"] = nullptr;
      item["error"] = "the archived envelope does not decode; run 'samband-broker audit'";
    } else if (auto body = common::decodeBody(envelope->body); !body) {
      item["payload"] = nullptr;
      item["error"] = "the archived body does not decode; run 'samband-broker audit'";
    } else {
      item["payload"] = payloadJson(body->payload);
      const json& payload = item["payload"];
      if (scope_.isLimited() && payload.is_object() && payload.contains("unit") &&
          !visible.count(payload["unit"].is_string() ? payload["unit"].get<std::string>() : "")) {
        continue;
      }
    }
    items.push_back(std::move(item));
  }
  json next = nullptr;
  if (static_cast<int>(frames->size()) == limit && last > 0) {
    auto older = rows.hasFramesBelow(id, last);
    if (!older) return older.error();
    if (*older) next = last;
  }
  json answer{{"generated_at", p["generated_at"]},
              {"provider", found},
              {"units", units},
              {"history", {{"items", items}, {"total", *total}, {"next_before", next}}}};
  if (p.contains("as_of")) answer["as_of"] = p["as_of"];
  return std::optional<json>(std::move(answer));
}

common::Result<bool> BoardView::unitVisible(const std::string& code) {
  auto unitRows = PictureStore(store_).units();
  if (!unitRows) return unitRows.error();
  for (const auto& u : *unitRows) {
    if (u.code == code) return scope_.allows(u.district);
  }
  return false;
}

common::Result<json> BoardView::whatIf() {
  auto marks = PictureStore(store_).whatIfMarks();
  if (!marks) return marks.error();
  std::set<std::string> visible;
  if (scope_.isLimited()) {
    auto unitRows = PictureStore(store_).units();
    if (!unitRows) return unitRows.error();
    for (const auto& u : *unitRows) {
      if (scope_.allows(u.district)) visible.insert(u.code);
    }
  }
  json out = json::array();
  for (const auto& m : *marks) {
    if (scope_.isLimited() && !visible.count(m.code)) continue;
    out.push_back({{"code", m.code},
                   {"name", textOrNull(m.unitName)},
                   {"provider_id", m.providerId},
                   {"marked_by", m.markedBy},
                   {"marked_at", timeOrNull(m.markedAt)}});
  }
  return json{{"generated_at", common::formatRfc3339(nowMs_)}, {"failing", out}};
}

common::Status setWhatIfFailing(Store& store, const std::string& code, bool failing,
                                const std::string& byUser, int64_t nowMs) {
  if (auto s = PictureStore(store).setWhatIf(code, failing, byUser, nowMs); !s) {
    if (s.error().kind == common::ErrorKind::notFound) {
      return common::Error{common::ErrorKind::notFound,
                           "there is no unit " + code + " in the roster; check the code"};
    }
    return common::unavailable("the what-if mark was not stored: " + s.error().message +
                               "; try again");
  }
  return {};
}

}  // namespace samband::broker
