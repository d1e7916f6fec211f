// Board: the education office's live status board, served by `samband-broker serve` over HTTP
// (cpp-httplib; HTTPS when [board] tls_cert/tls_key are set). Login with sessions, roles
// viewer/operator, the JSON API of docs/api.md, Server-Sent Events, CSV export, /metrics and
// /healthz, and the page itself from assets embedded in the binary. Reads the database through
// its own connections (one per request thread at a time) and never touches the ingest path.
// Split by idea: startup and the route table (board.cpp), login and guarded() (board_auth.cpp),
// live events (board_events.cpp), /healthz and /metrics (board_health.cpp), the picture's routes
// (board_picture_routes.cpp), the CSV exports (board_export.cpp); the city's work — readiness
// checks, directives, takeover planning — is in board_city.cpp; the office's gauges on /metrics
// are gathered in board_office_gauges.cpp. A user limited to districts sees only their units on
// every route (scopeOf() below).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "broker/accounts/sessions.h"
#include "broker/board/board_config.h"
#include "broker/board/board_counters.h"
#include "broker/board/board_planning.h"
#include "broker/board/board_view_cache.h"
#include "broker/metrics/metrics.h"
#include "broker/picture/change_watch.h"
#include "broker/picture/district_scope.h"
#include "broker/store/store_pool.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/result.h"
#include "web/password_checker.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace samband::broker {

// The districts a session's user may see, as every route that lists units applies them
// (BoardView, the free seats, the CSV exports, the what-if marks, and the planner's input via
// DistrictScope::restrictPlanningData). Empty: every district.
inline DistrictScope scopeOf(const Session& session) { return DistrictScope(session.districts); }

// The answer of login and GET /api/session: name, role, csrf_token, expires_at, districts, and
// the broker's tier ("city", "county", "national": the page of an upstream is /rollup).
nlohmann::json sessionJson(const Session& session, const std::string& tier);

struct SeatsFilter;
// mode, form, year and district of GET /api/seats and /api/seats.csv (board_picture_routes.cpp).
// Errors: invalidInput naming the parameter.
common::Result<SeatsFilter> seatsFilter(const httplib::Request& req);

class Board {
 public:
  // `metrics`, `clock` and `city` must outlive the board. `city` signs the directives operators
  // send from the board (the identity `serve` loads from [broker] identity).
  Board(BoardOptions options, Metrics& metrics, const common::Clock& clock,
        const common::Identity& city);
  // A board without the city identity: everything but sending directives, which answers 503.
  Board(BoardOptions options, Metrics& metrics, const common::Clock& clock);
  ~Board();
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;

  // Binds [board] listen and starts serving on a thread of its own. Errors (address in use,
  // TLS files unreadable, database missing) name the config key to fix.
  common::Status start();
  // Ends live streams, stops accepting, joins the threads. Idempotent.
  void stop();
  // The bound TCP port (useful with port 0 in tests).
  int port() const { return port_; }

  // Test hook: the heartbeat interval of /api/events (default 15 s).
  void setStreamHeartbeatMs(int64_t ms) { heartbeatMs_ = ms; }
  // What the board refused to protect itself (also on /metrics). Read from any thread.
  const BoardCounters& counters() const { return counters_; }

 private:
  using SessionHandler =
      std::function<void(const httplib::Request&, httplib::Response&, const Session&)>;
  enum class Need { viewer, viewerPost, operatorPost };

  void routes();
  // The picture's read endpoints and the what-if mark (board_picture_routes.cpp).
  void pictureRoutes();
  // Readiness checks, directives and takeover planning (board_city.cpp).
  void cityRoutes();
  // Wraps a data endpoint: 401 without a live session, 403 when the role is not enough or a
  // state-changing request lacks the CSRF token or comes from another origin.
  std::function<void(const httplib::Request&, httplib::Response&)> guarded(Need need,
                                                                           SessionHandler handler);
  void login(const httplib::Request& req, httplib::Response& res);
  void logout(const httplib::Request& req, httplib::Response& res);
  // POST /api/password: the user changes their own password (board_auth.cpp).
  void changePassword(const httplib::Request& req, httplib::Response& res, const Session& session);
  void events(const httplib::Request& req, httplib::Response& res);
  void exportCsv(const httplib::Request& req, httplib::Response& res, const Session& session);
  // GET /api/seats.csv (board_export.cpp).
  void exportSeatsCsv(const httplib::Request& req, httplib::Response& res, const Session& session);
  void metricsPage(const httplib::Request& req, httplib::Response& res);
  void health(const httplib::Request& req, httplib::Response& res);
  void asset(const httplib::Request& req, httplib::Response& res, const std::string& path);
  bool isSameOrigin(const httplib::Request& req) const;
  std::string sessionCookie(const std::string& token, int64_t maxAgeS) const;

  BoardOptions options_;
  Metrics& metrics_;
  const common::Clock& clock_;
  const common::Identity* city_ = nullptr;  // not owned; null: directives cannot be sent
  StorePool readPool_;
  StorePool writePool_;
  ChangeWatch watch_;
  ContingencyCache contingency_;
  // The picture's read answers, rendered once per change version (board_picture_routes.cpp).
  BoardViewCache viewCache_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int64_t> heartbeatMs_{15000};
  bool started_ = false;
  BoardCounters counters_;

  // Live streams by session token hash and by client address (board_events.cpp).
  std::mutex streamsMutex_;
  std::map<std::string, int> streamsBySession_;
  std::map<std::string, int> streamsByAddress_;
  int streams_ = 0;

  // argon2id needs 64 MiB per verification: at most two at a time (web/password_checker.h).
  web::PasswordChecker passwordChecker_;
};

}  // namespace samband::broker
