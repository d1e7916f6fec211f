// See form_server.h. Startup and the route table; login and guarded(); the unit's view and the
// two ways in for a report (the page and POST /api/report), both ending in submitReport().
#include "agent/form_server.h"

#include <httplib.h>
#include <sodium.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "agent/api_tokens.h"
#include "agent/database.h"
#include "agent/last_report.h"
#include "agent/last_report_view.h"
#include "agent/link_state.h"
#include "agent/report_json.h"
#include "agent/report_log.h"
#include "agent/report_submit.h"
#include "agent/session_messages.h"
#include "common/log.h"
#include "common/vocabulary.h"
#include "web/embedded_asset.h"
#include "web/gated_server.h"
#include "web/http.h"
#include "web/page_security.h"
#include "web/passwords.h"

namespace samband::agent {

// The page's files, generated into the build tree by web/embed_assets.cmake.
extern const web::EmbeddedAsset kFormAssets[];
extern const size_t kFormAssetsCount;

namespace {

using nlohmann::json;
using web::problem;
using web::reply;

constexpr int64_t kRecentReports = 20;
constexpr const char* kUnitPath = R"(/api/units/([0-9]{8}))";

void unavailable(httplib::Response& res, const std::string& what) {
  res.set_header("Retry-After", "5");
  problem(res, 503, "unavailable",
          "The agent could not read or write its database (" + what +
              "); try again in a moment, and check the agent's log if this persists");
}

json timeOrNull(int64_t ms) { return ms > 0 ? json(common::formatRfc3339(ms)) : json(nullptr); }

std::string unitList(const std::vector<std::string>& units) {
  std::string out;
  for (size_t i = 0; i < units.size(); ++i) out += (i ? ", " : "") + units[i];
  return out;
}

// What the person on duty can do about a refused report.
std::string refusalAdvice(const AgentConfig& config, const std::string& reasonName) {
  for (size_t i = 0; i < common::kRejectReasonCount; ++i) {
    auto reason = static_cast<common::RejectReason>(i);
    if (reasonName == common::rejectReasonName(reason)) return deadLetterAdvice(config, reason);
  }
  return "the broker refused it; tell the provider's IT staff (samband-agent status shows it)";
}

json reportJson(const AgentConfig& config, const LoggedReport& r) {
  json j = {{"id", r.rowId},
            {"seq", r.seq},
            {"kind", r.kind},
            {"mode", r.mode},
            {"state", reportFateName(r.fate)},
            {"sent_at", timeOrNull(r.sentAt)},
            {"queued_at", timeOrNull(r.queuedAt)},
            {"delivered_at", r.deliveredAt ? timeOrNull(*r.deliveredAt) : json(nullptr)},
            {"by", r.source.empty() ? json(nullptr) : json(r.source)}};
  if (r.fate == ReportFate::refused) {
    j["refusal"] = {{"reason", r.refusal},
                    {"detail", r.refusalDetail},
                    {"advice", refusalAdvice(config, r.refusal)},
                    {"refused_at", timeOrNull(r.refusedAt)}};
  } else {
    j["refusal"] = nullptr;
  }
  return j;
}

// The "Bearer TOKEN" of the Authorization header; empty when there is none.
std::string bearerToken(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  if (header.size() < 7) return "";
  std::string scheme = header.substr(0, 7);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return "";
  std::string token = header.substr(7);
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  while (!token.empty() && token.back() == ' ') token.pop_back();
  return token;
}

bool coversEveryUnit(const std::vector<std::string>& units, const AgentConfig& config) {
  for (const auto& u : config.units) {
    if (std::find(units.begin(), units.end(), u) == units.end()) return false;
  }
  return true;
}

}  // namespace

FormServer::FormServer(const AgentConfig& config, const common::Clock& clock)
    : config_(config), settings_(config.form.value_or(FormSettings{})), clock_(clock) {}

FormServer::~FormServer() { stop(); }

std::string FormServer::sessionCookie(const std::string& token, int64_t maxAgeS) const {
  return web::sessionCookie(kFormSessionCookie, token, maxAgeS, settings_.secureCookies);
}

common::Status FormServer::start() {
  if (started_) return {};
  if (sodium_init() < 0) return common::internalError("libsodium could not be initialised");
  const std::string where = config_.configPath + ": [form] listen = \"" + settings_.listen + "\"";
  auto db = openAgentDatabase(config_.outboxPath, OpenMode::createIfMissing);
  if (!db) {
    return common::unavailable("the reporting page cannot open the outbox: " + db.error().message);
  }
  db_ = std::move(*db);
  web::GateLimits limits;
  limits.workers = 8;
  limits.serverName = "reporting page";
  limits.configTable = "form";
  http_ = std::make_unique<web::GatedServer>(limits, counters_);
  // Without SO_REUSEPORT (httplib's default) a second agent could share the port; a busy port
  // must be a startup error instead.
  http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  http_->set_payload_max_length(kMaxReportJsonBytes);
  http_->set_default_headers(web::securityHeaders(false));
  routes();
  if (settings_.port == 0) {
    port_ = http_->bind_to_any_port(settings_.host);
    if (port_ <= 0) {
      return common::unavailable("cannot listen on " + where +
                                 ": the host is not an address of this machine; fix the key");
    }
  } else {
    if (!http_->bind_to_port(settings_.host, settings_.port)) {
      return common::unavailable(
          "cannot listen on " + where +
          ": the port is in use or the address is not on this machine; stop the other program "
          "on that port or choose another address in [form] listen");
    }
    port_ = settings_.port;
  }
  if (auto* gated = dynamic_cast<web::GatedServer*>(http_.get())) gated->widenBacklog();
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // httplib's stop() does nothing until the listening thread runs (see broker/board/board.cpp).
  const auto readyBy = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!http_->is_running() && std::chrono::steady_clock::now() < readyBy) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!http_->is_running()) {
    http_->stop();
    if (thread_.joinable()) thread_.join();
    return common::unavailable("the reporting page did not start on " + where +
                               "; check the address in [form] listen and start again");
  }
  started_ = true;
  const bool v6 = settings_.host.find(':') != std::string::npos;
  common::logInfo("form", "serving the reporting page on http://" +
                              (v6 ? "[" + settings_.host + "]" : settings_.host) + ":" +
                              std::to_string(port_) + "/");
  return {};
}

