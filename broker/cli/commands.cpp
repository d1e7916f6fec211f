// Implementations of the broker's CLI verbs (see commands.h).
#include "broker/cli/commands.h"

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "broker/audit/audit.h"
#include "broker/board/board.h"
#include "broker/city/city_chain.h"
#include "broker/city/scheduler.h"
#include "broker/cli/broker_config.h"
#include "broker/ingest/server.h"
#include "broker/picture/view.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/enrollment.h"
#include "common/identity.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/process.h"

namespace samband::broker {

namespace {

int fail(const std::string& message, int code = kExitUsage) {
  std::cerr << "samband-broker: " << message << "\n";
  return code;
}

common::LogLevel parseLogLevel(const std::string& s) {
  if (s == "debug") return common::LogLevel::debug;
  if (s == "warn") return common::LogLevel::warn;
  if (s == "error") return common::LogLevel::error;
  return common::LogLevel::info;
}

}  // namespace

int runInit(const InitOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (ec) return fail("cannot create directory " + o.dir + ": " + ec.message());
  const std::string config = o.dir + "/broker.toml";
  const std::string identity = o.dir + "/city.identity";
  struct stat st {};
  if (::stat(config.c_str(), &st) == 0 || ::stat(identity.c_str(), &st) == 0) {
    return fail(o.dir +
                " already holds a broker (broker.toml or city.identity); refusing to "
                "overwrite it. Use another --dir");
  }
  auto city = common::Identity::generate(common::kCitySenderId);
  if (auto s = city->save(identity); !s) return fail(s.error().message);
  if (auto s = city->publicPart().save(o.dir + "/city.pub"); !s) return fail(s.error().message);
  if (auto s = common::writeFileAtomic(config, defaultBrokerConfigText(o.listen, o.boardListen));
      !s) {
    return fail(s.error().message);
  }
  auto store = Store::open(o.dir + "/samband.db", Store::Access::readWrite);
  if (!store) return fail(store.error().message);
  std::cout << "Created " << config << ", " << identity << " (secret, mode 0600), " << o.dir
            << "/city.pub (give this to every provider) and " << o.dir << "/samband.db.\n"
            << "Next: samband-broker serve --config " << config << "\n";
  return kExitOk;
}

int runServe(const std::string& configPath) {
  common::hardenProcess();
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  common::setLogLevel(parseLogLevel(cfg->logLevel));
  auto city = common::Identity::load(cfg->identityPath);
  if (!city) return fail(city.error().message);
  auto boardOptions = loadBoardOptions(*cfg);
  if (!boardOptions) return fail(boardOptions.error().message);

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  applyTimeZone(cfg->readiness.timeZone);
  {
    // Publish the city's public key for `audit`, and migrate the database before threads start.
    auto store = Store::open(cfg->databasePath, Store::Access::readWrite);
    if (!store) return fail(store.error().message, kExitFailure);
    if (auto s = CityChain(**store, **city).publishKey(); !s) {
      return fail(s.error().message, kExitFailure);
    }
  }
  common::SystemClock clock;
  Metrics metrics;
  Server server(cfg->server, **city, clock, metrics);
  if (auto s = server.start(); !s) return fail(s.error().message, kExitFailure);
  common::logInfo("broker",
                  "listening on " + server.endpoint() + ", database " + cfg->databasePath);
  Board board(std::move(*boardOptions), metrics, clock, **city);
  if (auto s = board.start(); !s) {
    server.stop();
    return fail(s.error().message, kExitFailure);
  }
  Scheduler scheduler(cfg->databasePath, **city, clock, cfg->readiness);
  if (auto s = scheduler.start(); !s) return fail(s.error().message, kExitFailure);
  int sig = 0;
  sigwait(&stopSignals, &sig);
  scheduler.stop();
  common::logInfo("broker", "stopping on signal " + std::to_string(sig));
  board.stop();
  server.stop();
  return kExitOk;
}

int runEnroll(const std::string& configPath, const std::vector<std::string>& requests,
              bool allowTransfer) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readWrite);
  if (!store) return fail(store.error().message);
  common::SystemClock clock;
  int status = kExitOk;
  for (const auto& path : requests) {
    auto text = common::readFile(path, 1024 * 1024);
    if (!text) {
      status = fail(text.error().message);
      continue;
    }
    auto request = common::parseEnrollRequest(*text, path);
    if (!request) {
      status = fail(request.error().message);
      continue;
    }
    auto outcome = RosterStore(**store).enroll(*request, allowTransfer, clock.nowMs());
    if (!outcome) {
      status = fail(path + ": " + outcome.error().message);
      continue;
    }
    std::cout << (outcome->newProvider ? "Enrolled " : "Updated ") << request->provider << " ("
              << request->name << "), key " << common::toHex(request->keyId())
              << (outcome->keyAlreadyEnrolled ? " (already enrolled)" : "") << ", "
              << outcome->unitsAdded.size() << " unit(s) added";
    if (!outcome->unitsTransferred.empty()) {
      std::cout << ", " << outcome->unitsTransferred.size() << " transferred";
    }
    std::cout << ".\n";
  }
  return status;
}

