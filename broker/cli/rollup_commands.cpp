// The roll-up verbs (docs/rollup.md): `upstream-request` on a city broker, and on an upstream
// (county or national) broker `init --tier`, `enroll-city`, `serve` and `status`.
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "broker/board/board.h"
#include "broker/city/key_records.h"
#include "broker/cli/broker_config.h"
#include "broker/cli/city_writer.h"
#include "broker/cli/commands.h"
#include "broker/metrics/metrics.h"
#include "broker/picture/liveness.h"
#include "broker/picture/rollup_view.h"
#include "broker/replication/rollup_protocol.h"
#include "broker/replication/rollup_server.h"
#include "broker/store/rollup_store.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/file_owner.h"
#include "common/identity.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/process.h"
#include "common/service_notify.h"

namespace samband::broker {

namespace {

int fail(const std::string& message, int code = kExitUsage) {
  std::cerr << "samband-broker: " << message << "\n";
  return code;
}

}  // namespace

int runUpstreamRequest(const std::string& configPath, const std::string& city,
                       const std::string& out) {
  auto writer = openCityWriter(configPath);
  if (!writer) return fail(writer.error().message);
  if (writer->config.tier != Tier::city) {
    return fail(configPath + ": this is a " + tierName(writer->config.tier) +
                " broker; upstream-request is run on a city broker");
  }
  auto root = recordedCityRoot(*writer->store);
  if (!root) {
    return fail("the city's root key is not recorded in the database (" + root.error().message +
                "); run `samband-broker serve` once, or certify this broker: samband-broker "
                "city-key certify ... --config " +
                configPath);
  }
  auto keyring = brokerCityKeyring(*writer->store);
  if (!keyring) return fail(keyring.error().message, kExitFailure);
  common::SystemClock clock;
  if (auto k = keyring->keyFor(writer->city->keyId(), clock.nowMs()); !k) {
    return fail("this broker's city key is not certified by the city's root (or is revoked): " +
                k.error().message + "; certify it first (samband-broker city-key certify)");
  }
  const std::string text =
      makeUpstreamRequest(*writer->city, city, *root, keyring->statements(), clock.nowMs());
  if (auto s = common::writeFileAtomic(out, text); !s) return fail(s.error().message);
  std::cout << "Wrote " << out << ": the enrolment request of city " << city
            << " for its upstream broker.\nNext, on the upstream: samband-broker enroll-city "
               "--config broker.toml --request "
            << out << "\n";
  return kExitOk;
}

int runEnrollCity(const std::string& configPath, const std::string& requestPath,
                  const std::string& out) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  if (cfg->tier == Tier::city) {
    return fail(configPath +
                ": a city broker enrols providers, not cities; enroll-city runs on a county or "
                "national broker (samband-broker init --tier county|national)");
  }
  auto self = common::Identity::load(cfg->identityPath);
  if (!self) return fail(self.error().message);
  auto text = common::readFile(requestPath, 1024 * 1024);
  if (!text) return fail(text.error().message);
  common::SystemClock clock;
  auto request = verifyUpstreamRequest(*text, requestPath, clock.nowMs());
  if (!request) return fail(request.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readWrite);
  if (!store) return fail(store.error().message);
  RollupCityRow row;
  row.city = request->city;
  row.rootSignPublic.assign(request->root.begin(), request->root.end());
  row.curvePublic.assign(request->curvePublic.begin(), request->curvePublic.end());
  row.enrolledAt = clock.nowMs();
  if (auto s = RollupStore(**store).enrolCity(row); !s) return fail(s.error().message);
  const std::string section = "[upstream]\n# The " + std::string(tierName(cfg->tier)) +
                              " broker this city relays its picture to (docs/rollup.md).\n"
                              "broker = \"" +
                              cfg->server.listen + "\"\ncurve_public = \"" +
                              common::toHex((*self)->curvePublic().data(), 32) + "\"\n";
  if (!out.empty()) {
    if (auto s = common::writeFileAtomic(out, section); !s) return fail(s.error().message);
  }
  std::cout << "Enrolled city " << request->city << " (root key "
            << common::toHex(common::keyIdOf(request->root)) << ").\n"
            << "Give the city this section for its broker.toml (replace the host if "
            << cfg->server.listen << " is not how the city reaches this broker):\n\n"
            << section;
  return kExitOk;
}