void FormServer::stop() {
  if (!started_) return;
  started_ = false;
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

void FormServer::routes() {
  auto& s = *http_;
  const std::string assetRoute = web::embeddedAssetRoute(kFormAssets, kFormAssetsCount);
  for (const char* path : {"/", "/index.html"}) {
    s.Get(path, [](const httplib::Request& req, httplib::Response& res) {
      web::serveEmbeddedAsset(req, res,
                              web::findEmbeddedAsset(kFormAssets, kFormAssetsCount, "/index.html"));
    });
  }
  s.Get(assetRoute, [](const httplib::Request& req, httplib::Response& res) {
    web::serveEmbeddedAsset(req, res,
                            web::findEmbeddedAsset(kFormAssets, kFormAssetsCount, req.path));
  });
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, {{"status", "ok"}});
  });
  s.Post("/api/login",
         [this](const httplib::Request& req, httplib::Response& res) { login(req, res); });
  s.Post("/api/logout", guarded(true, [this](const httplib::Request& req, httplib::Response& res,
                                             const FormSession&) { logout(req, res); }));
  s.Get("/api/session", guarded(false, [this](const httplib::Request&, httplib::Response& res,
                                              const FormSession& session) {
          reply(res, 200,
                {{"name", session.userName},
                 {"units", session.units},
                 {"csrf_token", session.csrfToken},
                 {"expires_at", common::formatRfc3339(session.expiresAt)},
                 {"provider", config_.provider},
                 {"provider_name", config_.name}});
        }));
  s.Get(kUnitPath, guarded(false, [this](const httplib::Request& req, httplib::Response& res,
                                         const FormSession& session) {
          unitView(req.matches[1], session, res, true);
        }));
  s.Get(std::string(kUnitPath) + "/reports",
        guarded(false, [this](const httplib::Request& req, httplib::Response& res,
                              const FormSession& session) {
          unitView(req.matches[1], session, res, false);
        }));
  s.Post(std::string(kUnitPath) + "/report",
         guarded(true, [this](const httplib::Request& req, httplib::Response& res,
                              const FormSession& session) { submitFromPage(req, res, session); }));
  s.Post("/api/report",
         [this](const httplib::Request& req, httplib::Response& res) { submitFromApi(req, res); });
  auto notFound = [](const httplib::Request&, httplib::Response& res) {
    problem(res, 404, "not_found", "No such endpoint; see docs/agent.md, 'The reporting page'");
  };
  s.Get(R"(/api/.*)", notFound);
  s.Post(R"(/api/.*)", notFound);
  s.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 413) {
          problem(res, 413, "too_large",
                  "The request body is larger than " + std::to_string(kMaxReportJsonBytes / 1024) +
                      " KiB; send one unit's report at a time");
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      }));
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    problem(res, 500, "internal",
            "The agent failed on this request; its log says more. Reload to retry");
  });
}

