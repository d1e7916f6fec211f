// See rollup_view.h.
#include "broker/picture/rollup_view.h"

#include <map>

#include "broker/store/rollup_store.h"
#include "common/clock.h"

namespace samband::broker {

namespace {

nlohmann::json timeOrNull(const std::optional<int64_t>& ms) {
  return ms ? nlohmann::json(common::formatRfc3339(*ms)) : nlohmann::json(nullptr);
}

nlohmann::json ageOrNull(const std::optional<int64_t>& ms, int64_t now) {
  return ms ? nlohmann::json(std::max<int64_t>(0, now - *ms) / 1000) : nlohmann::json(nullptr);
}

}  // namespace

common::Result<nlohmann::json> rollupPicture(Store& store, const LivenessRules& rules,
                                             const std::string& tier, int64_t now) {
  RollupStore rs(store);
  auto cities = rs.cities();
  if (!cities) return cities.error();
  nlohmann::json picture;
  picture["tier"] = tier;
  picture["generated_at"] = common::formatRfc3339(now);
  picture["cities"] = nlohmann::json::array();
  for (const auto& c : *cities) {
    nlohmann::json city;
    city["city"] = c.city;
    // Connected: the city answered a pull within the last stale_after_s (it answers at least
    // every 2 s while connected).
    city["connected"] = c.lastContact.has_value() && now - *c.lastContact < rules.staleAfterMs;
    city["last_contact"] = timeOrNull(c.lastContact);
    auto newest = rs.newestFrameAt(c.city);
    if (!newest) return newest.error();
    city["newest_frame_age_s"] = ageOrNull(*newest, now);
    auto frames = rs.frameCount(c.city);
    if (!frames) return frames.error();
    city["frames"] = *frames;
    city["gaps"] = c.gaps;
    city["refused"] = nlohmann::json::object();
    auto refusals = rs.refusals(c.city);
    if (!refusals) return refusals.error();
    for (const auto& [reason, n] : *refusals) city["refused"][reason] = n;
    // Providers: those in the city's liveness summary, plus any a relayed unit names.
    std::map<std::string, nlohmann::json> providers;
    auto liveness = nlohmann::json::parse(c.livenessJson, nullptr, false);
    auto provider = [&](const std::string& id) -> nlohmann::json& {
      auto it = providers.find(id);
      if (it == providers.end()) {
        nlohmann::json p;
        p["provider"] = id;
        p["liveness"] = "unknown";
        p["last_seen"] = nullptr;
        p["units"] = nlohmann::json::array();
        it = providers.emplace(id, std::move(p)).first;
      }
      return it->second;
    };
    if (liveness.is_array()) {
      for (const auto& e : liveness) {
        if (!e.is_array() || e.size() != 2 || !e[0].is_string()) continue;
        std::optional<int64_t> seen;
        if (e[1].is_number_integer()) seen = e[1].get<int64_t>();
        auto& p = provider(e[0].get<std::string>());
        // The summary is as old as its receipt: a city that stopped answering says nothing now.
        p["liveness"] = c.livenessAt && now - *c.livenessAt < rules.offlineAfterMs
                            ? livenessOf(seen, now, rules)
                            : "unknown";
        p["last_seen"] = timeOrNull(seen);
      }
    }
    auto units = rs.units(c.city);
    if (!units) return units.error();
    std::map<std::string, int64_t> byState;
    for (const auto& u : *units) {
      nlohmann::json unit;
      unit["unit"] = u.unit;
      unit["state"] = u.state ? nlohmann::json(*u.state) : nlohmann::json(nullptr);
      unit["status"] = u.statusJson.empty() ? nlohmann::json(nullptr)
                                            : nlohmann::json::parse(u.statusJson, nullptr, false);
      unit["capacity"] = u.capacityJson.empty()
                             ? nlohmann::json(nullptr)
                             : nlohmann::json::parse(u.capacityJson, nullptr, false);
      unit["reported_at"] = timeOrNull(u.reportedAt);
      unit["age_s"] = ageOrNull(u.reportedAt, now);
      byState[u.state.value_or("unknown")]++;
      provider(u.provider)["units"].push_back(std::move(unit));
    }
    city["units_by_state"] = nlohmann::json::object();
    for (const auto& [state, n] : byState) city["units_by_state"][state] = n;
    city["providers"] = nlohmann::json::array();
    for (auto& [id, p] : providers) city["providers"].push_back(std::move(p));
    picture["cities"].push_back(std::move(city));
  }
  return picture;
}

}  // namespace samband::broker
