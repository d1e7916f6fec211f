// See board_planning.h.
#include "broker/board/board_planning.h"

#include <sodium.h>

#include <cstdio>
#include <set>

#include "common/bytes.h"
#include "common/clock.h"

namespace samband::broker {

using nlohmann::json;

namespace {

common::Error cannotPlan(const std::string& why) {
  return common::internalError(
      "the roster or capacity data cannot be planned with: " + why +
      "; correct the roster (samband-broker roster export / import) and reload");
}

// BLAKE2b-256 over everything the ranking depends on, each field length-prefixed.
class InputHash {
 public:
  InputHash() { crypto_generichash_init(&state_, nullptr, 0, kBytes); }
  void add(const std::string& s) {
    const uint64_t n = s.size();
    crypto_generichash_update(&state_, reinterpret_cast<const uint8_t*>(&n), sizeof n);
    crypto_generichash_update(&state_, reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  void add(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    add(std::string(buf));
  }
  void add(int64_t v) { add(std::to_string(v)); }
  std::string hex() {
    uint8_t out[kBytes];
    crypto_generichash_final(&state_, out, kBytes);
    return common::toHex(out, kBytes);
  }

 private:
  static constexpr size_t kBytes = 32;
  crypto_generichash_state state_;
};

std::string cacheKey(const PlanningData& data, const PlanOptions& options,
                     const PlanSelection& baseline) {
  InputHash h;
  h.add(options.maxKm);
  h.add(options.fill);
  for (const auto& code : baseline.failingCodes()) h.add("f" + code);
  for (const auto& [code, why] : baseline.notReceiving) h.add("n" + code + why);
  for (const auto& c : baseline.closedNotPlanned) h.add("c" + c.code);
  h.add(static_cast<int64_t>(options.horizon));
  h.add(static_cast<int64_t>(options.arcs));
  for (const auto& u : data.input.units) {
    h.add(u.code);
    h.add(u.providerId);
    h.add(u.district);
    h.add(static_cast<int64_t>(u.position.has_value()));
    if (u.position) {
      h.add(u.position->lat);
      h.add(u.position->lon);
    }
  }
  for (const auto& c : data.input.cohorts) {
    h.add(c.unitCode);
    h.add(c.key.form);
    h.add(static_cast<int64_t>(c.key.year));
    h.add(static_cast<int64_t>(c.enrolled));
    h.add(static_cast<int64_t>(c.seatsNow));
    h.add(static_cast<int64_t>(c.seatsWithin72h));
  }
  for (const auto& [id, name] : data.providerNames) {
    h.add(id);
    h.add(name);
  }
  return h.hex();
}

}  // namespace

common::Result<json> boardPlan(const PlanningData& data, const PlanOptions& options,
                               const ScopeRules& rules) {
  const PlanSelection selection = selectUnits(data, {}, rules);
  auto planner = Planner::create(data.input);
  if (!planner) return cannotPlan(planner.error().message);
  auto plan = planner->plan(selection.scope(), options);
  if (!plan) return plan.error();
  json j = planToJson(*plan, data, selection, options);
  j["what_if_included"] = rules.includeWhatIf;
  return j;
}

common::Result<json> ContingencyCache::ranking(const PlanningData& data, const PlanOptions& options,
                                               const ScopeRules& rules, int64_t nowMs) {
  ScopeRules today = rules;
  today.includeWhatIf = false;
  const PlanSelection baseline = selectUnits(data, {}, today);
  const std::string key = cacheKey(data, options, baseline);
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key == key) {
      Entry hit = std::move(*it);
      entries_.erase(it);
      entries_.push_back(std::move(hit));
      return entries_.back().body;
    }
  }
  auto planner = Planner::create(data.input);
  if (!planner) return cannotPlan(planner.error().message);
  const int64_t started = common::monotonicMs();
  auto rows = planner->contingency(options, baseline.scope(), threads_);
  if (!rows) return rows.error();
  json body = contingencyToJson(*rows, data, baseline, options);
  body["computed_at"] = common::formatRfc3339(nowMs);
  body["computed_ms"] = common::monotonicMs() - started;
  if (entries_.size() >= kEntries) entries_.erase(entries_.begin());
  entries_.push_back({key, body});
  return body;
}

}  // namespace samband::broker
