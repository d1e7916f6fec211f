// See board.h. Every data endpoint goes through guarded(); the page, /healthz and /metrics do
// not (docs/board.md says why). Responses carry a strict Content-Security-Policy: the page runs
// only its own script and renders provider text with textContent.
#include "broker/board/board.h"

#include <chrono>

#include <SQLiteCpp/Statement.h>
#include <httplib.h>
#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "broker/accounts/login_throttle.h"
#include "broker/accounts/users.h"
#include "broker/board/board_assets.h"
#include "broker/board/board_http.h"
#include "broker/metrics/metrics_text.h"
#include "broker/picture/board_view.h"
#include "broker/picture/view.h"
#include "common/clock.h"
#include "common/log.h"

namespace samband::broker {

using nlohmann::json;

namespace {

constexpr size_t kMaxBodyBytes = 16 * 1024;
constexpr int kMaxConcurrentVerifications = 2;

std::string cookieValue(const httplib::Request& req, const std::string& name) {
  for (size_t i = 0; i < req.get_header_value_count("Cookie"); ++i) {
    const std::string header = req.get_header_value("Cookie", i);
    size_t pos = 0;
    while (pos < header.size()) {
      size_t end = header.find(';', pos);
      if (end == std::string::npos) end = header.size();
      std::string part = header.substr(pos, end - pos);
      size_t start = part.find_first_not_of(' ');
      if (start != std::string::npos) part = part.substr(start);
      if (part.size() > name.size() && part.compare(0, name.size(), name) == 0 &&
          part[name.size()] == '=') {
        return part.substr(name.size() + 1);
      }
      pos = end + 1;
    }
  }
  return "";
}

bool equalSecret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string compactStamp(int64_t ms) {
  // "2026-11-25T10:46:20.123Z" -> "20261125-1046"
  std::string t = common::formatRfc3339(ms);
  std::string out;
  for (char c : t.substr(0, 16)) {
    if (c >= '0' && c <= '9') out += c;
    if (c == 'T') out += '-';
  }
  return out;
}

common::RateLimiter& loginLogLimiter() {
  // Shared by all boards of the process; only rate-limits log lines.
  static common::RateLimiter limiter(5);
  return limiter;
}

}  // namespace

Board::Board(BoardOptions options, Metrics& metrics, const common::Clock& clock,
             const common::Identity& city)
    : Board(std::move(options), metrics, clock) {
  city_ = &city;
}

Board::Board(BoardOptions options, Metrics& metrics, const common::Clock& clock)
    : options_(std::move(options)),
      metrics_(metrics),
      clock_(clock),
      readPool_(options_.databasePath, Store::Access::readOnly,
                static_cast<size_t>(options_.threads)),
      writePool_(options_.databasePath, Store::Access::readWrite, 2),
      watch_(options_.databasePath, options_.liveness, clock) {}

Board::~Board() { stop(); }

common::Status Board::start() {
  if (started_) return {};
  const std::string where = options_.configPath + ": [board] listen = \"" + options_.listen + "\"";
  // Fail at startup, not at the first request, when the database is missing or too old.
  {
    auto lease = readPool_.acquire();
    if (!lease)
      return common::unavailable("the board cannot read the database: " + lease.error().message);
  }
  if (!options_.tlsCert.empty()) {
    auto ssl =
        std::make_unique<httplib::SSLServer>(options_.tlsCert.c_str(), options_.tlsKey.c_str());
    if (!ssl->is_valid()) {
      return common::invalidInput(options_.configPath + ": [board] tls_cert = \"" +
                                  options_.tlsCert + "\" and tls_key = \"" + options_.tlsKey +
                                  "\" could not be loaded; check that both are readable PEM files "
                                  "and that the key matches the certificate");
    }
    http_ = std::move(ssl);
  } else {
    http_ = std::make_unique<httplib::Server>();
  }
  const size_t threads = static_cast<size_t>(options_.threads);
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib's default also sets SO_REUSEPORT, which would let a second broker share the port
  // and take half the requests; a busy port must be a startup error instead.
  http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  http_->set_payload_max_length(kMaxBodyBytes);
  http_->set_keep_alive_timeout(2);
  http_->set_read_timeout(10);
  http_->set_write_timeout(10);
  httplib::Headers headers{
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'"},
      {"X-Frame-Options", "DENY"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"}};
  if (!options_.tlsCert.empty()) {
    headers.emplace("Strict-Transport-Security", "max-age=31536000");
  }
  http_->set_default_headers(headers);
  routes();

  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ <= 0) {
      return common::unavailable("cannot listen on " + where +
                                 ": the host is not an address of this machine; fix the key");
    }
  } else {
    if (!http_->bind_to_port(options_.host, options_.port)) {
      return common::unavailable(
          "cannot listen on " + where +
          ": the port is in use or the address is not on this machine; stop the other program "
          "on that port or choose another address in [board] listen");
    }
    port_ = options_.port;
  }
  watch_.start();
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // httplib's stop() does nothing until the listening thread has marked itself running, and a
  // stop() that came earlier would leave that thread accepting forever (and join() hanging).
  // Wait for it; this version of httplib has no wait_until_ready().
  const auto readyBy = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!http_->is_running() && std::chrono::steady_clock::now() < readyBy) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!http_->is_running()) {
    http_->stop();
    if (thread_.joinable()) thread_.join();
    watch_.stop();
    return common::unavailable("the board's HTTP server did not start on " + where +
                               "; check the address in [board] listen and start again");
  }
  started_ = true;
  common::logInfo("board",
                  std::string("serving the board on ") +
                      (options_.tlsCert.empty() ? "http://" : "https://") +
                      (options_.host.find(':') != std::string::npos ? "[" + options_.host + "]"
                                                                    : options_.host) +
                      ":" + std::to_string(port_) + "/");
  return {};
}

