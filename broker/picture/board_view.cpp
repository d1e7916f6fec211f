// See board_view.h. Exercise, system and test traffic never enters the real picture's units,
// summary, capacity or CSV; it is listed under "exercise" only.
#include "broker/picture/board_view.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

#include "broker/picture/view.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/vocabulary.h"

namespace samband::broker {

using nlohmann::json;

namespace {

json timeOrNull(int64_t ms) {
  if (ms <= 0) return nullptr;
  return common::formatRfc3339(ms);
}

json countOrNull(int64_t n) {
  if (n < 0) return nullptr;
  return n;
}

std::string textOr(const SQLite::Column& c, const std::string& fallback = "") {
  return c.isNull() ? fallback : c.getString();
}

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

std::string jsonCount(const json& j) {
  return j.is_number_integer() ? std::to_string(j.get<int64_t>()) : "";
}

template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

json payloadJson(const common::Payload& payload) {
  return std::visit(
      Overloaded{
          [](const common::HeartbeatMsg& m) {
            return json{{"head_seq", m.headSeq}, {"level", common::levelName(m.level)}};
          },
          [](const common::UnitStatusMsg& m) {
            return json{{"unit", m.unitCode},
                        {"operational", common::operationalName(m.operational)},
                        {"reason", m.reason},
                        {"expected_reopen", timeOrNull(m.expectedReopen)},
                        {"pupils_enrolled", countOrNull(m.pupilsEnrolled)},
                        {"pupils_present", countOrNull(m.pupilsPresent)},
                        {"staff_total", countOrNull(m.staffTotal)},
                        {"staff_available", countOrNull(m.staffAvailable)},
                        {"critical_care", common::offeredName(m.criticalCare)},
                        {"special_support", common::offeredName(m.specialSupport)},
                        {"electricity", common::electricityName(m.electricity)},
                        {"backup_hours", countOrNull(m.backupHours)},
                        {"resources",
                         {{"heating", common::supplyName(m.heating)},
                          {"water", common::supplyName(m.water)},
                          {"food", common::supplyName(m.food)},
                          {"it", common::supplyName(m.it)},
                          {"telephony", common::supplyName(m.telephony)}}},
                        {"food_days", countOrNull(m.foodDays)},
                        {"note", m.note},
                        {"valid_until", timeOrNull(m.validUntil)}};
          },
          [](const common::CapacityMsg& m) {
            json entries = json::array();
            for (const auto& e : m.entries) {
              entries.push_back({{"form", common::schoolFormName(e.form)},
                                 {"year", e.year},
                                 {"enrolled", e.enrolled},
                                 {"seats_now", e.seatsNow},
                                 {"seats_72h", e.seats72h}});
            }
            return json{{"unit", m.unitCode}, {"entries", entries}};
          },
          [](const common::ContinuityMsg& m) {
            return json{{"state", common::continuityName(m.state)},
                        {"from", timeOrNull(m.fromDate)},
                        {"note", m.note}};
          },
          [](const common::ReadinessAnswerMsg& m) {
            json results = json::array();
            for (const auto& r : m.results) {
              results.push_back({{"name", r.name}, {"passed", r.passed}, {"detail", r.detail}});
            }
            return json{{"check_id", m.checkId},
                        {"confirmed", m.confirmed},
                        {"received_at", timeOrNull(m.receivedAt)},
                        {"results", results}};
          },
          [](const common::DirectiveAckMsg& m) {
            return json{
                {"directive_id", m.directiveId},
                {"kind", m.kind == common::AckKind::ACKNOWLEDGED ? "acknowledged" : "delivered"}};
          },
          [](const common::ReadinessCheckMsg& m) {
            return json{{"check_id", m.checkId}, {"deadline", timeOrNull(m.deadline)}};
          },
          [](const common::DirectiveMsg& m) {
            return json{{"directive_id", m.directiveId}, {"number", m.number}, {"text", m.text}};
          },
          [](const common::KeyRotationMsg& m) {
            return json{{"new_key_id", common::toHex(m.newKeyId)}};
          },
      },
      payload);
}

}  // namespace

std::string csvField(const std::string& text) {
  std::string t = text;
  if (!t.empty() &&
      (t[0] == '=' || t[0] == '+' || t[0] == '-' || t[0] == '@' || t[0] == '\t' || t[0] == '\r')) {
    t.insert(t.begin(), '\'');
  }
  if (t.find_first_of(",\"\r\n;") == std::string::npos) return t;
  std::string out = "\"";
  for (char c : t) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

json BoardView::picture() {
  auto& db = store_.db();
  json p = currentPicture(store_, rules_.liveness, nowMs_);

  std::map<std::string, std::set<std::string>> forms;
  {
    SQLite::Statement q(db, "SELECT code, school_forms FROM units");
    while (q.executeStep()) addFormsOf(textOr(q.getColumn(1)), &forms[q.getColumn(0).getString()]);
    SQLite::Statement c(db, "SELECT DISTINCT code, form FROM capacity WHERE mode='actual'");
    while (c.executeStep()) forms[c.getColumn(0).getString()].insert(c.getColumn(1).getString());
  }
  struct Timing {
    int64_t sentAt = 0;
    int64_t receivedAt = 0;
    int64_t validUntil = 0;
  };
  std::map<std::string, Timing> timing;
  {
    SQLite::Statement q(db,
                        "SELECT code, sent_at, received_at, valid_until FROM unit_status WHERE "
                        "mode='actual'");
    while (q.executeStep()) {
      timing[q.getColumn(0).getString()] = {q.getColumn(1).getInt64(), q.getColumn(2).getInt64(),
                                            q.getColumn(3).getInt64()};
    }
  }
  std::set<std::string> marks;
  {
    SQLite::Statement q(db, "SELECT code FROM whatif_failing");
    while (q.executeStep()) marks.insert(q.getColumn(0).getString());
  }

  std::map<std::string, int64_t> unitStates{{"normal", 0}, {"reduced", 0},   {"remote", 0},
                                            {"closed", 0}, {"relocated", 0}, {"unknown", 0}};
  std::map<std::string, int64_t> liveness{
      {"online", 0}, {"stale", 0}, {"offline", 0}, {"never", 0}};
  int64_t units = 0, old = 0, enrolled = 0, present = 0, newest = 0;
  for (auto& provider : p["providers"]) {
    liveness[provider["liveness"].get<std::string>()]++;
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
        bool expired = t->second.validUntil > 0 && t->second.validUntil < nowMs_;
        u["age_s"] = age / 1000;
        u["expired"] = expired;
        u["old"] = expired || age > rules_.reportOldAfterMs;
        newest = std::max(newest, t->second.receivedAt);
      } else {
        u["age_s"] = nullptr;
        u["expired"] = false;
        u["old"] = false;
      }
      if (u["old"].get<bool>()) ++old;
      unitStates[u["operational"].get<std::string>()]++;
      ++units;
      if (u["pupils_enrolled"].is_number_integer()) enrolled += u["pupils_enrolled"].get<int64_t>();
      if (u["pupils_present"].is_number_integer()) present += u["pupils_present"].get<int64_t>();
    }
  }
  json unitSummary(unitStates);
  unitSummary["total"] = units;
  unitSummary["old"] = old;
  json providerSummary(liveness);
  providerSummary["total"] = p["providers"].size();
  p["summary"] = {{"units", unitSummary},
                  {"providers", providerSummary},
                  {"pupils_enrolled", enrolled},
                  {"pupils_present", present},
                  {"whatif_failing", marks.size()}};
  p["newest_report_at"] = timeOrNull(newest);
  p["report_old_after_s"] = rules_.reportOldAfterMs / 1000;
  {
    SQLite::Statement q(db, "SELECT value FROM meta WHERE key='level'");
    p["level"] = q.executeStep() ? q.getColumn(0).getString() : std::string("normal");
  }

