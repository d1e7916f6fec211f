// RollupServer: an upstream (county or national) broker's port for its enrolled cities
// (docs/rollup.md). One thread owns a ROUTER socket (a CurveRouter: CURVE server with this
// broker's transport key; its ZAP handler admits an enrolled city's transport key, or the
// transport key of any broker key that city's root certified and did not revoke, the ZAP user id
// being the city's name: every broker of a city may relay). A city's hello or answer is met with a
// pull naming the heads this broker holds of that city; each answer's frames pass that city's
// RollupVerifier and are stored, with the units' newest state, in one transaction; refusals are
// counted per city and reason, and the city's relay goes on.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "broker/replication/curve_router.h"
#include "broker/store/store.h"

#include "common/clock.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::broker {

// The enrolled city whose broker may connect with `transportKey` (the ZAP rule): the city whose
// enrolled transport key it is, or the city whose root certified (and did not revoke by `nowMs`)
// a broker key with that transport half, by the certificates that city relayed. nullopt: none,
// or a key certified under the roots of several cities (ambiguous: enrol it to say which).
std::optional<std::string> admittedCity(Store& store, const common::Bytes& transportKey,
                                        int64_t nowMs);

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
  std::string endpoint() const { return router_ ? router_->endpoint() : ""; }

 private:
  void serveLoop();

  std::string listen_;
  std::string databasePath_;
  const common::Identity& self_;
  const common::Clock& clock_;
  zmq::context_t context_;
  std::unique_ptr<CurveRouter> router_;
  std::atomic<bool> stopping_{false};
  std::thread serveThread_;
};

}  // namespace samband::broker
