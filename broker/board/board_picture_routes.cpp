// See board.h: the picture's read endpoints (/api/picture, units, providers, a provider's
// history, capacity, free seats, what-if marks) and the operator's what-if mark, all rendered by
// BoardView within the session's districts (scopeOf()); the reads of the picture take
// `?as_of=MOMENT` for the picture at a past moment (board_as_of.h).
#include <httplib.h>

#include <malloc.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "broker/accounts/users.h"
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

namespace {

// `?v=N`: the version of the change event the page answers (0: none, render afresh).
bool wantedVersion(const httplib::Request& req, httplib::Response& res, uint64_t* out) {
  *out = 0;
  const std::string v = req.get_param_value("v");
  if (v.empty()) return true;
  if (v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) {
    problem(res, 400, "invalid_input",
            "v must be the version of a change event from /api/events (a number), or left out");
    return false;
  }
  *out = std::stoull(v);
  return true;
}

// glibc keeps what a big answer's JSON tree freed in the arena of the thread that built it, one
// arena per HTTP thread: give it back after a big render so the resident size stays bounded.
constexpr size_t kTrimAfterBytes = 1u << 20;
// Blocks of 1 MiB and more (an answer's text: 7.7 MiB for 10,000 units) are mapped and unmapped
// on their own. glibc's default threshold grows to the largest block freed, after which such
// answers stay in the per-thread arenas, where malloc_trim did not give them back
// (bench/board_view_bench.cpp: 222 MiB kept after eight at once, 29 MiB with this).
constexpr int kMmapThresholdBytes = 1 << 20;

}  // namespace

