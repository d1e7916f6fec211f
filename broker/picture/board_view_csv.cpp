// See board_view.h: the real picture as CSV for spreadsheets (RFC 4180, formula-safe).
#include <sstream>
#include <vector>

#include "broker/picture/board_view.h"

namespace samband::broker {

using nlohmann::json;

namespace {

std::string jsonText(const json& j) { return j.is_string() ? j.get<std::string>() : ""; }

std::string jsonCount(const json& j) {
  return j.is_number_integer() ? std::to_string(j.get<int64_t>()) : "";
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

common::Result<std::string> BoardView::csv() {
  auto picked = picture();
  if (!picked) return picked.error();
  const json& p = *picked;
  std::ostringstream out;
  out << "unit_code,unit_name,provider_id,provider_name,district,school_forms,state,reason,"
         "pupils_present,pupils_enrolled,staff_available,staff_total,electricity,backup_hours,"
         "heating,water,food,it,telephony,food_days,critical_care,special_support,note,"
         "reported_at,age_s,old,provider_liveness,whatif_failing,closed_until\r\n";
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
                                            u["whatif_failing"].get<bool>() ? "yes" : "no",
                                            jsonText(u["closed_until"])};
      for (size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << csvField(fields[i]);
      out << "\r\n";
    }
  }
  return out.str();
}

}  // namespace samband::broker
