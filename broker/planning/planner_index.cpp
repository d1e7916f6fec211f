// See planner_index.h.
#include "broker/planning/planner_index.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace samband::broker {
namespace {

std::string describeCohort(const Cohort& c) {
  return "cohort " + c.unitCode + " " + c.key.form + ":" + std::to_string(c.key.year);
}

std::optional<common::Error> validateInput(const PlanningInput& input) {
  for (std::size_t i = 0; i < input.units.size(); ++i) {
    const Unit& u = input.units[i];
    if (u.code.empty())
      return common::invalidInput("unit #" + std::to_string(i + 1) + " has no code");
    if (u.position) {
      const GeoPoint p = *u.position;
      if (!std::isfinite(p.lat) || p.lat < -90.0 || p.lat > 90.0) {
        return common::invalidInput("unit " + u.code + ": lat must be within -90..90");
      }
      if (!std::isfinite(p.lon) || p.lon < -180.0 || p.lon > 180.0) {
        return common::invalidInput("unit " + u.code + ": lon must be within -180..180");
      }
    }
  }
  for (const Cohort& c : input.cohorts) {
    if (c.key.form.empty())
      return common::invalidInput(describeCohort(c) + ": form must not be empty");
    if (c.key.year < 0)
      return common::invalidInput(describeCohort(c) + ": year must not be negative");
    if (c.enrolled < 0)
      return common::invalidInput(describeCohort(c) + ": enrolled must not be negative");
    if (c.seatsNow < 0)
      return common::invalidInput(describeCohort(c) + ": seatsNow must not be negative");
    if (c.seatsWithin72h < 0) {
      return common::invalidInput(describeCohort(c) + ": seatsWithin72h must not be negative");
    }
  }
  return std::nullopt;
}

}  // namespace

common::Result<std::unique_ptr<PlannerIndex>> buildPlannerIndex(PlanningInput input) {
  if (auto error = validateInput(input)) return *error;
  auto index = std::make_unique<PlannerIndex>();
  index->units = std::move(input.units);
  std::sort(index->units.begin(), index->units.end(),
            [](const Unit& a, const Unit& b) { return a.code < b.code; });
  for (std::size_t i = 1; i < index->units.size(); ++i) {
    if (index->units[i].code == index->units[i - 1].code) {
      return common::invalidInput("unit code " + index->units[i].code + " appears more than once");
    }
  }
  const std::size_t unitCount = index->units.size();
  index->unitVectors.resize(unitCount);
  for (std::size_t u = 0; u < unitCount; ++u) {
    if (index->units[u].position) index->unitVectors[u] = toUnitVector(*index->units[u].position);
  }

  // Group cohorts by class; within a class, slots follow unit order.
  std::vector<std::pair<int, const Cohort*>> byUnit;
  byUnit.reserve(input.cohorts.size());
  for (const Cohort& c : input.cohorts) {
    const int unit = index->findUnit(c.unitCode);
    if (unit < 0) return common::invalidInput(describeCohort(c) + ": unknown unit " + c.unitCode);
    byUnit.emplace_back(unit, &c);
  }
  std::sort(byUnit.begin(), byUnit.end(), [](const auto& a, const auto& b) {
    if (a.second->key != b.second->key) return a.second->key < b.second->key;
    return a.first < b.first;
  });
  index->cohortsOfUnit.resize(unitCount);
  std::vector<std::vector<std::pair<Vec3, int>>> receiverPoints;
  for (std::size_t i = 0; i < byUnit.size(); ++i) {
    const auto& [unit, cohort] = byUnit[i];
    if (index->classes.empty() || index->classes.back().key != cohort->key) {
      index->classes.push_back(ClassData{});
      index->classes.back().key = cohort->key;
      receiverPoints.emplace_back();
    } else if (index->classes.back().unitOf.back() == unit) {
      return common::invalidInput(describeCohort(*cohort) + " appears more than once");
    }
    ClassData& data = index->classes.back();
    const int slot = static_cast<int>(data.unitOf.size());
    data.unitOf.push_back(unit);
    data.enrolled.push_back(cohort->enrolled);
    data.seatsNow.push_back(cohort->seatsNow);
    data.seatsWithin72h.push_back(cohort->seatsWithin72h);
    data.mostSeatsNow = std::max(data.mostSeatsNow, cohort->seatsNow);
    data.mostSeatsWithin72h = std::max(data.mostSeatsWithin72h, cohort->seatsWithin72h);
    const int classIndex = static_cast<int>(index->classes.size() - 1);
    index->cohortsOfUnit[unit].emplace_back(classIndex, slot);
    if (index->units[unit].position && (cohort->seatsNow > 0 || cohort->seatsWithin72h > 0)) {
      receiverPoints.back().emplace_back(index->unitVectors[unit], slot);
    }
  }
  for (std::size_t c = 0; c < index->classes.size(); ++c) {
    index->classes[c].receivers = GeoIndex(std::move(receiverPoints[c]));
    index->maxSlots = std::max(index->maxSlots, index->classes[c].unitOf.size());
  }
  return index;
}

}  // namespace samband::broker
