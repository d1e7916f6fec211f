// See board.h: the picture's read endpoints (/api/picture, units, providers, a provider's
// history, capacity, free seats, what-if marks) and the operator's what-if mark, all rendered by
// BoardView within the session's districts (scopeOf()); the reads of the picture take
// `?as_of=MOMENT` for the picture at a past moment (board_as_of.h).
#include <httplib.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "broker/board/board.h"
#include "broker/board/board_as_of.h"
#include "broker/board/board_http.h"
#include "broker/picture/board_view.h"
#include "common/log.h"
#include "common/vocabulary.h"

namespace samband::broker {

using nlohmann::json;

// form, year and district of /api/seats and /api/seats.csv, plus mode. Errors name the parameter.
common::Result<SeatsFilter> seatsFilter(const httplib::Request& req) {
  SeatsFilter f;
  if (req.has_param("mode")) {
    f.mode = req.get_param_value("mode");
    if (f.mode != "actual" && f.mode != "exercise" && f.mode != "system" && f.mode != "test") {
      return common::invalidInput("mode must be actual, exercise, system or test");
    }
  }
  f.form = req.get_param_value("form");
  if (!f.form.empty()) {
    common::SchoolForm parsed{};
    if (!common::parseSchoolForm(f.form, &parsed)) {
      return common::invalidInput(
          "form must be a school form as the API names it (forskola, forskoleklass, grundskola, "
          "gymnasieskola, fritidshem, anpassad_grundskola, anpassad_gymnasieskola)");
    }
  }
  const std::string year = req.get_param_value("year");
  if (!year.empty()) {
    if (year.size() > 2 || year.find_first_not_of("0123456789") != std::string::npos) {
      return common::invalidInput("year must be a number from 0 to 99 (0: förskoleklass)");
    }
    f.year = std::stoi(year);
  }
  f.district = req.get_param_value("district");
  if (f.district.size() > 200) return common::invalidInput("district is too long (200 bytes)");
  return f;
}

void Board::pictureRoutes() {
  auto& s = *http_;
  const BoardViewRules rules{options_.liveness, options_.reportOldAfterMs, options_.holidays};
  // Runs `body` with a read-only connection and answers 200 with its JSON.
  auto readJson =
      [this, rules](std::function<common::Result<json>(BoardView&, const httplib::Request&)> body) {
        return guarded(Need::viewer, [this, rules, body = std::move(body)](
                                         const httplib::Request& req, httplib::Response& res,
                                         const Session& session) {
                         auto lease = readPool_.acquire();
                         if (!lease) return unavailable(res, lease.error().message);
                         RequestedView requested;
                         if (!viewFor(req, res, **lease, rules, clock_.nowMs(), scopeOf(session),
                                      requested)) {
                           return;
                         }
                         auto answer = body(*requested.view, req);
                         if (!answer) return unavailable(res, answer.error().message);
                         reply(res, 200, *answer);
                       });
      };
  s.Get("/api/picture",
        readJson([](BoardView& v, const httplib::Request&) { return v.picture(); }));
  s.Get("/api/units", readJson([](BoardView& v, const httplib::Request& req) {
          UnitFilter f{req.get_param_value("district"), req.get_param_value("provider"),
                       req.get_param_value("state"), req.get_param_value("form"),
                       req.get_param_value("q")};
          return v.units(f);
        }));
  s.Get("/api/providers",
        readJson([](BoardView& v, const httplib::Request&) { return v.providers(); }));
  s.Get("/api/whatif", readJson([](BoardView& v, const httplib::Request&) { return v.whatIf(); }));
  s.Get("/api/capacity",
        guarded(Need::viewer, [this, rules](const httplib::Request& req, httplib::Response& res,
                                            const Session& session) {
          std::string mode = req.has_param("mode") ? req.get_param_value("mode") : "actual";
          if (mode != "actual" && mode != "exercise" && mode != "system" && mode != "test") {
            return problem(res, 400, "invalid_input",
                           "mode must be actual, exercise, system or test");
          }
          auto lease = readPool_.acquire();
          if (!lease) return unavailable(res, lease.error().message);
          RequestedView requested;
          if (!viewFor(req, res, **lease, rules, clock_.nowMs(), scopeOf(session), requested)) {
            return;
          }
          auto answer = requested.view->capacity(mode);
          if (!answer) return unavailable(res, answer.error().message);
          reply(res, 200, *answer);
        }));
  s.Get("/api/seats", guarded(Need::viewer, [this, rules](const httplib::Request& req,
                                                          httplib::Response& res,
                                                          const Session& session) {
          auto filter = seatsFilter(req);
          if (!filter) return problem(res, 400, "invalid_input", filter.error().message);
          auto lease = readPool_.acquire();
          if (!lease) return unavailable(res, lease.error().message);
          RequestedView requested;
          if (!viewFor(req, res, **lease, rules, clock_.nowMs(), scopeOf(session), requested)) {
            return;
          }
          auto answer = requested.view->seats(*filter);
          if (!answer) return unavailable(res, answer.error().message);
          reply(res, 200, *answer);
        }));
  s.Get("/api/seats.csv",
        guarded(Need::viewer, [this](const httplib::Request& req, httplib::Response& res,
                                     const Session& session) { exportSeatsCsv(req, res, session); }));
  s.Get(R"(/api/providers/([^/]+))",
        guarded(Need::viewer, [this, rules](const httplib::Request& req, httplib::Response& res,
                                            const Session& session) {
          const std::string id = req.matches[1];
          int64_t before = clampParam(req, "before", 0, 0, INT64_MAX);
          int limit = static_cast<int>(clampParam(req, "limit", 50, 1, 500));
          auto lease = readPool_.acquire();
          if (!lease) return unavailable(res, lease.error().message);
          RequestedView requested;
          if (!viewFor(req, res, **lease, rules, clock_.nowMs(), scopeOf(session), requested)) {
            return;
          }
          auto detail = requested.view->provider(id, before, limit);
          if (!detail) return unavailable(res, detail.error().message);
          if (!*detail) {
            return problem(res, 404, "not_found",
                           "No provider with that id; list them with GET /api/providers");
          }
          reply(res, 200, **detail);
        }));
  s.Get("/api/export.csv",
        guarded(Need::viewer, [this](const httplib::Request& req, httplib::Response& res,
                                     const Session& session) { exportCsv(req, res, session); }));
  s.Get("/api/events",
        guarded(Need::viewer, [this](const httplib::Request& req, httplib::Response& res,
                                     const Session&) { events(req, res); }));
  s.Post(R"(/api/units/([0-9]{8})/what-if)",
         guarded(Need::operatorPost, [this](const httplib::Request& req, httplib::Response& res,
                                            const Session& session) {
           json body = json::parse(req.body, nullptr, false);
           if (!isJsonRequest(req) || !body.is_object() || !body.contains("failing") ||
               !body["failing"].is_boolean()) {
             return problem(res, 400, "invalid_input",
                            "Send Content-Type: application/json with {\"failing\": true} or "
                            "{\"failing\": false}");
           }
           const std::string code = req.matches[1];
           const bool failing = body["failing"].get<bool>();
           const BoardViewRules rules{options_.liveness, options_.reportOldAfterMs,
                                      options_.holidays};
           {
             // A district-limited operator marks only units they can see; others are unknown.
             auto lease = readPool_.acquire();
             if (!lease) return unavailable(res, lease.error().message);
             auto visible =
                 BoardView(**lease, rules, clock_.nowMs(), scopeOf(session)).unitVisible(code);
             if (!visible) return unavailable(res, visible.error().message);
             if (!*visible) {
               return problem(res, 404, "not_found",
                              "there is no unit " + code + " among your units; check the code");
             }
           }
           {
             auto lease = writePool_.acquire();
             if (!lease) return unavailable(res, lease.error().message);
             auto st = setWhatIfFailing(**lease, code, failing, session.userName, clock_.nowMs());
             if (!st) {
               if (st.error().kind == common::ErrorKind::notFound) {
                 return problem(res, 404, "not_found", st.error().message);
               }
               return unavailable(res, st.error().message);
             }
           }
           common::logInfo("board", session.userName + (failing ? " marked" : " unmarked") +
                                        " unit " + code + " as failing (what-if)");
           watch_.poke();
           auto lease = readPool_.acquire();
           if (!lease) return unavailable(res, lease.error().message);
           auto marks = BoardView(**lease, rules, clock_.nowMs(), scopeOf(session)).whatIf();
           if (!marks) return unavailable(res, marks.error().message);
           reply(res, 200, *marks);
         }));
}

}  // namespace samband::broker