void Board::pictureRoutes() {
  // Process-wide, and harmless for the rest of the broker; set where the big answers are made.
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  auto& s = *http_;
  const BoardViewRules rules{options_.liveness, options_.reportOldAfterMs, options_.holidays};
  using Body = std::function<common::Result<json>(BoardView&)>;
  // Writes the JSON text directly (no tree); when set, used for the live picture instead of
  // `body` (which still answers a past moment).
  using Text = std::function<common::Result<std::string>(BoardView&)>;
  // Answers 200 with `body`'s JSON over the session's view. The live picture is rendered once
  // per change version for every viewer with the same role, districts and `params` (the
  // request's filters as parsed) and served from viewCache_ to a request carrying `?v=N`; a
  // request without `v` is rendered afresh, and one for a past moment (`as_of`) is never cached.
  auto serve = [this, rules](const httplib::Request& req, httplib::Response& res,
                             const Session& session, const char* route, std::string params,
                             const Body& body, const Text& textBody = nullptr) {
    if (req.has_param("as_of") && !req.get_param_value("as_of").empty()) {
      auto lease = readPool_.acquire();
      if (!lease) return unavailable(res, lease.error().message);
      RequestedView requested;
      if (!viewFor(req, res, **lease, rules, clock_.nowMs(), scopeOf(session), requested)) {
        return;
      }
      auto answer = body(*requested.view);
      if (!answer) return unavailable(res, answer.error().message);
      return reply(res, 200, *answer);
    }
    uint64_t wanted = 0;
    if (!wantedVersion(req, res, &wanted)) return;
    const uint64_t current = watch_.version();  // before rendering: see BoardViewCache::get
    const int64_t nowMs = clock_.nowMs();
    BoardViewKey key{route, roleName(session.role), session.districts, std::move(params)};
    std::sort(key.districts.begin(), key.districts.end());
    auto bytes = viewCache_.get(key, wanted, current, nowMs, [&]() -> common::Result<std::string> {
      auto lease = readPool_.acquire();
      if (!lease) return lease.error();
      BoardView view(**lease, rules, nowMs, scopeOf(session));
      view.useUnitTexts(&unitTexts_);
      std::string text;
      if (textBody) {
        auto written = textBody(view);
        if (!written) return written.error();
        text = std::move(written).value();
      } else {
        auto answer = body(view);
        if (!answer) return answer.error();
        text = answer->dump();
      }
      if (text.size() >= kTrimAfterBytes) malloc_trim(0);
      return text;
    });
    if (!bytes) return unavailable(res, bytes.error().message);
    res.status = 200;
    res.set_header("Cache-Control", "no-store");
    // Sent from the shared answer itself: no copy of its 7.5 MiB (10,000 units) per request.
    BoardViewCache::Body answer = std::move(bytes).value();
    const size_t size = answer->size();
    res.set_content_provider(size, "application/json; charset=utf-8",
                             [answer](size_t offset, size_t length, httplib::DataSink& sink) {
                               return sink.write(answer->data() + offset, length);
                             });
  };
  auto readJson = [this, serve](const char* route,
                                std::function<std::string(const httplib::Request&)> params,
                                Body body) {
    return guarded(Need::viewer, [serve, route, params = std::move(params), body = std::move(body)](
                                     const httplib::Request& req, httplib::Response& res,
                                     const Session& session) {
      serve(req, res, session, route, params ? params(req) : std::string(), body);
    });
  };
  s.Get("/api/picture",
        guarded(Need::viewer, [serve](const httplib::Request& req, httplib::Response& res,
                                      const Session& session) {
          serve(
              req, res, session, "picture", std::string(), [](BoardView& v) { return v.picture(); },
              [](BoardView& v) { return v.pictureText(); });
        }));
  s.Get("/api/units",
        guarded(Need::viewer, [serve](const httplib::Request& req, httplib::Response& res,
                                      const Session& session) {
          UnitFilter f{req.get_param_value("district"), req.get_param_value("provider"),
                       req.get_param_value("state"), req.get_param_value("form"),
                       req.get_param_value("q")};
          const std::string params =
              json::array({f.district, f.provider, f.state, f.form, f.query}).dump();
          serve(
              req, res, session, "units", params, [f](BoardView& v) { return v.units(f); },
              [f](BoardView& v) { return v.unitsText(f); });
        }));
  s.Get("/api/providers",
        readJson("providers", nullptr, [](BoardView& v) { return v.providers(); }));
  s.Get("/api/whatif", readJson("whatif", nullptr, [](BoardView& v) { return v.whatIf(); }));
  s.Get("/api/capacity",
        guarded(Need::viewer, [serve](const httplib::Request& req, httplib::Response& res,
                                      const Session& session) {
          std::string mode = req.has_param("mode") ? req.get_param_value("mode") : "actual";
          if (mode != "actual" && mode != "exercise" && mode != "system" && mode != "test") {
            return problem(res, 400, "invalid_input",
                           "mode must be actual, exercise, system or test");
          }
          serve(req, res, session, "capacity", mode,
                [mode](BoardView& v) { return v.capacity(mode); });
        }));
  s.Get("/api/seats",
        guarded(Need::viewer, [serve](const httplib::Request& req, httplib::Response& res,
                                      const Session& session) {
          auto filter = seatsFilter(req);
          if (!filter) return problem(res, 400, "invalid_input", filter.error().message);
          const std::string params =
              json::array({filter->mode, filter->form, filter->year, filter->district}).dump();
          serve(req, res, session, "seats", params,
                [f = *filter](BoardView& v) { return v.seats(f); });
        }));
  s.Get(
      "/api/seats.csv",
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
  s.Post(
      R"(/api/units/([0-9]{8})/what-if)",
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
        const BoardViewRules rules{options_.liveness, options_.reportOldAfterMs, options_.holidays};
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
        common::logInfo("board", session.userName + (failing ? " marked" : " unmarked") + " unit " +
                                     code + " as failing (what-if)");
        watch_.poke();
        auto lease = readPool_.acquire();
        if (!lease) return unavailable(res, lease.error().message);
        auto marks = BoardView(**lease, rules, clock_.nowMs(), scopeOf(session)).whatIf();
        if (!marks) return unavailable(res, marks.error().message);
        reply(res, 200, *marks);
      }));
}

}  // namespace samband::broker