void Board::stop() {
  if (!started_) return;
  started_ = false;
  watch_.stop();  // ends every live stream at its next wake-up
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

const std::string& Board::dummyHash() {
  // Verifying against this for unknown names makes them take as long as known ones.
  std::call_once(dummyOnce_, [this] {
    auto h = hashPassword(randomToken());
    dummyHash_ = h ? *h : std::string();
  });
  return dummyHash_;
}

bool Board::isSameOrigin(const httplib::Request& req) const {
  // Browsers send Sec-Fetch-Site and Origin on POST; a request from another site is refused.
  // Non-browser clients send neither and must still present the session's CSRF token.
  std::string site = req.get_header_value("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin" && site != "none") return false;
  std::string origin = req.get_header_value("Origin");
  if (origin.empty()) return true;
  auto scheme = origin.find("://");
  if (scheme == std::string::npos) return false;
  return origin.substr(scheme + 3) == req.get_header_value("Host");
}

std::string Board::sessionCookie(const std::string& token, int64_t maxAgeS) const {
  std::string c = std::string(kSessionCookie) + "=" + token +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(maxAgeS);
  if (options_.secureCookies) c += "; Secure";
  return c;
}

std::function<void(const httplib::Request&, httplib::Response&)> Board::guarded(
    Need need, SessionHandler handler) {
  return [this, need, handler = std::move(handler)](const httplib::Request& req,
                                                    httplib::Response& res) {
    try {
      std::optional<Session> session;
      {
        auto lease = readPool_.acquire();
        if (!lease) return unavailable(res, lease.error().message);
        auto found = Sessions(**lease).find(cookieValue(req, kSessionCookie), clock_.nowMs());
        if (!found) return unavailable(res, found.error().message);
        session = std::move(*found);
      }
      if (!session) {
        return problem(res, 401, "unauthorised",
                       "Not logged in, or the session has expired: log in on the board's start "
                       "page (or POST /api/login) and send the session cookie");
      }
      if (need != Need::viewer) {
        if (need == Need::operatorPost && session->role != Role::operator_) {
          return problem(res, 403, "forbidden",
                         "This action needs the operator role; your account is a viewer. Ask "
                         "an administrator to give you an operator account");
        }
        if (!isSameOrigin(req)) {
          return problem(res, 403, "cross_origin",
                         "Refused: the request came from another site. Use the board itself");
        }
        if (!equalSecret(req.get_header_value("X-CSRF-Token"), session->csrfToken)) {
          return problem(res, 403, "csrf",
                         "Missing or wrong X-CSRF-Token header; read csrf_token from "
                         "GET /api/session and send it with every POST");
        }
      }
      res.set_header("Cache-Control", "no-store");
      handler(req, res, *session);
    } catch (const std::exception& e) {
      unavailable(res, e.what());
    }
  };
}

void Board::routes() {
  auto& s = *http_;
  for (const char* path : {"/", "/index.html"}) {
    s.Get(path, [this](const httplib::Request& req, httplib::Response& res) {
      asset(req, res, "/index.html");
    });
  }
  s.Get(R"(/(board\.js|board\.css|icon\.svg))",
        [this](const httplib::Request& req, httplib::Response& res) { asset(req, res, req.path); });
  s.Get("/healthz",
        [this](const httplib::Request& req, httplib::Response& res) { health(req, res); });
  s.Get("/metrics",
        [this](const httplib::Request& req, httplib::Response& res) { metricsPage(req, res); });
  s.Post("/api/login",
         [this](const httplib::Request& req, httplib::Response& res) { login(req, res); });
  s.Post("/api/logout",
         guarded(Need::viewerPost, [this](const httplib::Request& req, httplib::Response& res,
                                          const Session&) { logout(req, res); }));
  s.Get("/api/session", guarded(Need::viewer, [](const httplib::Request&, httplib::Response& res,
                                                 const Session& session) {
          reply(res, 200,
                {{"name", session.userName},
                 {"role", roleName(session.role)},
                 {"csrf_token", session.csrfToken},
                 {"expires_at", common::formatRfc3339(session.expiresAt)}});
        }));

  const BoardViewRules rules{options_.liveness, options_.reportOldAfterMs};
  // Runs `body` with a read-only connection and answers 200 with its JSON.
  auto readJson = [this, rules](std::function<json(BoardView&, const httplib::Request&)> body) {
    return guarded(Need::viewer,
                   [this, rules, body = std::move(body)](const httplib::Request& req,
                                                         httplib::Response& res, const Session&) {
                     auto lease = readPool_.acquire();
                     if (!lease) return unavailable(res, lease.error().message);
                     BoardView view(**lease, rules, clock_.nowMs());
                     reply(res, 200, body(view, req));
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
                                            const Session&) {
          std::string mode = req.has_param("mode") ? req.get_param_value("mode") : "actual";
          if (mode != "actual" && mode != "exercise" && mode != "system" && mode != "test") {
            return problem(res, 400, "invalid_input",
                           "mode must be actual, exercise, system or test");
          }
          auto lease = readPool_.acquire();
          if (!lease) return unavailable(res, lease.error().message);
          reply(res, 200, BoardView(**lease, rules, clock_.nowMs()).capacity(mode));
        }));
  s.Get(R"(/api/providers/([^/]+))",
        guarded(Need::viewer, [this, rules](const httplib::Request& req, httplib::Response& res,
                                            const Session&) {
          const std::string id = req.matches[1];
          int64_t before = clampParam(req, "before", 0, 0, INT64_MAX);
          int limit = static_cast<int>(clampParam(req, "limit", 50, 1, 500));
          auto lease = readPool_.acquire();
          if (!lease) return unavailable(res, lease.error().message);
          auto detail = BoardView(**lease, rules, clock_.nowMs()).provider(id, before, limit);
          if (!detail) {
            return problem(res, 404, "not_found",
                           "No provider with that id; list them with GET /api/providers");
          }
          reply(res, 200, *detail);
        }));
  s.Get("/api/export.csv",
        guarded(Need::viewer, [this, rules](const httplib::Request& req, httplib::Response& res,
                                            const Session&) {
          auto lease = readPool_.acquire();
          if (!lease) return unavailable(res, lease.error().message);
          const int64_t now = clock_.nowMs();
          std::string csv = BoardView(**lease, rules, now).csv();
          std::string name = "samband-" + compactStamp(now);
          if (req.get_param_value("excel") == "1") {
            // Swedish Excel expects semicolons and needs the BOM to read UTF-8.
            std::string out = "\xEF\xBB\xBF";
            bool quoted = false;
            for (char c : csv) {
              if (c == '"') quoted = !quoted;
              out += (c == ',' && !quoted) ? ';' : c;
            }
            csv = std::move(out);
            name += "-excel";
          }
          res.set_header("Content-Disposition", "attachment; filename=\"" + name + ".csv\"");
          res.set_content(csv, "text/csv; charset=utf-8");
        }));
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
           reply(res, 200,
                 BoardView(**lease, {options_.liveness, options_.reportOldAfterMs}, clock_.nowMs())
                     .whatIf());
         }));
  cityRoutes();
  // Unknown API paths: 401 before login (nothing about the API leaks), 404 after.
  auto notFound =
      guarded(Need::viewer, [](const httplib::Request&, httplib::Response& res, const Session&) {
        problem(res, 404, "not_found", "No such endpoint; see docs/api.md");
      });
  s.Get(R"(/api/.*)", notFound);
  s.Post(R"(/api/.*)", notFound);
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    problem(res, 500, "internal",
            "The board failed on this request; the broker's log says more. Reload to retry");
  });
}