  json exercise = json::array();
  {
    SQLite::Statement q(
        db,
        "SELECT s.mode, s.code, u.name, s.provider_id, pr.name, u.district, s.operational, "
        "s.reason, s.pupils_present, s.pupils_enrolled, s.staff_available, s.staff_total, s.note, "
        "s.sent_at FROM unit_status s LEFT JOIN units u ON u.code=s.code LEFT JOIN providers pr "
        "ON pr.id=s.provider_id WHERE s.mode<>'actual' ORDER BY s.mode, s.code");
    while (q.executeStep()) {
      exercise.push_back(
          {{"mode", q.getColumn(0).getString()},
           {"code", q.getColumn(1).getString()},
           {"name", q.getColumn(2).isNull() ? json(nullptr) : json(q.getColumn(2).getString())},
           {"provider_id", q.getColumn(3).getString()},
           {"provider_name", textOr(q.getColumn(4))},
           {"district", q.getColumn(5).isNull() ? json(nullptr) : json(q.getColumn(5).getString())},
           {"operational", q.getColumn(6).getString()},
           {"reason", q.getColumn(7).getString()},
           {"pupils_present", countOrNull(q.getColumn(8).getInt64())},
           {"pupils_enrolled", countOrNull(q.getColumn(9).getInt64())},
           {"staff_available", countOrNull(q.getColumn(10).getInt64())},
           {"staff_total", countOrNull(q.getColumn(11).getInt64())},
           {"note", q.getColumn(12).getString()},
           {"reported_at", timeOrNull(q.getColumn(13).getInt64())},
           {"age_s", std::max<int64_t>(0, nowMs_ - q.getColumn(13).getInt64()) / 1000}});
    }
  }
  p["exercise"] = std::move(exercise);
  return p;
}

