// See view.h. Exercise, system and test traffic is listed apart under "other_modes" and never
// mixed into the units' real state.
#include "broker/picture/view.h"

#include <SQLiteCpp/Statement.h>

#include <map>
#include <sstream>

#include "common/clock.h"
#include "common/vocabulary.h"

namespace samband::broker {

using nlohmann::json;

namespace {

json timeOrNull(const SQLite::Column& c) {
  if (c.isNull()) return nullptr;
  return common::formatRfc3339(c.getInt64());
}

json countOrNull(const SQLite::Column& c) {
  if (c.isNull() || c.getInt64() < 0) return nullptr;
  return c.getInt64();
}

json textOrNull(const SQLite::Column& c) {
  if (c.isNull()) return nullptr;
  return c.getString();
}

}  // namespace

json currentPicture(Store& store, const LivenessRules& rules, int64_t nowMs) {
  auto& db = store.db();
  json picture;
  picture["generated_at"] = common::formatRfc3339(nowMs);
  std::map<std::string, json> providers;
  {
    SQLite::Statement q(db,
                        "SELECT p.id, p.name, p.last_seen, "
                        "(SELECT max(seq) FROM frames f WHERE f.sender=p.id), "
                        "c.state, c.from_date, c.note "
                        "FROM providers p LEFT JOIN continuity c "
                        "ON c.provider_id=p.id AND c.mode='actual' ORDER BY p.id");
    while (q.executeStep()) {
      json p;
      p["id"] = q.getColumn(0).getString();
      p["name"] = q.getColumn(1).getString();
      std::optional<int64_t> seen;
      if (!q.getColumn(2).isNull()) seen = q.getColumn(2).getInt64();
      p["liveness"] = livenessOf(seen, nowMs, rules);
      p["last_seen"] = timeOrNull(q.getColumn(2));
      p["last_seq"] = q.getColumn(3).isNull() ? 0 : q.getColumn(3).getInt64();
      p["continuity"] = q.getColumn(4).isNull() ? "ok" : q.getColumn(4).getString();
      p["continuity_from"] = q.getColumn(5).isNull() || q.getColumn(5).getInt64() == 0
                                 ? json(nullptr)
                                 : timeOrNull(q.getColumn(5));
      p["units"] = json::array();
      std::string id = p["id"].get<std::string>();  // before p is moved from
      providers[id] = std::move(p);
    }
  }
  {
    SQLite::Statement q(
        db,
        "SELECT u.code, u.provider_id, u.name, u.district, s.operational, s.pupils_present, "
        "s.pupils_enrolled, s.staff_available, s.staff_total, s.electricity, s.backup_hours, "
        "s.heating, s.water, s.food, s.it, s.telephony, s.food_days, s.critical_care, "
        "s.special_support, s.reason, s.note, s.sent_at, s.received_at, s.expected_reopen, "
        "s.valid_until FROM units u LEFT JOIN unit_status s ON s.code=u.code AND "
        "s.mode='actual' ORDER BY u.code");
    while (q.executeStep()) {
      json u;
      u["code"] = q.getColumn(0).getString();
      u["name"] = textOrNull(q.getColumn(2));
      u["district"] = textOrNull(q.getColumn(3));
      bool reported = !q.getColumn(4).isNull();
      u["operational"] = reported ? q.getColumn(4).getString() : "unknown";
      u["pupils_present"] = countOrNull(q.getColumn(5));
      u["pupils_enrolled"] = countOrNull(q.getColumn(6));
      u["staff_available"] = countOrNull(q.getColumn(7));
      u["staff_total"] = countOrNull(q.getColumn(8));
      u["electricity"] = reported ? q.getColumn(9).getString() : "unknown";
      u["backup_hours"] = countOrNull(q.getColumn(10));
      json res;
      const char* names[] = {"heating", "water", "food", "it", "telephony"};
      for (int i = 0; i < 5; ++i)
        res[names[i]] = reported ? q.getColumn(11 + i).getString() : "unknown";
      u["resources"] = res;
      u["food_days"] = countOrNull(q.getColumn(16));
      u["critical_care"] = reported ? q.getColumn(17).getString() : "unknown";
      u["special_support"] = reported ? q.getColumn(18).getString() : "unknown";
      u["reason"] = reported ? q.getColumn(19).getString() : "";
      u["note"] = reported ? q.getColumn(20).getString() : "";
      u["reported_at"] = timeOrNull(q.getColumn(21));
      u["received_at"] = timeOrNull(q.getColumn(22));
      u["expected_reopen"] =
          reported && q.getColumn(23).getInt64() > 0 ? timeOrNull(q.getColumn(23)) : json(nullptr);
      u["valid_until"] =
          reported && q.getColumn(24).getInt64() > 0 ? timeOrNull(q.getColumn(24)) : json(nullptr);
      auto it = providers.find(q.getColumn(1).getString());
      if (it != providers.end()) it->second["units"].push_back(std::move(u));
    }
  }
  picture["providers"] = json::array();
  for (auto& [id, p] : providers) picture["providers"].push_back(std::move(p));

  json other = json::array();
  {
    SQLite::Statement q(db,
                        "SELECT mode, code, provider_id, operational, sent_at FROM unit_status "
                        "WHERE mode<>'actual' ORDER BY mode, code");
    while (q.executeStep()) {
      other.push_back({{"mode", q.getColumn(0).getString()},
                       {"code", q.getColumn(1).getString()},
                       {"provider", q.getColumn(2).getString()},
                       {"operational", q.getColumn(3).getString()},
                       {"reported_at", timeOrNull(q.getColumn(4))}});
    }
  }
  picture["other_modes"] = std::move(other);

  json rejected = json::object();
  for (int r = 0; r < static_cast<int>(common::kRejectReasonCount); ++r) {
    rejected[common::rejectReasonName(static_cast<common::RejectReason>(r))] = 0;
  }
  auto counts = store.rejectionCounts();
  if (!counts) throw std::runtime_error(counts.error().message);
  for (const auto& [reason, n] : *counts) rejected[reason] = n;
  picture["rejected"] = std::move(rejected);
  picture["frames"] = db.execAndGet("SELECT count(*) FROM frames").getInt64();
  return picture;
}

std::string pictureText(const json& picture) {
  std::ostringstream out;
  out << "Samband status at " << picture["generated_at"].get<std::string>() << "\n";
  std::map<std::string, int> states;
  for (const auto& p : picture["providers"]) {
    out << "\n"
        << p["id"].get<std::string>() << "  " << p["name"].get<std::string>() << "  ["
        << p["liveness"].get<std::string>() << "]  last seen "
        << (p["last_seen"].is_null() ? "never" : p["last_seen"].get<std::string>()) << "  seq "
        << p["last_seq"].get<int64_t>();
    if (p["continuity"] != "ok") out << "  continuity " << p["continuity"].get<std::string>();
    out << "\n";
    for (const auto& u : p["units"]) {
      states[u["operational"].get<std::string>()]++;
      out << "  " << u["code"].get<std::string>() << "  " << u["operational"].get<std::string>();
      if (!u["pupils_present"].is_null()) out << "  pupils " << u["pupils_present"];
      if (!u["staff_available"].is_null()) out << "  staff " << u["staff_available"];
      if (!u["reported_at"].is_null()) out << "  at " << u["reported_at"].get<std::string>();
      out << "\n";
    }
  }
  out << "\nUnits by state:";
  for (const auto& [s, n] : states) out << "  " << s << " " << n;
  out << "\nFrames archived: " << picture["frames"] << "\nRefused:";
  bool any = false;
  for (const auto& [reason, n] : picture["rejected"].items()) {
    if (n.get<int64_t>() > 0) {
      out << "  " << reason << " " << n;
      any = true;
    }
  }
  if (!any) out << " none";
  out << "\n";
  return out.str();
}

}  // namespace samband::broker
