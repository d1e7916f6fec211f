// See board.h. Startup and shutdown, the route table and the page's assets. Every data endpoint
// goes through guarded() (board_auth.cpp); the page, /healthz and /metrics do not (docs/board.md
// says why). Responses carry a strict Content-Security-Policy: the page runs only its own script
// and renders provider text with textContent.
#include "broker/board/board.h"

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "broker/board/board_assets.h"
#include "broker/board/board_http.h"
#include "common/log.h"
#include "web/gated_server.h"
#include "web/page_security.h"

namespace samband::broker {

using nlohmann::json;

namespace {

constexpr size_t kMaxBodyBytes = 16 * 1024;

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
    const size_t threads = static_cast<size_t>(options_.threads);
    http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  } else {
    // Request heads are collected without holding worker threads (gated_server.h).
    web::GateLimits limits;
    limits.workers = static_cast<size_t>(options_.threads);
    limits.requestTimeoutMs = options_.requestTimeoutMs;
    limits.maxWaitingPerAddress = options_.maxWaitingPerAddress;
    http_ = std::make_unique<web::GatedServer>(limits, counters_);
  }
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
  http_->set_default_headers(web::securityHeaders(!options_.tlsCert.empty()));
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
  if (auto* gated = dynamic_cast<web::GatedServer*>(http_.get())) gated->widenBacklog();
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

void Board::routes() {
  auto& s = *http_;
  for (const char* path : {"/", "/index.html"}) {
    s.Get(path, [this](const httplib::Request& req, httplib::Response& res) {
      asset(req, res, "/index.html");
    });
  }
  s.Get(boardAssetRoute(),
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
  s.Get("/api/session",
        guarded(Need::viewer,
                [this](const httplib::Request&, httplib::Response& res, const Session& session) {
                  reply(res, 200, sessionJson(session, options_.tier));
                }));
  s.Post("/api/password",
         guarded(Need::viewerPost,
                 [this](const httplib::Request& req, httplib::Response& res,
                        const Session& session) { changePassword(req, res, session); }));

  pictureRoutes();
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
  web::serveEmbeddedAsset(req, res, findBoardAsset(path));
}

}  // namespace samband::broker