json BoardView::units(const UnitFilter& filter) {
  json p = picture();
  json out = json::array();
  const std::string query = lower(filter.query);
  for (const auto& provider : p["providers"]) {
    for (const auto& u : provider["units"]) {
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
      out.push_back(u);
    }
  }
  return {{"generated_at", p["generated_at"]}, {"units", out}};
}

json BoardView::providers() {
  json p = picture();
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
  return {{"generated_at", p["generated_at"]}, {"providers", out}};
}

std::optional<json> BoardView::provider(const std::string& id, int64_t before, int limit) {
  auto& db = store_.db();
  json p = picture();
  json found;
  for (auto& provider : p["providers"]) {
    if (provider["id"] == id) found = std::move(provider);
  }
  if (found.is_null()) return std::nullopt;
  json units = std::move(found["units"]);
  found.erase("units");

  json items = json::array();
  int64_t last = 0;
  {
    SQLite::Statement q(db,
                        "SELECT id, seq, kind, mode, sent_at, received_at, key_id, envelope "
                        "FROM frames WHERE sender=? AND id<? ORDER BY id DESC LIMIT ?");
    q.bind(1, id);
    q.bind(2, before > 0 ? before : INT64_MAX);
    q.bind(3, limit);
    while (q.executeStep()) {
      json item{{"frame_id", q.getColumn(0).getInt64()},
                {"seq", q.getColumn(1).getInt64()},
                {"kind", q.getColumn(2).getString()},
                {"mode", q.getColumn(3).getString()},
                {"sent_at", timeOrNull(q.getColumn(4).getInt64())},
                {"received_at", timeOrNull(q.getColumn(5).getInt64())},
                {"key_id", q.getColumn(6).getString()}};
      last = q.getColumn(0).getInt64();
      const auto& c = q.getColumn(7);
      auto envelope = common::decodeEnvelope(static_cast<const uint8_t*>(c.getBlob()),
                                             static_cast<size_t>(c.getBytes()));
      if (!envelope) {
        item["payload"] = nullptr;
        item["error"] = "the archived envelope does not decode; run 'samband-broker audit'";
      } else if (auto body = common::decodeBody(envelope->body); !body) {
        item["payload"] = nullptr;
        item["error"] = "the archived body does not decode; run 'samband-broker audit'";
      } else {
        item["payload"] = payloadJson(body->payload);
      }
      items.push_back(std::move(item));
    }
  }
  int64_t total = 0;
  {
    SQLite::Statement q(db, "SELECT count(*) FROM frames WHERE sender=?");
    q.bind(1, id);
    q.executeStep();
    total = q.getColumn(0).getInt64();
  }
  json next = nullptr;
  if (static_cast<int>(items.size()) == limit && last > 0) {
    SQLite::Statement q(db, "SELECT 1 FROM frames WHERE sender=? AND id<? LIMIT 1");
    q.bind(1, id);
    q.bind(2, last);
    if (q.executeStep()) next = last;
  }
  return json{{"generated_at", p["generated_at"]},
              {"provider", found},
              {"units", units},
              {"history", {{"items", items}, {"total", total}, {"next_before", next}}}};
}

