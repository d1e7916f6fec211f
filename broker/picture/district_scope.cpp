// See district_scope.h.
#include "broker/picture/district_scope.h"

#include <algorithm>
#include <set>

namespace samband::broker {

using nlohmann::json;

DistrictScope::DistrictScope(std::vector<std::string> districts)
    : districts_(std::move(districts)) {
  std::sort(districts_.begin(), districts_.end());
  districts_.erase(std::unique(districts_.begin(), districts_.end()), districts_.end());
}

bool DistrictScope::allows(const std::optional<std::string>& district) const {
  if (districts_.empty()) return true;
  if (!district || district->empty()) return false;
  return std::binary_search(districts_.begin(), districts_.end(), *district);
}

bool DistrictScope::allowsJson(const json& district) const {
  if (districts_.empty()) return true;
  if (!district.is_string()) return false;
  return allows(district.get<std::string>());
}

void DistrictScope::restrictPicture(json& picture) const {
  if (!isLimited()) return;
  std::set<std::string> kept;
  if (picture.contains("providers") && picture["providers"].is_array()) {
    json providers = json::array();
    for (auto& provider : picture["providers"]) {
      json units = json::array();
      for (auto& u : provider["units"]) {
        if (!allowsJson(u.value("district", json()))) continue;
        kept.insert(u.value("code", std::string()));
        units.push_back(std::move(u));
      }
      if (units.empty()) continue;
      provider["units"] = std::move(units);
      providers.push_back(std::move(provider));
    }
    picture["providers"] = std::move(providers);
  }
  if (picture.contains("exercise") && picture["exercise"].is_array()) {
    json rows = json::array();
    for (auto& r : picture["exercise"]) {
      if (allowsJson(r.value("district", json()))) rows.push_back(std::move(r));
    }
    picture["exercise"] = std::move(rows);
  }
  if (picture.contains("other_modes") && picture["other_modes"].is_array()) {
    json rows = json::array();
    for (auto& r : picture["other_modes"]) {
      if (kept.count(r.value("code", std::string()))) rows.push_back(std::move(r));
    }
    picture["other_modes"] = std::move(rows);
  }
}

bool DistrictScope::hasProvider(const json& picture, const std::string& providerId) {
  if (!picture.contains("providers")) return false;
  for (const auto& p : picture["providers"]) {
    if (p.value("id", std::string()) == providerId) return true;
  }
  return false;
}

void DistrictScope::restrictPlanningData(PlanningData& data) const {
  if (!isLimited()) return;
  std::set<std::string> kept;
  std::set<std::string> providers;
  std::vector<Unit> units;
  for (auto& u : data.input.units) {
    if (!allows(u.district)) continue;
    kept.insert(u.code);
    providers.insert(u.providerId);
    units.push_back(std::move(u));
  }
  data.input.units = std::move(units);
  std::vector<Cohort> cohorts;
  for (auto& c : data.input.cohorts) {
    if (kept.count(c.unitCode)) cohorts.push_back(std::move(c));
  }
  data.input.cohorts = std::move(cohorts);
  auto keepUnits = [&](std::set<std::string>& set) {
    for (auto it = set.begin(); it != set.end();)
      it = kept.count(*it) ? std::next(it) : set.erase(it);
  };
  keepUnits(data.closedUnits);
  keepUnits(data.cannotContinueUnits);
  keepUnits(data.whatIfUnits);
  keepUnits(data.unitsWithCapacity);
  for (auto it = data.unitNames.begin(); it != data.unitNames.end();) {
    it = kept.count(it->first) ? std::next(it) : data.unitNames.erase(it);
  }
  for (auto it = data.unitsByProvider.begin(); it != data.unitsByProvider.end();) {
    auto& codes = it->second;
    codes.erase(std::remove_if(codes.begin(), codes.end(),
                               [&](const std::string& c) { return kept.count(c) == 0; }),
                codes.end());
    it = codes.empty() ? data.unitsByProvider.erase(it) : std::next(it);
  }
  for (auto it = data.providerNames.begin(); it != data.providerNames.end();) {
    it = providers.count(it->first) ? std::next(it) : data.providerNames.erase(it);
  }
  for (auto it = data.dutyContacts.begin(); it != data.dutyContacts.end();) {
    it = providers.count(it->first) ? std::next(it) : data.dutyContacts.erase(it);
  }
  for (auto it = data.unitProviders.begin(); it != data.unitProviders.end();) {
    it = kept.count(it->first) ? std::next(it) : data.unitProviders.erase(it);
  }
  for (auto it = data.situations.begin(); it != data.situations.end();) {
    it = kept.count(it->first) ? std::next(it) : data.situations.erase(it);
  }
  for (auto it = data.figureOrigins.begin(); it != data.figureOrigins.end();) {
    it = kept.count(std::get<0>(it->first)) ? std::next(it) : data.figureOrigins.erase(it);
  }
}

}  // namespace samband::broker