void Board::asset(const httplib::Request& req, httplib::Response& res, const std::string& path) {
  const BoardAsset* a = findBoardAsset(path);
  if (a == nullptr) {
    res.status = 404;
    return;
  }
  res.set_header("ETag", a->etag);
  res.set_header("Cache-Control", "no-cache");
  if (req.get_header_value("If-None-Match") == a->etag) {
    res.status = 304;
    return;
  }
  res.set_content(reinterpret_cast<const char*>(a->data), a->size, a->contentType);
}

void Board::health(const httplib::Request&, httplib::Response& res) {
  try {
    auto lease = readPool_.acquire();
    if (!lease) return unavailable(res, lease.error().message);
    auto& db = lease->db();
    int64_t frames = db.execAndGet("SELECT coalesce(max(id), 0) FROM frames").getInt64();
    int version = db.execAndGet("PRAGMA user_version").getInt();
    reply(res, 200,
          {{"status", "ok"},
           {"time", common::formatRfc3339(clock_.nowMs())},
           {"schema_version", version},
           {"archived_frames", frames},
           {"connected_agents", metrics_.connectedAgents.load()}});
  } catch (const std::exception& e) {
    res.set_header("Retry-After", "5");
    reply(res, 503, {{"status", "unavailable"}, {"message", e.what()}});
  }
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
  std::optional<DatabaseGauges> gauges;
  try {
    auto lease = readPool_.acquire();
    if (lease) {
      auto& db = lease->db();
      DatabaseGauges g;
      for (const char* state : {"online", "stale", "offline", "never"}) {
        g.providersByLiveness[state] = 0;
      }
      const int64_t now = clock_.nowMs();
      SQLite::Statement p(db, "SELECT last_seen FROM providers");
      while (p.executeStep()) {
        std::optional<int64_t> seen;
        if (!p.getColumn(0).isNull()) seen = p.getColumn(0).getInt64();
        g.providersByLiveness[livenessOf(seen, now, options_.liveness)]++;
      }
      for (const char* state : {"normal", "reduced", "remote", "closed", "relocated", "unknown"}) {
        g.unitsByState[state] = 0;
      }
      SQLite::Statement u(db,
                          "SELECT coalesce(s.operational, 'unknown'), count(*) FROM units u "
                          "LEFT JOIN unit_status s ON s.code=u.code AND s.mode='actual' "
                          "GROUP BY 1");
      while (u.executeStep())
        g.unitsByState[u.getColumn(0).getString()] = u.getColumn(1).getInt64();
      auto active = Sessions(**lease).countActive(now);
      if (!active) throw std::runtime_error(active.error().message);
      g.activeSessions = *active;
      g.archivedFrames = db.execAndGet("SELECT coalesce(max(id), 0) FROM frames").getInt64();
      gauges = std::move(g);
    }
  } catch (const std::exception&) {
    gauges.reset();  // reported as samband_board_database_up 0
  }
  res.set_header("Cache-Control", "no-store");
  res.set_content(renderMetrics(metrics_, gauges), "text/plain; version=0.0.4; charset=utf-8");
}