json BoardView::capacity(const std::string& mode) {
  auto& db = store_.db();
  struct Cell {
    int64_t enrolled = 0, seatsNow = 0, seats72h = 0, units = 0;
  };
  using Key = std::pair<std::string, int>;  // form, year
  auto keyLess = [](const Key& a, const Key& b) {
    int fa = formOrder(a.first), fb = formOrder(b.first);
    if (fa != fb) return fa < fb;
    if (a.first != b.first) return a.first < b.first;
    return a.second < b.second;
  };
  std::map<Key, Cell, decltype(keyLess)> city(keyLess);
  std::map<std::string, std::map<Key, Cell, decltype(keyLess)>> districts;
  {
    SQLite::Statement q(
        db,
        "SELECT coalesce(u.district, ''), c.form, c.year, sum(c.enrolled), sum(c.seats_now), "
        "sum(c.seats_72h), count(*) FROM capacity c LEFT JOIN units u ON u.code=c.code "
        "LEFT JOIN unit_status s ON s.mode=c.mode AND s.code=c.code WHERE c.mode=? AND "
        "coalesce(s.operational, 'unknown') NOT IN ('closed', 'remote') GROUP BY 1, 2, 3");
    q.bind(1, mode);
    while (q.executeStep()) {
      Key k{q.getColumn(1).getString(), q.getColumn(2).getInt()};
      Cell cell{q.getColumn(3).getInt64(), q.getColumn(4).getInt64(), q.getColumn(5).getInt64(),
                q.getColumn(6).getInt64()};
      auto& d = districts.try_emplace(q.getColumn(0).getString(), keyLess).first->second;
      d[k] = cell;
      auto& c = city[k];
      c.enrolled += cell.enrolled;
      c.seatsNow += cell.seatsNow;
      c.seats72h += cell.seats72h;
      c.units += cell.units;
    }
  }
  auto rows = [](const auto& cells) {
    json out = json::array();
    for (const auto& [k, c] : cells) {
      out.push_back({{"form", k.first},
                     {"year", k.second},
                     {"enrolled", c.enrolled},
                     {"seats_now", c.seatsNow},
                     {"seats_72h", c.seats72h},
                     {"units", c.units}});
    }
    return out;
  };
  json perDistrict = json::array();
  for (const auto& [name, cells] : districts) {
    perDistrict.push_back(
        {{"district", name.empty() ? json(nullptr) : json(name)}, {"rows", rows(cells)}});
  }
  int64_t excluded = 0;
  {
    SQLite::Statement q(db,
                        "SELECT count(DISTINCT c.code) FROM capacity c JOIN unit_status s ON "
                        "s.mode=c.mode AND s.code=c.code WHERE c.mode=? AND s.operational IN "
                        "('closed', 'remote')");
    q.bind(1, mode);
    q.executeStep();
    excluded = q.getColumn(0).getInt64();
  }
  return {{"generated_at", common::formatRfc3339(nowMs_)},
          {"mode", mode},
          {"city", rows(city)},
          {"districts", perDistrict},
          {"excluded_units", excluded}};
}

