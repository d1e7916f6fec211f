// See board_view.h: free seats. capacity() sums them per school form and year, city-wide and per
// district; seats() lists the units that have them, sorted by district and seats, with totals
// per district and school form; seatsCsv() is the same as CSV. All from each unit's latest
// capacity report (store/seats_store.h); closed and remote units are left out (their seats are
// not available) and counted. Every figure carries the age of the reports behind it, so a number
// older than the calendar allows says so.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "broker/picture/board_view.h"
#include "broker/picture/json_or_null.h"
#include "broker/picture/view.h"
#include "broker/store/seats_store.h"
#include "common/clock.h"
#include "common/vocabulary.h"

namespace samband::broker {

using nlohmann::json;

namespace {

int formOrder(const std::string& form) {
  common::SchoolForm f{};
  return common::parseSchoolForm(form, &f) ? static_cast<int>(f) : 1000;
}

// Closed units and units teaching remotely have no seats to offer.
bool offersNoSeats(const std::string& operational) {
  return operational == "closed" || operational == "remote";
}

// A sort key that puts Swedish names in Swedish order (a-z, then å, ä, ö; é with e), case
// folded. Enough for district and unit names; the page sorts with the browser's collation too.
std::string swedishKey(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0xC3 && i + 1 < s.size()) {
      const unsigned char d = static_cast<unsigned char>(s[i + 1]);
      const char* mapped = nullptr;
      if (d == 0xA5 || d == 0x85)
        mapped =
            "\x7f"
            "1";  // å Å
      if (d == 0xA4 || d == 0x84)
        mapped =
            "\x7f"
            "2";  // ä Ä
      if (d == 0xB6 || d == 0x96)
        mapped =
            "\x7f"
            "3";                                 // ö Ö
      if (d == 0xA9 || d == 0x89) mapped = "e";  // é É
      if (mapped != nullptr) {
        out += mapped;
        ++i;
        continue;
      }
    }
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  }
  return out;
}

// Districts in Swedish order, units without one last.
bool districtBefore(const std::string& a, const std::string& b) {
  if (a.empty() != b.empty()) return b.empty();
  const std::string ka = swedishKey(a), kb = swedishKey(b);
  return ka != kb ? ka < kb : a < b;
}

json districtJson(const std::string& d) { return d.empty() ? json(nullptr) : json(d); }

// The age of one capacity report under the rule in force, and whether it is old.
struct ReportAgeOf {
  const ReportAge& rule;
  int64_t nowMs;
  int64_t oldAfterMs;
  int64_t wallMs(int64_t sentAt) const { return std::max<int64_t>(0, nowMs - sentAt); }
  int64_t schoolMs(int64_t sentAt) const { return rule.ageMs(sentAt, nowMs); }
  bool isOld(int64_t sentAt) const { return schoolMs(sentAt) > oldAfterMs; }
};

// Sums of free seats with the age of the reports behind them.
struct SeatSum {
  int64_t enrolled = 0, seatsNow = 0, seats72h = 0;
  std::set<std::string> units, oldUnits;
  int64_t oldest = 0;  // sentAt of the oldest report counted; 0: none
  void add(const UnitSeatsRow& r, bool old) {
    enrolled += r.enrolled;
    seatsNow += r.seatsNow;
    seats72h += r.seats72h;
    units.insert(r.code);
    if (old) oldUnits.insert(r.code);
    if (oldest == 0 || r.sentAt < oldest) oldest = r.sentAt;
  }
};

}  // namespace