void Board::login(const httplib::Request& req, httplib::Response& res) {
  if (!isSameOrigin(req)) {
    return problem(res, 403, "cross_origin",
                   "Refused: the login came from another site. Log in on the board itself");
  }
  json body = json::parse(req.body, nullptr, false);
  if (!isJsonRequest(req) || !body.is_object() || !body.contains("name") ||
      !body.contains("password") || !body["name"].is_string() || !body["password"].is_string()) {
    return problem(res, 400, "invalid_input",
                   "Send Content-Type: application/json with {\"name\": ..., \"password\": ...}");
  }
  std::string name = body["name"].get<std::string>();
  std::string password = body["password"].get<std::string>();
  body = json();
  const std::string addr = req.remote_addr;
  try {
    auto lease = writePool_.acquire();
    if (!lease) return unavailable(res, lease.error().message);
    LoginThrottle throttle(**lease);
    auto waitMs = throttle.waitMs(name, addr, clock_.nowMs());
    if (!waitMs) {
      sodium_memzero(password.data(), password.size());
      return unavailable(res, waitMs.error().message);
    }
    if (int64_t wait = *waitMs; wait > 0) {
      int64_t seconds = (wait + 999) / 1000;
      res.set_header("Retry-After", std::to_string(seconds));
      return reply(res, 429,
                   {{"error", "too_many_attempts"},
                    {"retry_after_s", seconds},
                    {"message", "Too many failed logins. Wait " + std::to_string(seconds) +
                                    " s and try again"}});
    }
    auto found = Users(**lease).find(name);
    if (!found) {
      sodium_memzero(password.data(), password.size());
      return unavailable(res, found.error().message);
    }
    const std::optional<Credentials>& user = *found;
    bool ok = false;
    {
      std::unique_lock<std::mutex> lock(verifyMutex_);
      verifyFree_.wait(lock, [&] { return verifying_ < kMaxConcurrentVerifications; });
      ++verifying_;
    }
    ok = verifyPassword(user ? user->passwordHash : dummyHash(), password) && user.has_value();
    {
      std::lock_guard<std::mutex> lock(verifyMutex_);
      --verifying_;
    }
    verifyFree_.notify_one();
    const int64_t now = clock_.nowMs();
    if (!ok) {
      sodium_memzero(password.data(), password.size());
      if (auto s = throttle.recordFailure(name, addr, now); !s) {
        return unavailable(res, s.error().message);
      }
      uint64_t suppressed = 0;
      if (loginLogLimiter().allow(now, &suppressed)) {
        common::logWarn("board", "failed login from " + addr +
                                     (suppressed ? " (" + std::to_string(suppressed) +
                                                       " earlier lines suppressed)"
                                                 : std::string()));
      }
      return problem(res, 401, "wrong_credentials",
                     "Wrong user name or password. Check both and try again");
    }
    if (auto s = throttle.recordSuccess(name, addr); !s) {
      sodium_memzero(password.data(), password.size());
      return unavailable(res, s.error().message);
    }
    std::optional<std::string> rehash;
    if (passwordNeedsRehash(user->passwordHash)) {
      if (auto h = hashPassword(password); h) rehash = *h;
    }
    sodium_memzero(password.data(), password.size());
    if (auto s = Users(**lease).recordLogin(user->id, now, rehash); !s) {
      return unavailable(res, s.error().message);
    }
    auto created = Sessions(**lease).create(*user, addr, now, options_.sessionTtlMs);
    if (!created) return unavailable(res, created.error().message);
    res.set_header("Set-Cookie", sessionCookie(created->token, options_.sessionTtlMs / 1000));
    common::logInfo("board",
                    "login by " + user->name + " (" + roleName(user->role) + ") from " + addr);
    reply(res, 200,
          {{"name", created->session.userName},
           {"role", roleName(created->session.role)},
           {"csrf_token", created->session.csrfToken},
           {"expires_at", common::formatRfc3339(created->session.expiresAt)}});
  } catch (const std::exception& e) {
    sodium_memzero(password.data(), password.size());
    unavailable(res, e.what());
  }
}

