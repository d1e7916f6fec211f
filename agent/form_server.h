// FormServer: the agent's reporting page and API, served by `samband-agent run` on [form] listen
// (docs/agent.md, "The reporting page"). Staff on duty log in (FormAccounts) and report for
// their units through a page the agent serves itself (agent/form_assets/); the provider's own
// systems post the same JSON to POST /api/report with a bearer token (ApiTokens). Both submit
// through submitReport() (agent/report_submit.h), exactly the path of `samband-agent report`,
// and the page shows each report's fate from the report log (agent/report_log.h).
//
// Protections, the board's (web/): the HTTP gate in front (web::GatedServer), a strict CSP and
// security headers, HttpOnly SameSite=Strict session cookies holding a random token the database
// keeps only hashed, a CSRF token and the same-origin check on every state-changing request, the
// login throttle persisted in outbox.db, at most two argon2id verifications at a time, and a user
// or token may report only for its units (403).
//
// Threads: start() runs httplib on a thread of its own and its gate's workers; they share one
// SQLite connection to outbox.db (WAL, its own: the session thread keeps its own), one request
// at a time under a mutex.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/agent_config.h"
#include "agent/form_accounts.h"
#include "common/clock.h"
#include "common/result.h"
#include "web/gate_counters.h"
#include "web/password_checker.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace samband::agent {

class FormServer {
 public:
  // `config` (with [form] set) and `clock` must outlive the server.
  FormServer(const AgentConfig& config, const common::Clock& clock);
  ~FormServer();
  FormServer(const FormServer&) = delete;
  FormServer& operator=(const FormServer&) = delete;

  // Opens outbox.db, binds [form] listen and starts serving. Errors (address in use or not on
  // this machine, database unreadable) name the config key to fix.
  common::Status start();
  // Stops accepting, ends requests in progress, joins the threads. Idempotent.
  void stop();
  // The bound TCP port (useful with port 0 in tests).
  int port() const { return port_; }
  // What the gate refused (connections, timeouts, heads too large). Read from any thread.
  const web::GateCounters& counters() const { return counters_; }

 private:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  using SessionHandler =
      std::function<void(const httplib::Request&, httplib::Response&, const FormSession&)>;

  void routes();
  // 401 without a live session; for a state-changing request also 403 unless it comes from this
  // page (same origin) with the session's CSRF token in X-CSRF-Token.
  Handler guarded(bool stateChanging, SessionHandler handler);
  void login(const httplib::Request& req, httplib::Response& res);
  void logout(const httplib::Request& req, httplib::Response& res);
  void unitView(const std::string& unit, const FormSession& session, httplib::Response& res,
                bool withLast);
  void submitFromPage(const httplib::Request& req, httplib::Response& res,
                      const FormSession& session);
  void submitFromApi(const httplib::Request& req, httplib::Response& res);
  // Parses the report JSON, checks that `units` cover it, and submits it as `source`.
  void submit(const std::string& body, const std::string& pathUnit,
              const std::vector<std::string>& units, const std::string& source,
              httplib::Response& res);
  std::string sessionCookie(const std::string& token, int64_t maxAgeS) const;

  const AgentConfig& config_;
  const FormSettings settings_;
  const common::Clock& clock_;
  std::mutex dbMutex_;  // one request at a time on the connection below
  std::unique_ptr<SQLite::Database> db_;
  web::GateCounters counters_;
  web::PasswordChecker passwordChecker_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace samband::agent