common::Result<json> BoardView::capacity(const std::string& mode) {
  auto rows = SeatsStore(store_).unitSeats(mode);
  if (!rows) return rows.error();
  auto rule = reportAgeRule(store_, rules_.holidays);
  if (!rule) return rule.error();
  const ReportAgeOf age{*rule, nowMs_, rules_.reportOldAfterMs};
  using Key = std::pair<std::string, int>;  // form, year
  auto keyLess = [](const Key& a, const Key& b) {
    int fa = formOrder(a.first), fb = formOrder(b.first);
    if (fa != fb) return fa < fb;
    if (a.first != b.first) return a.first < b.first;
    return a.second < b.second;
  };
  std::map<Key, SeatSum, decltype(keyLess)> city(keyLess);
  std::map<std::string, std::map<Key, SeatSum, decltype(keyLess)>, decltype(&districtBefore)>
      districts(&districtBefore);
  std::set<std::string> excluded;
  for (const auto& r : *rows) {
    if (!scope_.allows(r.district)) continue;
    if (offersNoSeats(r.operational)) {
      excluded.insert(r.code);
      continue;
    }
    const bool old = age.isOld(r.sentAt);
    const Key k{r.form, r.year};
    districts.try_emplace(r.district.value_or(""), keyLess).first->second[k].add(r, old);
    city[k].add(r, old);
  }
  auto tableRows = [](const auto& table) {
    json out = json::array();
    for (const auto& [k, c] : table) {
      out.push_back({{"form", k.first},
                     {"year", k.second},
                     {"enrolled", c.enrolled},
                     {"seats_now", c.seatsNow},
                     {"seats_72h", c.seats72h},
                     {"units", c.units.size()},
                     {"old_units", c.oldUnits.size()},
                     {"oldest_report_at", timeOrNull(c.oldest)}});
    }
    return out;
  };
  json perDistrict = json::array();
  for (const auto& [name, table] : districts) {
    perDistrict.push_back({{"district", districtJson(name)}, {"rows", tableRows(table)}});
  }
  json answer{{"generated_at", common::formatRfc3339(nowMs_)},
              {"mode", mode},
              {"report_old_after_s", rules_.reportOldAfterMs / 1000},
              {"age_counts", rule->schoolTime ? "school_time" : "all_time"},
              {"city", tableRows(city)},
              {"districts", perDistrict},
              {"excluded_units", excluded.size()}};
  if (moment_ != nullptr) answer["as_of"] = common::formatRfc3339(moment_->asOfMs);
  return answer;
}

