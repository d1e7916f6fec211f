// GatedServer: the plain-HTTP server of the board and of the agent's reporting page. Stock
// httplib gives every accepted connection a worker thread that then blocks reading the request,
// so a few dozen clients that never finish their request head hold every worker and the server
// (and /healthz) stops answering. Here one poller thread collects request heads, with a deadline
// and a cap per client address, and only a connection whose head has arrived gets a worker. With
// [board] tls_cert httplib's own SSLServer serves instead (docs/board.md, "Limits", says to put a
// TLS proxy in front for this defence).
#pragma once

#include <httplib.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/log.h"
#include "web/gate_counters.h"

namespace samband::web {

struct GateLimits {
  size_t workers = 32;              // threads that run requests
  int64_t requestTimeoutMs = 5000;  // head and body must arrive within this of the connection
                                    // opening (or of the previous answer, when kept alive)
  int64_t keepAliveIdleMs = 2000;   // a kept-alive connection sending nothing is closed after
  int maxWaitingPerAddress = 32;    // connections of one address waiting for a request head
  int maxWaiting = 1024;            // connections waiting for a request head, all addresses
  size_t maxHeadBytes = 32 * 1024;  // request line and headers together
  int maxRequestsPerConnection = 100;
  int64_t writeTimeoutMs = 10000;  // one write to a client that does not read
  // Who serves (the log component, and "The board has too many connections ...") and the config
  // table of its limits, named in refusals ("[board] max_waiting_per_address").
  std::string serverName = "board";
  std::string configTable = "board";
};

class GatedServer : public httplib::Server {
 public:
  // `counters` must outlive the server. Routes and options are set as on httplib::Server;
  // new_task_queue is taken (do not replace it); read and keep-alive timeouts of httplib are
  // replaced by `limits`.
  GatedServer(GateLimits limits, GateCounters& counters);
  ~GatedServer() override;
  GatedServer(const GatedServer&) = delete;
  GatedServer& operator=(const GatedServer&) = delete;

  // httplib listens with a backlog of 5, so a burst of connections is dropped by the kernel
  // (and the client retries a second later) before admission can see it. Call after binding.
  void widenBacklog();

 private:
  struct Waiting;
  class Admission;

  // Called by httplib on its accepting thread for every new connection (through Admission,
  // which runs it inline): refuses or hands the socket to the poller. Never blocks.
  bool process_and_close_socket(socket_t sock) override;
  void startServing();
  void stopServing();
  void pollLoop();
  // Adds a connection to the poller; `fresh` ones are checked against the caps first.
  void admit(std::shared_ptr<Waiting> conn, bool fresh);
  void serve(const std::shared_ptr<Waiting>& conn);
  void release(const Waiting& conn);
  void wake();
  // A refused or timed-out connection, logged at most a few times a second.
  void logRefusal(const std::string& ip, const std::string& why);

  GateLimits limits_;
  GateCounters& counters_;
  common::RateLimiter refusalLog_{5};

  std::mutex mutex_;  // guards the fields below
  std::vector<std::shared_ptr<Waiting>> incoming_;
  std::unordered_map<std::string, int> waitingByAddress_;
  int waiting_ = 0;
  std::unordered_set<int> serving_;  // sockets in a worker now
  bool stopping_ = false;

  int wakeFd_ = -1;
  std::thread poller_;
  std::unique_ptr<httplib::ThreadPool> workers_;
};

}  // namespace samband::web