void Board::logout(const httplib::Request& req, httplib::Response& res) {
  auto lease = writePool_.acquire();
  if (!lease) return unavailable(res, lease.error().message);
  if (auto s = Sessions(**lease).end(cookieValue(req, kSessionCookie)); !s) {
    return unavailable(res, s.error().message);
  }
  res.set_header("Set-Cookie", sessionCookie("", 0));
  reply(res, 200, {{"ok", true}});
}

void Board::events(const httplib::Request& req, httplib::Response& res) {
  const int64_t maxStreams = options_.threads / 2;
  if (metrics_.sseClients.load() >= maxStreams) {
    res.set_header("Retry-After", "10");
    return problem(res, 503, "too_many_streams",
                   "Too many live board pages are open (" + std::to_string(maxStreams) +
                       "); close some, or raise [board] threads");
  }
  struct Stream {
    uint64_t seen = 0;
    int64_t lastBeatMs = 0;
    bool greeted = false;
    std::string token;
  };
  auto stream = std::make_shared<Stream>();
  stream->token = cookieValue(req, kSessionCookie);
  stream->lastBeatMs = common::monotonicMs();
  metrics_.sseClients++;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");  // nginx: pass events through at once
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, stream](size_t, httplib::DataSink& sink) {
        auto send = [&](const std::string& text) { return sink.write(text.data(), text.size()); };
        if (!stream->greeted) {
          stream->greeted = true;
          stream->seen = watch_.version();
          return send("retry: 2000\n\nevent: hello\ndata: " +
                      json{{"version", stream->seen}, {"frame_id", watch_.lastFrameId()}}.dump() +
                      "\n\n");
        }
        const int64_t beat = heartbeatMs_.load();
        int64_t untilBeat = std::max<int64_t>(0, stream->lastBeatMs + beat - common::monotonicMs());
        uint64_t v = watch_.waitBeyond(stream->seen, std::chrono::milliseconds(untilBeat));
        if (watch_.isStopping()) {
          sink.done();
          return true;
        }
        if (v > stream->seen) {
          stream->seen = v;
          return send("event: change\ndata: " +
                      json{{"version", v}, {"frame_id", watch_.lastFrameId()}}.dump() + "\n\n");
        }
        if (common::monotonicMs() - stream->lastBeatMs < beat) return true;
        stream->lastBeatMs = common::monotonicMs();
        // The session may have ended (logout, expiry, user removed) while the stream was open.
        bool live = false;
        try {
          auto lease = readPool_.acquire();
          if (!lease) {
            live = false;
          } else if (auto found = Sessions(**lease).find(stream->token, clock_.nowMs()); !found) {
            live = true;  // a database hiccup is not a logout; the next beat checks again
          } else {
            live = found->has_value();
          }
        } catch (const std::exception&) {
          live = true;  // a database hiccup is not a logout; the next beat checks again
        }
        if (!live) {
          send("event: logout\ndata: {}\n\n");
          sink.done();
          return true;
        }
        // A comment keeps proxies from closing the stream; the ping lets the page notice a
        // stream that died silently (EventSource hides comments from scripts).
        return send(": keepalive " + common::formatRfc3339(clock_.nowMs()) +
                    "\nevent: ping\ndata: {}\n\n");
      },
      [this](bool) { metrics_.sseClients--; });
}

}  // namespace samband::broker