FormServer::Handler FormServer::guarded(bool stateChanging, SessionHandler handler) {
  return [this, stateChanging, handler = std::move(handler)](const httplib::Request& req,
                                                             httplib::Response& res) {
    std::optional<FormSession> session;
    {
      std::lock_guard<std::mutex> lock(dbMutex_);
      auto found = FormAccounts(*db_).findSession(web::cookieValue(req, kFormSessionCookie),
                                                  config_, clock_.nowMs());
      if (!found) return unavailable(res, found.error().message);
      session = std::move(*found);
    }
    if (!session) {
      return problem(res, 401, "unauthorised",
                     "Not logged in, or the session has expired: log in on the reporting page");
    }
    if (stateChanging) {
      if (!web::isSameOrigin(req)) {
        return problem(res, 403, "cross_origin",
                       "Refused: the request came from another site. Use the reporting page "
                       "itself");
      }
      if (!web::equalSecret(req.get_header_value("X-CSRF-Token"), session->csrfToken)) {
        return problem(res, 403, "csrf",
                       "Missing or wrong X-CSRF-Token header; read csrf_token from "
                       "GET /api/session and send it with every POST");
      }
    }
    res.set_header("Cache-Control", "no-store");
    handler(req, res, *session);
  };
}

void FormServer::login(const httplib::Request& req, httplib::Response& res) {
  if (!web::isSameOrigin(req)) {
    return problem(res, 403, "cross_origin",
                   "Refused: the login came from another site. Log in on the reporting page");
  }
  json body = json::parse(req.body, nullptr, false);
  if (!web::isJsonRequest(req) || !body.is_object() || !body.contains("name") ||
      !body.contains("password") || !body["name"].is_string() || !body["password"].is_string()) {
    return problem(res, 400, "invalid_input",
                   "Send Content-Type: application/json with {\"name\": ..., \"password\": ...}");
  }
  std::string name = body["name"].get<std::string>();
  std::string password = body["password"].get<std::string>();
  body = json();
  struct Wipe {
    std::string& s;
    ~Wipe() { sodium_memzero(s.data(), s.size()); }
  } wipe{password};
  const std::string addr = req.remote_addr;
  std::optional<FormUser> user;
  {
    // The attempt is reserved (counted as a failure) before the password is checked.
    std::lock_guard<std::mutex> lock(dbMutex_);
    FormAccounts accounts(*db_);
    auto admission = accounts.admitLogin(name, addr, clock_.nowMs());
    if (!admission) return unavailable(res, admission.error().message);
    if (admission->waitMs > 0) {
      const int64_t seconds = web::retryAfterSeconds(*admission);
      res.set_header("Retry-After", std::to_string(seconds));
      return reply(res, 429,
                   {{"error", "too_many_attempts"},
                    {"retry_after_s", seconds},
                    {"scope", web::lockScopeName(admission->lockedBy)},
                    {"message", web::lockMessage(*admission)}});
    }
    auto found = accounts.findUser(name);
    if (!found) return unavailable(res, found.error().message);
    user = std::move(*found);
  }
  const bool ok = passwordChecker_.check(
      user ? std::optional<std::string>(user->passwordHash) : std::nullopt, password);
  if (!ok) {
    common::logWarn("form", "failed login from " + addr);
    return problem(res, 401, "wrong_credentials",
                   "Wrong user name or password. Check both and try again");
  }
  std::optional<std::string> rehash;
  if (web::passwordNeedsRehash(user->passwordHash)) {
    if (auto h = web::hashPassword(password); h) rehash = *h;
  }
  const int64_t now = clock_.nowMs();
  std::lock_guard<std::mutex> lock(dbMutex_);
  FormAccounts accounts(*db_);
  if (auto s = accounts.loginSucceeded(name, addr, now); !s) {
    return unavailable(res, s.error().message);
  }
  if (auto s = accounts.recordLogin(user->id, now, rehash); !s) {
    return unavailable(res, s.error().message);
  }
  auto created = accounts.createSession(*user, addr, now, settings_.sessionTtlMs);
  if (!created) return unavailable(res, created.error().message);
  std::vector<std::string> units;
  for (const auto& u : created->session.units) {
    if (config_.ownsUnit(u)) units.push_back(u);
  }
  res.set_header("Set-Cookie", sessionCookie(created->token, settings_.sessionTtlMs / 1000));
  common::logInfo("form", "login by " + user->name + " from " + addr);
  reply(res, 200,
        {{"name", created->session.userName},
         {"units", units},
         {"csrf_token", created->session.csrfToken},
         {"expires_at", common::formatRfc3339(created->session.expiresAt)},
         {"provider", config_.provider},
         {"provider_name", config_.name}});
}

