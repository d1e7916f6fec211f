// Board::cityRoutes() (declared in board.h): the board's part in the city's work — today's
// readiness check and its history, directives (operators send them, signed with the city
// identity by sendDirective(), exactly as `samband-broker directive send`), and the takeover
// plan with the contingency ranking. Every route goes through Board::guarded(), like the rest of
// the API; shapes and errors are in docs/api.md.
#include <httplib.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "broker/board/board.h"
#include "broker/board/board_directives.h"
#include "broker/board/board_http.h"
#include "broker/board/board_readiness.h"
#include "broker/city/city_chain.h"
#include "broker/city/directives.h"
#include "broker/picture/planning_source.h"
#include "broker/picture/rollup_view.h"
#include "broker/planning/planning_data.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/vocabulary.h"

namespace samband::broker {

using nlohmann::json;

namespace {

bool isCheckId(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
      return false;
  }
  return true;
}

// horizon=now|72h and max_km=N of /api/plan and /api/contingency. Errors name the parameter.
common::Result<PlanOptions> planOptions(const httplib::Request& req) {
  PlanOptions o;
  if (req.has_param("horizon")) {
    const std::string h = req.get_param_value("horizon");
    if (h == "now") {
      o.horizon = Horizon::kNow;
    } else if (h == "72h") {
      o.horizon = Horizon::kWithin72h;
    } else {
      return common::invalidInput("horizon must be now (seats free now) or 72h (within 72 h)");
    }
  }
  if (req.has_param("max_km")) {
    const std::string text = req.get_param_value("max_km");
    double km = 0;
    size_t used = 0;
    try {
      km = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || !std::isfinite(km) || km <= 0 || km > 1000) {
      return common::invalidInput("max_km must be a number of kilometres above 0 and at most 1000");
    }
    o.maxKm = km;
  }
  if (req.has_param("fill")) {
    const std::string text = req.get_param_value("fill");
    double fill = 0;
    size_t used = 0;
    try {
      fill = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || !std::isfinite(fill) || fill <= 0 || fill > 1) {
      return common::invalidInput(
          "fill must be a share above 0 and at most 1 (0.95: use at most 95% of free seats)");
    }
    o.fill = fill;
  }
  return o;
}

// include_reduced and include_closed: "1" or "0" (the default). Errors: invalidInput.
common::Result<ScopeRules> scopeRules(const httplib::Request& req) {
  ScopeRules rules;
  for (const auto& [name, out] : {std::pair{"include_reduced", &rules.includeReduced},
                                  std::pair{"include_closed", &rules.includeClosed}}) {
    const std::string v = req.has_param(name) ? req.get_param_value(name) : "0";
    if (v != "0" && v != "1") {
      return common::invalidInput(std::string(name) + " must be 1 or 0 (the default)");
    }
    *out = v == "1";
  }
  return rules;
}

}  // namespace