std::string BoardView::csv() {
  json p = picture();
  std::ostringstream out;
  out << "unit_code,unit_name,provider_id,provider_name,district,school_forms,state,reason,"
         "pupils_present,pupils_enrolled,staff_available,staff_total,electricity,backup_hours,"
         "heating,water,food,it,telephony,food_days,critical_care,special_support,note,"
         "reported_at,age_s,old,provider_liveness,whatif_failing\r\n";
  for (const auto& provider : p["providers"]) {
    for (const auto& u : provider["units"]) {
      std::string forms;
      for (const auto& f : u["school_forms"]) forms += (forms.empty() ? "" : " ") + jsonText(f);
      const auto& r = u["resources"];
      const std::vector<std::string> fields{u["code"].get<std::string>(),
                                            jsonText(u["name"]),
                                            jsonText(u["provider_id"]),
                                            jsonText(u["provider_name"]),
                                            jsonText(u["district"]),
                                            forms,
                                            jsonText(u["operational"]),
                                            jsonText(u["reason"]),
                                            jsonCount(u["pupils_present"]),
                                            jsonCount(u["pupils_enrolled"]),
                                            jsonCount(u["staff_available"]),
                                            jsonCount(u["staff_total"]),
                                            jsonText(u["electricity"]),
                                            jsonCount(u["backup_hours"]),
                                            jsonText(r["heating"]),
                                            jsonText(r["water"]),
                                            jsonText(r["food"]),
                                            jsonText(r["it"]),
                                            jsonText(r["telephony"]),
                                            jsonCount(u["food_days"]),
                                            jsonText(u["critical_care"]),
                                            jsonText(u["special_support"]),
                                            jsonText(u["note"]),
                                            jsonText(u["reported_at"]),
                                            jsonCount(u["age_s"]),
                                            u["old"].get<bool>() ? "yes" : "no",
                                            jsonText(u["liveness"]),
                                            u["whatif_failing"].get<bool>() ? "yes" : "no"};
      for (size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << csvField(fields[i]);
      out << "\r\n";
    }
  }
  return out.str();
}

json BoardView::whatIf() {
  json out = json::array();
  SQLite::Statement q(store_.db(),
                      "SELECT w.code, u.name, u.provider_id, w.marked_by, w.marked_at FROM "
                      "whatif_failing w LEFT JOIN units u ON u.code=w.code ORDER BY w.code");
  while (q.executeStep()) {
    out.push_back(
        {{"code", q.getColumn(0).getString()},
         {"name", q.getColumn(1).isNull() ? json(nullptr) : json(q.getColumn(1).getString())},
         {"provider_id", textOr(q.getColumn(2))},
         {"marked_by", q.getColumn(3).getString()},
         {"marked_at", timeOrNull(q.getColumn(4).getInt64())}});
  }
  return {{"generated_at", common::formatRfc3339(nowMs_)}, {"failing", out}};
}

common::Status setWhatIfFailing(Store& store, const std::string& code, bool failing,
                                const std::string& byUser, int64_t nowMs) {
  try {
    SQLite::Statement exists(store.db(), "SELECT 1 FROM units WHERE code=?");
    exists.bind(1, code);
    if (!exists.executeStep()) {
      return common::Error{common::ErrorKind::notFound,
                           "there is no unit " + code + " in the roster; check the code"};
    }
    if (failing) {
      SQLite::Statement q(store.db(),
                          "INSERT INTO whatif_failing(code, marked_by, marked_at) VALUES(?,?,?) "
                          "ON CONFLICT(code) DO UPDATE SET marked_by=excluded.marked_by, "
                          "marked_at=excluded.marked_at");
      q.bind(1, code);
      q.bind(2, byUser);
      q.bind(3, nowMs);
      q.exec();
    } else {
      SQLite::Statement q(store.db(), "DELETE FROM whatif_failing WHERE code=?");
      q.bind(1, code);
      q.exec();
    }
  } catch (const SQLite::Exception& e) {
    return common::unavailable(std::string("the what-if mark was not stored: ") + e.what() +
                               "; try again");
  }
  return {};
}

}  // namespace samband::broker