void FormServer::logout(const httplib::Request& req, httplib::Response& res) {
  {
    std::lock_guard<std::mutex> lock(dbMutex_);
    if (auto s = FormAccounts(*db_).endSession(web::cookieValue(req, kFormSessionCookie)); !s) {
      return unavailable(res, s.error().message);
    }
  }
  res.set_header("Set-Cookie", sessionCookie("", 0));
  reply(res, 200, {{"ok", true}});
}

void FormServer::unitView(const std::string& unit, const FormSession& session,
                          httplib::Response& res, bool withLast) {
  if (!session.mayReportFor(unit)) {
    return problem(res, 403, "forbidden",
                   "Your account may not report for unit " + unit +
                       "; ask the provider's IT staff to add it (samband-agent user add)");
  }
  const int64_t now = clock_.nowMs();
  json out = {{"unit", unit}};
  std::lock_guard<std::mutex> lock(dbMutex_);
  if (withLast) {
    auto last = readLastReport(*db_, unit, "actual");
    if (!last) return unavailable(res, last.error().message);
    out["last"] = json::parse(lastReportJson(unit, "actual", *last));
  }
  auto reports = recentReports(*db_, unit, kRecentReports);
  if (!reports) return unavailable(res, reports.error().message);
  json list = json::array();
  for (const auto& r : *reports) list.push_back(reportJson(config_, r));
  out["reports"] = std::move(list);
  auto link = LinkStateStore(*db_).read();
  if (!link) return unavailable(res, link.error().message);
  out["link"] = {{"connected", link->isLive(now) && link->connected},
                 {"last_error", link->lastError ? json(*link->lastError) : json(nullptr)},
                 {"last_ack_at", link->lastAckAt ? timeOrNull(*link->lastAckAt) : json(nullptr)}};
  reply(res, 200, out);
}

void FormServer::submitFromPage(const httplib::Request& req, httplib::Response& res,
                                const FormSession& session) {
  const std::string unit = req.matches[1];
  if (!session.mayReportFor(unit)) {
    return problem(res, 403, "forbidden",
                   "Your account may not report for unit " + unit +
                       "; ask the provider's IT staff to add it (samband-agent user add)");
  }
  if (!web::isJsonRequest(req)) {
    return problem(res, 400, "invalid", "Send the report with Content-Type: application/json");
  }
  submit(req.body, unit, session.units, "form:" + session.userName, res);
}