void Board::cityRoutes() {
  auto& s = *http_;

  // ------------------------------------------------------------------ pictures that roll up
  // An upstream (county or national) broker's cities (docs/rollup.md); on a city broker the
  // list is empty. /rollup is the page: cities, then one city's providers and units.
  s.Get("/api/rollup", guarded(Need::viewer, [this](const httplib::Request&, httplib::Response& res,
                                                    const Session&) {
          auto lease = readPool_.acquire();
          if (!lease) return unavailable(res, lease.error().message);
          auto r = rollupPicture(**lease, options_.liveness, options_.tier, clock_.nowMs());
          if (!r) return unavailable(res, r.error().message);
          reply(res, 200, *r);
        }));
  s.Get("/rollup", [this](const httplib::Request& req, httplib::Response& res) {
    asset(req, res, "/rollup.html");
  });

  // ------------------------------------------------------------------ readiness checks
  s.Get("/api/readiness", guarded(Need::viewer, [this](const httplib::Request& req,
                                                       httplib::Response& res, const Session&) {
          std::optional<std::string> check;
          if (req.has_param("check")) {
            check = req.get_param_value("check");
            if (!isCheckId(*check)) {
              return problem(res, 400, "invalid_input",
                             "check must be a check id such as rc-2026-11-25-a1b2c3; list them "
                             "with GET /api/readiness/history");
            }
          }
          auto lease = readPool_.acquire();
          if (!lease) return unavailable(res, lease.error().message);
          auto r = boardReadiness(**lease, check, clock_.nowMs());
          if (!r) {
            if (r.error().kind == common::ErrorKind::notFound) {
              return problem(
                  res, 404, "not_found",
                  r.error().message + "; list the checks with GET /api/readiness/history");
            }
            return unavailable(res, r.error().message);
          }
          reply(res, 200, *r);
        }));
  s.Get("/api/readiness/history",
        guarded(Need::viewer,
                [this](const httplib::Request& req, httplib::Response& res, const Session&) {
                  const int limit = static_cast<int>(clampParam(req, "limit", 14, 1, 60));
                  const bool rates = req.get_param_value("rates") == "1";
                  auto lease = readPool_.acquire();
                  if (!lease) return unavailable(res, lease.error().message);
                  auto r = boardReadinessHistory(**lease, limit, rates, clock_.nowMs());
                  if (!r) return unavailable(res, r.error().message);
                  reply(res, 200, *r);
                }));

  // ------------------------------------------------------------------ directives
  s.Get("/api/directives", guarded(Need::viewer, [this](const httplib::Request& req,
                                                        httplib::Response& res, const Session&) {
          const int limit = static_cast<int>(clampParam(req, "limit", 50, 1, 500));
          auto lease = readPool_.acquire();
          if (!lease) return unavailable(res, lease.error().message);
          auto r = boardDirectives(**lease, limit, clock_.nowMs());
          if (!r) return unavailable(res, r.error().message);
          reply(res, 200, *r);
        }));
  s.Get(R"(/api/directives/(D-[0-9]{1,12}))",
        guarded(Need::viewer,
                [this](const httplib::Request& req, httplib::Response& res, const Session&) {
                  const std::string id = req.matches[1];
                  auto lease = readPool_.acquire();
                  if (!lease) return unavailable(res, lease.error().message);
                  auto r = directiveStatus(**lease, id, clock_.nowMs());
                  if (!r) {
                    if (r.error().kind == common::ErrorKind::notFound) {
                      return problem(res, 404, "not_found",
                                     "No directive " + id + "; list them with GET /api/directives");
                    }
                    return unavailable(res, r.error().message);
                  }
                  reply(res, 200, {{"directive", (*r)[0]}});
                }));
  s.Post("/api/directives",
         guarded(Need::operatorPost, [this](const httplib::Request& req, httplib::Response& res,
                                            const Session& session) {
           json body = json::parse(req.body, nullptr, false);
           if (!isJsonRequest(req) || !body.is_object()) {
             return problem(res, 400, "invalid_input",
                            "Send Content-Type: application/json with {\"to\": \"all\", \"text\": "
                            "\"...\", \"mode\": \"actual\"} (fields in docs/api.md)");
           }
           auto lease = writePool_.acquire();
           if (!lease) return unavailable(res, lease.error().message);
           auto enrolled = enrolledProviders(**lease);
           if (!enrolled) return unavailable(res, enrolled.error().message);
           auto options = parseDirectiveRequest(body, *enrolled);
           if (!options) return problem(res, 400, "invalid_input", options.error().message);
           if (city_ == nullptr) {
             res.set_header("Retry-After", "60");
             return problem(res, 503, "unavailable",
                            "This board was started without the city identity and cannot sign "
                            "directives; use 'samband-broker directive send'");
           }
           const int64_t now = clock_.nowMs();
           auto id = sendDirective(**lease, *city_, *options, now);
           if (!id) {
             if (id.error().kind == common::ErrorKind::invalidInput) {
               return problem(res, 400, "invalid_input", id.error().message);
             }
             return unavailable(res, id.error().message);
           }
           common::logInfo("board", session.userName + " sent directive " + *id + " to " +
                                        (options->to.empty() ? std::string("every provider")
                                                             : std::to_string(options->to.size()) +
                                                                   " provider(s)") +
                                        " (mode " + common::modeName(options->mode) + ", level " +
                                        common::levelName(options->level) + ")");
           watch_.poke();
           auto status = directiveStatus(**lease, *id, now);
           if (!status) return unavailable(res, status.error().message);
           reply(res, 201, {{"directive", (*status)[0]}});
         }));

  // ------------------------------------------------------------------ takeover planning
  s.Get("/api/plan", guarded(Need::viewer, [this](const httplib::Request& req,
                                                  httplib::Response& res, const Session& session) {
          auto options = planOptions(req);
          if (!options) return problem(res, 400, "invalid_input", options.error().message);
          auto rules = scopeRules(req);
          if (!rules) return problem(res, 400, "invalid_input", rules.error().message);
          const std::string whatIf =
              req.has_param("what_if") ? req.get_param_value("what_if") : "1";
          if (whatIf != "0" && whatIf != "1") {
            return problem(res, 400, "invalid_input",
                           "what_if must be 1 (include the units marked failing for planning, the "
                           "default) or 0 (only units that really fail)");
          }
          rules->includeWhatIf = whatIf == "1";
          const int64_t now = clock_.nowMs();
          common::Result<PlanningData> data = common::unavailable("not read");
          {
            auto lease = readPool_.acquire();
            if (!lease) return unavailable(res, lease.error().message);
            data = loadPlanningData(**lease, now, options_.holidays);
          }
          if (!data) return unavailable(res, data.error().message);
          // A district-limited user plans within their districts: no other unit enters.
          scopeOf(session).restrictPlanningData(*data);
          auto plan = boardPlan(*data, *options, *rules);
          if (!plan) return problem(res, 500, "internal", plan.error().message);
          json out = std::move(*plan);
          out["generated_at"] = common::formatRfc3339(now);
          reply(res, 200, out);
        }));
  s.Get("/api/contingency",
        guarded(Need::viewer, [this](const httplib::Request& req, httplib::Response& res,
                                     const Session& session) {
          auto options = planOptions(req);
          if (!options) return problem(res, 400, "invalid_input", options.error().message);
          auto rules = scopeRules(req);
          if (!rules) return problem(res, 400, "invalid_input", rules.error().message);
          const int64_t now = clock_.nowMs();
          common::Result<PlanningData> data = common::unavailable("not read");
          {
            auto lease = readPool_.acquire();
            if (!lease) return unavailable(res, lease.error().message);
            data = loadPlanningData(**lease, now, options_.holidays);
          }
          if (!data) return unavailable(res, data.error().message);
          scopeOf(session).restrictPlanningData(*data);
          // The database connection is back in the pool while the ranking is computed.
          auto ranking = contingency_.ranking(*data, *options, *rules, now);
          if (!ranking) return problem(res, 500, "internal", ranking.error().message);
          json out = std::move(*ranking);
          out["generated_at"] = common::formatRfc3339(now);
          reply(res, 200, out);
        }));
}

}  // namespace samband::broker
