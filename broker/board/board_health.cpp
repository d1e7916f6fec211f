// See board.h: /healthz (the database answers, its schema and archive size) and /metrics
// (Prometheus text: the process counters plus gauges read from the database, the office's among
// them: board_office_gauges.h).
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "broker/board/board.h"
#include "broker/board/board_http.h"
#include "broker/board/board_office_gauges.h"
#include "broker/metrics/metrics_text.h"
#include "broker/picture/rollup_view.h"
#include "broker/store/picture_store.h"
#include "common/clock.h"
#include "common/log.h"

namespace samband::broker {

namespace {

// A Prometheus label value: backslash, quote and newline escaped (city names are UTF-8 text).
std::string labelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// An upstream broker's gauges per enrolled city, from its roll-up picture (docs/rollup.md).
std::string renderRollupMetrics(const nlohmann::json& picture) {
  std::ostringstream out;
  out << "# HELP samband_rollup_city_connected 1 when the city answered a pull within "
         "[liveness] stale_after_s.\n# TYPE samband_rollup_city_connected gauge\n";
  for (const auto& c : picture["cities"]) {
    out << "samband_rollup_city_connected{city=\"" << labelValue(c["city"].get<std::string>())
        << "\"} " << (c["connected"].get<bool>() ? 1 : 0) << '\n';
  }
  out << "# HELP samband_rollup_city_frames Relayed frames stored for the city (each once, "
         "whichever of its brokers relayed it).\n# TYPE samband_rollup_city_frames gauge\n";
  for (const auto& c : picture["cities"]) {
    out << "samband_rollup_city_frames{city=\"" << labelValue(c["city"].get<std::string>())
        << "\"} " << c["frames"].get<int64_t>() << '\n';
  }
  out << "# HELP samband_rollup_city_refused_total Relayed frames refused, by city and reason."
         "\n# TYPE samband_rollup_city_refused_total counter\n";
  for (const auto& c : picture["cities"]) {
    for (const auto& [reason, n] : c["refused"].items()) {
      out << "samband_rollup_city_refused_total{city=\"" << labelValue(c["city"].get<std::string>())
          << "\",reason=\"" << labelValue(reason) << "\"} " << n.get<int64_t>() << '\n';
    }
  }
  out << "# HELP samband_rollup_city_gaps_total Relayed frames accepted after a seq gap.\n"
         "# TYPE samband_rollup_city_gaps_total counter\n";
  for (const auto& c : picture["cities"]) {
    out << "samband_rollup_city_gaps_total{city=\"" << labelValue(c["city"].get<std::string>())
        << "\"} " << c["gaps"].get<int64_t>() << '\n';
  }
  out << "# HELP samband_rollup_city_newest_frame_age_seconds Age of the newest relayed "
         "provider frame (the earlier of its sentAt and its receipt); absent: none yet.\n"
         "# TYPE samband_rollup_city_newest_frame_age_seconds gauge\n";
  for (const auto& c : picture["cities"]) {
    if (c["newest_frame_age_s"].is_null()) continue;
    out << "samband_rollup_city_newest_frame_age_seconds{city=\""
        << labelValue(c["city"].get<std::string>()) << "\"} "
        << c["newest_frame_age_s"].get<int64_t>() << '\n';
  }
  return out.str();
}

}  // namespace

void Board::health(const httplib::Request&, httplib::Response& res) {
  auto lease = readPool_.acquire();
  if (!lease) return unavailable(res, lease.error().message);
  auto row = PictureStore(**lease).health();
  if (!row) {
    res.set_header("Retry-After", "5");
    return reply(res, 503, {{"status", "unavailable"}, {"message", row.error().message}});
  }
  reply(res, 200,
        {{"status", "ok"},
         {"time", common::formatRfc3339(clock_.nowMs())},
         {"schema_version", row->schemaVersion},
         {"archived_frames", row->archivedFrames},
         {"connected_agents", metrics_.connectedAgents.load()}});
}

void Board::metricsPage(const httplib::Request& req, httplib::Response& res) {
  if (!options_.metricsToken.empty()) {
    const std::string expected = "Bearer " + options_.metricsToken;
    if (!equalSecret(req.get_header_value("Authorization"), expected)) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"samband-metrics\"");
      return problem(res, 401, "unauthorised",
                     "Send Authorization: Bearer <token from [board] metrics_token_file>");
    }
  }
  // Nothing when the database cannot be read: reported as samband_board_database_up 0.
  auto readGauges = [this]() -> std::optional<DatabaseGauges> {
    auto lease = readPool_.acquire();
    if (!lease) return std::nullopt;
    auto counts = PictureStore(**lease).counts();
    const int64_t now = clock_.nowMs();
    auto active = Sessions(**lease).countActive(now);
    if (!counts || !active) return std::nullopt;
    DatabaseGauges g;
    for (const char* state : {"online", "stale", "offline", "never"}) {
      g.providersByLiveness[state] = 0;
    }
    for (const auto& seen : counts->providerLastSeen) {
      g.providersByLiveness[livenessOf(seen, now, options_.liveness)]++;
    }
    for (const char* state : {"normal", "reduced", "remote", "closed", "relocated", "unknown"}) {
      g.unitsByState[state] = 0;
    }
    for (const auto& [state, n] : counts->unitsByState) g.unitsByState[state] = n;
    g.activeSessions = *active;
    g.archivedFrames = counts->archivedFrames;
    return g;
  };
  const std::optional<DatabaseGauges> gauges = readGauges();
  // The office's gauges are left out (like the database gauges) when they cannot be read; the
  // scrape still answers with the process counters.
  std::string office;
  if (gauges) {
    try {
      auto lease = readPool_.acquire();
      if (lease) {
        const BoardViewRules rules{options_.liveness, options_.reportOldAfterMs, options_.holidays};
        if (auto g = officeGauges(**lease, rules, clock_.nowMs()); g) {
          office = renderOfficeMetrics(*g);
        } else {
          common::logWarn("board",
                          "/metrics: the office's gauges could not be read: " + g.error().message);
        }
      }
    } catch (const std::exception& e) {
      common::logWarn("board", std::string("/metrics: the office's gauges failed: ") + e.what());
    }
  }
  // An upstream broker: its cities (docs/rollup.md), left out when they cannot be read.
  std::string rollup;
  if (options_.tier != "city") {
    auto lease = readPool_.acquire();
    if (lease) {
      if (auto picture = rollupPicture(**lease, options_.liveness, options_.tier, clock_.nowMs())) {
        rollup = renderRollupMetrics(*picture);
      } else {
        common::logWarn("board",
                        "/metrics: the cities could not be read: " + picture.error().message);
      }
    }
  }
  res.set_header("Cache-Control", "no-store");
  res.set_content(
      renderMetrics(metrics_, gauges) + office + rollup + renderBoardCounters(counters_),
      "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace samband::broker