void FormServer::submitFromApi(const httplib::Request& req, httplib::Response& res) {
  const std::string bearer = bearerToken(req);
  std::optional<ApiToken> token;
  if (!bearer.empty()) {
    std::lock_guard<std::mutex> lock(dbMutex_);
    auto found = ApiTokens(*db_).authenticate(bearer, config_, clock_.nowMs());
    if (!found) return unavailable(res, found.error().message);
    token = std::move(*found);
  }
  if (!token) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"samband-agent\"");
    return problem(res, 401, "unauthorised",
                   bearer.empty()
                       ? "Send the token in an Authorization: Bearer TOKEN header (make one with "
                         "samband-agent token add)"
                       : "The token is not known (it was removed, or mistyped); make a new one "
                         "with samband-agent token add");
  }
  if (!web::isJsonRequest(req)) {
    return problem(res, 400, "invalid", "Send the report with Content-Type: application/json");
  }
  submit(req.body, "", token->units, "api:" + token->name, res);
}

void FormServer::submit(const std::string& body, const std::string& pathUnit,
                        const std::vector<std::string>& units, const std::string& source,
                        httplib::Response& res) {
  auto invalid = [&](const std::string& message) {
    const std::string field = reportFieldOfError(message);
    reply(res, 400,
          {{"error", "invalid"},
           {"field", field.empty() ? json(nullptr) : json(field)},
           {"message", message}});
  };
  auto request = parseReportJson(body);
  if (!request) return invalid(request.error().message);
  if (!pathUnit.empty()) {
    if (!request->unit.empty() && request->unit != pathUnit) {
      return invalid("field 'unit': names unit " + request->unit + ", but the report is sent for " +
                     pathUnit + "; leave it out or make them the same");
    }
    request->unit = pathUnit;
  }
  const bool providerLevel =
      request->continuity || request->continuityFrom || request->continuityNote;
  if (request->unit.empty() && !providerLevel) {
    return invalid("field 'unit': is missing; name the school unit the report is about (one of " +
                   unitList(units) + ")");
  }
  if (!request->unit.empty() &&
      std::find(units.begin(), units.end(), request->unit) == units.end()) {
    return problem(res, 403, "forbidden",
                   "Unit " + request->unit + " is not one of the units this " +
                       (pathUnit.empty() ? "token" : "account") + " may report for (" +
                       unitList(units) + ")");
  }
  if (providerLevel && !coversEveryUnit(units, config_)) {
    return problem(res, 403, "forbidden",
                   "Provider continuity speaks for every unit of " + config_.provider +
                       "; only an account or token for all of them (" + unitList(config_.units) +
                       ") may report it");
  }
  std::lock_guard<std::mutex> lock(dbMutex_);
  auto queued = submitReport(*db_, config_, *request, clock_.nowMs(),
                             [&](const std::vector<QueuedMessage>& q) {
                               std::vector<int64_t> ids;
                               for (const auto& m : q) ids.push_back(m.rowId);
                               return setReportSource(*db_, ids, source);
                             });
  if (!queued) {
    if (queued.error().kind == common::ErrorKind::invalidInput) {
      return invalid(queued.error().message);
    }
    return unavailable(res, queued.error().message);
  }
  json messages = json::array();
  json seqs = json::array();
  for (const auto& m : *queued) {
    messages.push_back({{"id", m.rowId}, {"seq", m.seq}, {"kind", m.kind}, {"unit", m.unit}});
    seqs.push_back(m.seq);
  }
  common::logInfo("form", source + " queued " + std::to_string(queued->size()) +
                              " message(s) for unit " +
                              (request->unit.empty() ? std::string("(provider)") : request->unit));
  reply(res, 202,
        {{"seq", queued->empty() ? json(nullptr) : json(queued->front().seq)},
         {"seqs", seqs},
         {"messages", messages},
         {"unit", request->unit},
         {"mode", request->mode},
         {"state", "queued"}});
}

}  // namespace samband::agent