int runInitUpstream(const InitOptions& o) {
  const Tier tier = o.tier == "national" ? Tier::national : Tier::county;
  InitFiles f;
  const int rc = writeInitFiles(
      o, "broker.identity", "broker.pub",
      [&](const std::string& identity, const std::string& database, bool packaged) {
        return packaged
                   ? upstreamBrokerConfigText(tier, o.listen, o.boardListen, identity, database)
                   : upstreamBrokerConfigText(tier, o.listen, o.boardListen);
      },
      &f);
  if (rc != kExitOk) return rc;
  std::cout << "Created " << f.config << " (a " << tierName(tier) << " broker), " << f.identity
            << " (secret, mode 0600), " << f.publicFile << " and " << f.database << ".\n"
            << "Next: enrol each city (on the city broker: samband-broker upstream-request; "
               "here: samband-broker enroll-city --config "
            << f.config << " --request FILE), then samband-broker serve --config " << f.config
            << "\n";
  return kExitOk;
}

int runServeUpstream(const std::string& configPath) {
  common::hardenProcess();
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto self = common::Identity::load(cfg->identityPath);
  if (!self) return fail(self.error().message);
  auto boardOptions = loadBoardOptions(*cfg);
  if (!boardOptions) return fail(boardOptions.error().message);
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  {
    auto store = Store::open(cfg->databasePath, Store::Access::readWrite);
    if (!store) return fail(store.error().message, kExitFailure);
  }
  common::SystemClock clock;
  Metrics metrics;
  RollupServer server(cfg->server.listen, cfg->databasePath, **self, clock);
  if (auto s = server.start(); !s) return fail(s.error().message, kExitFailure);
  common::logInfo("broker", std::string("listening on ") + server.endpoint() + " for cities (" +
                                tierName(cfg->tier) + " broker), database " + cfg->databasePath);
  Board board(std::move(*boardOptions), metrics, clock, **self);
  if (auto s = board.start(); !s) {
    server.stop();
    return fail(s.error().message, kExitFailure);
  }
  common::ServiceNotifier notifier;
  notifier.ready("listening on " + server.endpoint() + ", board on " + cfg->boardListen);
  int sig = 0;
  while (sig <= 0) {
    const timespec wait{1, 0};
    sig = sigtimedwait(&stopSignals, nullptr, &wait);
    notifier.keepAlive(common::monotonicMs());
  }
  notifier.stopping();
  common::logInfo("broker", "stopping on signal " + std::to_string(sig));
  board.stop();
  server.stop();
  return kExitOk;
}

int runStatusUpstream(const std::string& configPath, bool json) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  common::SystemClock clock;
  auto picture = rollupPicture(**store, cfg->liveness, tierName(cfg->tier), clock.nowMs());
  if (!picture) return fail("cannot read the picture: " + picture.error().message, kExitFailure);
  if (json) {
    std::cout << picture->dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "Samband " << (*picture)["tier"].get<std::string>() << " picture at "
            << (*picture)["generated_at"].get<std::string>() << "\n";
  for (const auto& c : (*picture)["cities"]) {
    std::cout << "\n"
              << c["city"].get<std::string>() << "  ["
              << (c["connected"].get<bool>() ? "connected" : "not connected") << "]  newest frame "
              << (c["newest_frame_age_s"].is_null()
                      ? std::string("none")
                      : std::to_string(c["newest_frame_age_s"].get<int64_t>()) + " s old")
              << "\n";
    for (const auto& [reason, n] : c["refused"].items()) {
      std::cout << "  refused " << reason << ": " << n.get<int64_t>() << "\n";
    }
    for (const auto& p : c["providers"]) {
      std::cout << "  " << p["provider"].get<std::string>() << "  ["
                << p["liveness"].get<std::string>() << "]\n";
      for (const auto& u : p["units"]) {
        std::cout << "    " << u["unit"].get<std::string>() << "  "
                  << (u["state"].is_null() ? "no status" : u["state"].get<std::string>())
                  << (u["age_s"].is_null()
                          ? ""
                          : "  (" + std::to_string(u["age_s"].get<int64_t>()) + " s ago)")
                  << "\n";
      }
    }
  }
  return kExitOk;
}

}  // namespace samband::broker