common::Result<json> BoardView::seats(const SeatsFilter& filter) {
  auto rows = SeatsStore(store_).unitSeats(filter.mode);
  if (!rows) return rows.error();
  auto rule = reportAgeRule(store_, rules_.holidays);
  if (!rule) return rule.error();
  const ReportAgeOf age{*rule, nowMs_, rules_.reportOldAfterMs};

  // What the filters can choose from: the forms (with their years) and districts that have seats
  // in the scope, before the filters apply.
  std::map<std::string, std::set<int>> forms;
  std::set<std::string, decltype(&districtBefore)> districts(&districtBefore);
  std::set<std::string> excluded;
  std::vector<const UnitSeatsRow*> listed;
  for (const auto& r : *rows) {
    if (!scope_.allows(r.district)) continue;
    if (offersNoSeats(r.operational)) {
      excluded.insert(r.code);
      continue;
    }
    if (r.seatsNow <= 0 && r.seats72h <= 0) continue;
    forms[r.form].insert(r.year);
    districts.insert(r.district.value_or(""));
    if (!filter.form.empty() && r.form != filter.form) continue;
    if (filter.year >= 0 && r.year != filter.year) continue;
    if (!filter.district.empty()) {
      const std::string d = r.district.value_or("");
      if (filter.district == kNoDistrict ? !d.empty() : d != filter.district) continue;
    }
    listed.push_back(&r);
  }
  std::stable_sort(listed.begin(), listed.end(), [](const UnitSeatsRow* a, const UnitSeatsRow* b) {
    const std::string da = a->district.value_or(""), db = b->district.value_or("");
    if (da != db) return districtBefore(da, db);
    if (a->seatsNow != b->seatsNow) return a->seatsNow > b->seatsNow;
    if (a->seats72h != b->seats72h) return a->seats72h > b->seats72h;
    const std::string na = swedishKey(a->name.value_or(a->code));
    const std::string nb = swedishKey(b->name.value_or(b->code));
    if (na != nb) return na < nb;
    if (a->code != b->code) return a->code < b->code;
    if (a->form != b->form) return formOrder(a->form) < formOrder(b->form);
    return a->year < b->year;
  });

  json units = json::array();
  // Totals per district and school form, in the units' district order then the forms' order.
  std::map<std::pair<std::string, std::string>, SeatSum> sums;
  std::vector<std::pair<std::string, std::string>> order;
  for (const UnitSeatsRow* r : listed) {
    const bool old = age.isOld(r->sentAt);
    units.push_back({{"district", textOrNull(r->district)},
                     {"code", r->code},
                     {"name", textOrNull(r->name)},
                     {"provider_id", r->providerId},
                     {"provider_name", r->providerName},
                     {"form", r->form},
                     {"year", r->year},
                     {"seats_now", r->seatsNow},
                     {"seats_72h", r->seats72h},
                     {"enrolled", r->enrolled},
                     {"operational", r->operational},
                     {"reported_at", timeOrNull(r->sentAt)},
                     {"source", r->source},
                     {"age_s", age.wallMs(r->sentAt) / 1000},
                     {"age_school_s", age.schoolMs(r->sentAt) / 1000},
                     {"old", old}});
    const auto key = std::make_pair(r->district.value_or(""), r->form);
    if (!sums.count(key)) order.push_back(key);
    sums[key].add(*r, old);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return districtBefore(a.first, b.first);
    return formOrder(a.second) < formOrder(b.second);
  });
  json totals = json::array();
  for (const auto& key : order) {
    const SeatSum& s = sums[key];
    totals.push_back({{"district", districtJson(key.first)},
                      {"form", key.second},
                      {"seats_now", s.seatsNow},
                      {"seats_72h", s.seats72h},
                      {"units", s.units.size()},
                      {"old_units", s.oldUnits.size()},
                      {"oldest_report_at", timeOrNull(s.oldest)}});
  }
  json formOptions = json::array();
  std::vector<std::string> formNames;
  for (const auto& [f, years] : forms) formNames.push_back(f);
  std::stable_sort(formNames.begin(), formNames.end(),
                   [](const auto& a, const auto& b) { return formOrder(a) < formOrder(b); });
  for (const auto& f : formNames) formOptions.push_back({{"form", f}, {"years", forms[f]}});
  json districtOptions = json::array();
  for (const auto& d : districts) districtOptions.push_back(districtJson(d));
  json answer{{"generated_at", common::formatRfc3339(nowMs_)},
              {"mode", filter.mode},
              {"report_old_after_s", rules_.reportOldAfterMs / 1000},
              {"age_counts", rule->schoolTime ? "school_time" : "all_time"},
              {"filter",
               {{"form", filter.form.empty() ? json(nullptr) : json(filter.form)},
                {"year", filter.year < 0 ? json(nullptr) : json(filter.year)},
                {"district", filter.district.empty() ? json(nullptr) : json(filter.district)}}},
              {"units", units},
              {"totals", totals},
              {"excluded_units", excluded.size()},
              {"forms", formOptions},
              {"districts", districtOptions}};
  if (moment_ != nullptr) answer["as_of"] = common::formatRfc3339(moment_->asOfMs);
  return answer;
}

common::Result<std::string> BoardView::seatsCsv(const SeatsFilter& filter, bool totals) {
  auto made = seats(filter);
  if (!made) return made.error();
  const json& s = *made;
  auto text = [](const json& j) { return j.is_string() ? j.get<std::string>() : std::string(); };
  auto number = [](const json& j) {
    return j.is_number_integer() ? std::to_string(j.get<int64_t>()) : std::string();
  };
  std::ostringstream out;
  auto row = [&out](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << csvField(fields[i]);
    out << "\r\n";
  };
  if (totals) {
    out << "district,school_form,seats_now,seats_72h,units,old_units,oldest_report_at\r\n";
    for (const auto& t : s["totals"]) {
      row({text(t["district"]), text(t["form"]), number(t["seats_now"]), number(t["seats_72h"]),
           number(t["units"]), number(t["old_units"]), text(t["oldest_report_at"])});
    }
    return out.str();
  }
  out << "district,unit_code,unit_name,provider_id,provider_name,school_form,year,seats_now,"
         "seats_72h,enrolled,state,reported_at,age_s,old\r\n";
  for (const auto& u : s["units"]) {
    row({text(u["district"]), text(u["code"]), text(u["name"]), text(u["provider_id"]),
         text(u["provider_name"]), text(u["form"]), number(u["year"]), number(u["seats_now"]),
         number(u["seats_72h"]), number(u["enrolled"]), text(u["operational"]),
         text(u["reported_at"]), number(u["age_s"]), u["old"].get<bool>() ? "yes" : "no"});
  }
  return out.str();
}

}  // namespace samband::broker
