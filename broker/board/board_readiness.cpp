// See board_readiness.h.
#include "broker/board/board_readiness.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "broker/city/readiness.h"
#include "broker/store/city_store.h"
#include "common/clock.h"

namespace samband::broker {

using nlohmann::json;

namespace {

// ReadinessReport::toJson() plus the board's view of a check that is still open: before the
// deadline a provider without an answer is "pending"; "missing" only once the deadline passed.
json checkJson(const ReadinessReport& r, int64_t nowMs) {
  json j = r.toJson();
  const int pending = r.deadlinePassed ? 0 : r.missing;
  if (pending > 0) {
    for (auto& p : j["providers"]) {
      if (p["outcome"] == "missing") p["outcome"] = "pending";
    }
  }
  j["summary"]["pending"] = pending;
  j["summary"]["missing"] = r.missing - pending;
  j["summary"]["responded"] = r.answered + r.late;
  j["is_today"] = localDate(r.issuedAt) == localDate(nowMs);
  j["seconds_left"] = std::max<int64_t>(0, (r.deadline - nowMs + 999) / 1000);
  return j;
}

}  // namespace

common::Result<json> boardReadiness(Store& store, const std::optional<std::string>& checkId,
                                    int64_t nowMs) {
  json out{{"generated_at", common::formatRfc3339(nowMs)}, {"today", localDate(nowMs)}};
  auto report = readinessReport(store, checkId, std::nullopt, nowMs);
  if (!report) {
    if (report.error().kind == common::ErrorKind::notFound && !checkId) {
      out["check"] = nullptr;
      return out;
    }
    return report.error();
  }
  out["check"] = checkJson(*report, nowMs);
  return out;
}

common::Result<json> boardReadinessHistory(Store& store, int limit, bool withRates, int64_t nowMs) {
  auto ids = CityStore(store).recentChecks(std::clamp(limit, 1, 60));
  if (!ids) return common::unavailable("cannot read readiness checks: " + ids.error().message);
  json checks = json::array();
  json rates = nullptr;
  for (const auto& [id, scheduled] : *ids) {
    auto report = readinessReport(store, id, std::nullopt, nowMs);
    if (!report) return report.error();
    json j = checkJson(*report, nowMs);
    if (withRates && rates.is_null()) {
      json providers = json::array();
      for (const auto& p : report->providers) {
        providers.push_back({{"provider", p.provider},
                             {"name", p.name},
                             {"answer_rate_30", p.answerRate30},
                             {"checks_counted", p.checksCounted}});
      }
      rates = {{"check_id", report->checkId}, {"mode", report->mode}, {"providers", providers}};
    }
    j.erase("providers");
    j["scheduled_for"] = scheduled ? json(*scheduled) : json(nullptr);
    checks.push_back(std::move(j));
  }
  json out{{"generated_at", common::formatRfc3339(nowMs)}, {"checks", checks}};
  if (withRates) out["rates"] = rates;
  return out;
}

}  // namespace samband::broker
