// RollupServer: an upstream (county or national) broker's port for its enrolled cities
// (docs/rollup.md). One thread owns a ROUTER socket (CURVE server with this broker's transport
// key; a ZAP handler on its own context admits only the transport keys of enrolled cities, the
// ZAP user id being the city's name). A city's hello or answer is met with a pull naming the
// heads this broker holds of that city; each answer's frames pass that city's RollupVerifier and
// are stored, with the units' newest state, in one transaction; refusals are counted per city
// and reason, and the city's relay goes on.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::broker {

class RollupServer {
 public:
  // Everything must outlive the server. `listen`: the [broker] listen of an upstream broker.
  RollupServer(std::string listen, std::string databasePath, const common::Identity& self,
               const common::Clock& clock);
  ~RollupServer();
  RollupServer(const RollupServer&) = delete;
  RollupServer& operator=(const RollupServer&) = delete;

  // Binds `listen` and starts the threads. Errors name the key to fix.
  common::Status start();
  void stop();
  std::string endpoint() const { return endpoint_; }

 private:
  void zapLoop();
  void serveLoop();

  std::string listen_;
  std::string databasePath_;
  const common::Identity& self_;
  const common::Clock& clock_;
  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> router_;
  std::unique_ptr<zmq::socket_t> zap_;
  std::string endpoint_;
  std::atomic<bool> stopping_{false};
  std::thread zapThread_;
  std::thread serveThread_;
};

}  // namespace samband::broker