int runStatus(const std::string& configPath, bool json) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  common::SystemClock clock;
  auto picture = currentPicture(**store, cfg->liveness, clock.nowMs());
  if (!picture) return fail("cannot read the picture: " + picture.error().message, kExitFailure);
  if (json) {
    std::cout << picture->dump(2) << "\n";
  } else {
    std::cout << pictureText(*picture);
  }
  return kExitOk;
}

int runAudit(const std::string& configPath, bool json) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  AuditReport report = auditArchive(**store);
  if (json) {
    std::cout << report.toJson().dump(2) << "\n";
  } else {
    std::cout << report.toText();
  }
  return report.intact() ? kExitOk : kExitFailure;
}

int runRevoke(const std::string& configPath, const std::string& keyId) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readWrite);
  if (!store) return fail(store.error().message);
  common::SystemClock clock;
  if (auto s = RosterStore(**store).revokeKey(keyId, clock.nowMs()); !s)
    return fail(s.error().message);
  std::cout << "Revoked key " << keyId << "; the running broker refuses it within seconds.\n";
  return kExitOk;
}

int runKeys(const std::string& configPath, const std::optional<std::string>& provider, bool json) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  auto listed = RosterStore(**store).listKeys(provider);
  if (!listed) return fail("cannot read the keys: " + listed.error().message, kExitFailure);
  auto time = [](int64_t ms) {
    return ms == 0 ? nlohmann::json(nullptr) : nlohmann::json(common::formatRfc3339(ms));
  };
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : *listed) {
    keys.push_back({{"key_id", k.keyId},
                    {"provider", k.providerId},
                    {"name", k.providerName},
                    {"enrolled_at", time(k.enrolledAt)},
                    {"revoked_at", time(k.revokedAt.value_or(0))},
                    {"revoked", k.revokedAt.has_value()},
                    {"last_heartbeat", time(k.lastHeartbeatSentAt)},
                    {"frames", k.frames},
                    {"last_seq", k.lastSeq}});
  }
  if (provider && keys.empty()) {
    return fail("no key is enrolled for provider " + *provider +
                "; check the organisation number with 'samband-broker status'");
  }
  if (json) {
    std::cout << nlohmann::json{{"keys", keys}}.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& k : keys) {
    std::cout << k["key_id"].get<std::string>() << "  " << k["provider"].get<std::string>() << "  "
              << (k["revoked"].get<bool>() ? "revoked " + k["revoked_at"].get<std::string>()
                                           : std::string("valid"))
              << "  enrolled " << k["enrolled_at"].get<std::string>() << "  frames "
              << k["frames"].get<int64_t>() << " (last seq " << k["last_seq"].get<int64_t>()
              << ")  last heartbeat "
              << (k["last_heartbeat"].is_null() ? std::string("never")
                                                : k["last_heartbeat"].get<std::string>())
              << "  " << k["name"].get<std::string>() << "\n";
  }
  if (keys.empty())
    std::cout << "No keys enrolled yet; enroll a provider with 'samband-broker enroll'.\n";
  return kExitOk;
}

}  // namespace samband::broker
