// Implementations of the broker's CLI verbs (see commands.h).
#include "broker/cli/commands.h"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>

#include "broker/audit/archive_digest.h"
#include "broker/audit/audit.h"
#include "broker/board/board.h"
#include "broker/city/checkpointer.h"
#include "broker/city/city_chain.h"
#include "broker/city/key_records.h"
#include "broker/city/scheduler.h"
#include "broker/cli/broker_config.h"
#include "broker/cli/city_writer.h"
#include "broker/ingest/server.h"
#include "broker/picture/as_of.h"
#include "broker/picture/moment.h"
#include "broker/picture/snapshotter.h"
#include "broker/picture/view.h"
#include "broker/replication/replication.h"
#include "broker/replication/upstream_relay.h"
#include "broker/store/replication_store.h"
#include "broker/store/roster_store.h"
#include "broker/store/store.h"
#include "broker/store/write_transaction.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/enrollment.h"
#include "common/file_owner.h"
#include "common/identity.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/process.h"
#include "common/service_notify.h"

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

int writeInitFiles(
    const InitOptions& o, const std::string& identityName, const std::string& publicName,
    const std::function<std::string(const std::string& identity, const std::string& database,
                                    bool packaged)>& configText,
    InitFiles* created) {
  std::error_code ec;
  for (const auto& d : {o.dir, std::filesystem::path(o.config).parent_path().string()}) {
    if (d.empty()) continue;
    std::filesystem::create_directories(d, ec);
    if (ec) return fail("cannot create directory " + d + ": " + ec.message());
  }
  // Packaged layout (--config /etc/samband/broker.toml): the config elsewhere, naming the
  // identity and database in --dir by absolute paths; otherwise all of it in --dir.
  const bool packaged = !o.config.empty();
  InitFiles f;
  f.config = packaged ? o.config : o.dir + "/broker.toml";
  f.dir = packaged ? std::filesystem::absolute(o.dir).string() : o.dir;
  f.identity = f.dir + "/" + identityName;
  f.publicFile = f.dir + "/" + publicName;
  f.database = f.dir + "/samband.db";
  struct stat st {};
  if (::stat(f.config.c_str(), &st) == 0 || ::stat(f.identity.c_str(), &st) == 0) {
    return fail(f.config + " or " + f.identity +
                " already exists; refusing to overwrite a broker. Use another --dir (and "
                "--config), or move the old files away first");
  }
  // The identity file format names every broker "city"; an upstream's tier is in broker.toml.
  auto self = common::Identity::generate(common::kCitySenderId);
  if (auto s = self->save(f.identity); !s) return fail(s.error().message);
  if (auto s = self->publicPart().save(f.publicFile); !s) return fail(s.error().message);
  if (auto s = common::writeFileAtomic(f.config, configText(f.identity, f.database, packaged));
      !s) {
    return fail(s.error().message);
  }
  {
    auto store = Store::open(f.database, Store::Access::readWrite);
    if (!store) return fail(store.error().message);
  }
  // Run as root for a packaged broker: what lands in the state directory is the service's.
  if (auto s = common::adoptDirectoryOwner(
          f.dir, {f.identity, f.publicFile, f.database, f.database + "-wal", f.database + "-shm"});
      !s) {
    return fail(s.error().message);
  }
  *created = std::move(f);
  return kExitOk;
}

int runInit(const InitOptions& o) {
  if (!o.tier.empty() && o.tier != "city") return runInitUpstream(o);
  InitFiles f;
  const int rc = writeInitFiles(
      o, "city.identity", "city.pub",
      [&](const std::string& identity, const std::string& database, bool packaged) {
        return packaged ? defaultBrokerConfigText(o.listen, o.boardListen, identity, database)
                        : defaultBrokerConfigText(o.listen, o.boardListen);
      },
      &f);
  if (rc != kExitOk) return rc;
  std::cout << "Created " << f.config << ", " << f.identity << " (secret, mode 0600), "
            << f.publicFile << " (give this to every provider) and " << f.database << ".\n"
            << "Next: samband-broker serve --config " << f.config << "\n";
  return kExitOk;
}

int runServe(const std::string& configPath) {
  common::hardenProcess();
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  common::setLogLevel(parseLogLevel(cfg->logLevel));
  if (cfg->tier != Tier::city) return runServeUpstream(configPath);
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
    // With a city root recorded, agents that pin only the root believe this broker only if a
    // certificate of its key is archived (issue 15): say so now rather than through agents.
    if (auto root = (*store)->meta(kMetaCityRootSignPublic); root.ok() && *root) {
      auto keyring = brokerCityKeyring(**store);
      if (keyring && !keyring->keyFor((*city)->keyId(), common::SystemClock().nowMs()).ok()) {
        common::logWarn("broker", "this broker's city key " + common::toHex((*city)->keyId()) +
                                      " is not certified (or is revoked) by the city root this "
                                      "database records; agents will refuse its messages. "
                                      "Certify it: samband-broker city-key certify, then add");
      }
    }
    // Frames written without a checkpoint (before checkpoints existed) are covered now.
    auto tx = WriteTransaction::begin(**store);
    if (!tx) return fail(tx.error().message, kExitFailure);
    common::SystemClock startClock;
    auto sealed = Checkpointer(**store, **city).seal(startClock.nowMs());
    if (!sealed) return fail(sealed.error().message, kExitFailure);
    if (auto s = tx->commit(); !s) return fail(s.error().message, kExitFailure);
    if (*sealed) common::logInfo("broker", "signed a checkpoint over frames no checkpoint covered");
  }
  common::SystemClock clock;
  Metrics metrics;
  // A standby broker (docs/replication.md): with ack = "peer", the server's acks wait for the
  // peer's commit; the pullers and the responder start once the server runs.
  Replication replication(cfg->replication, cfg->databasePath, **city, cfg->server.checkpoints,
                          clock, metrics);
  cfg->server.ackHold = replication.ackHold();
  Server server(cfg->server, **city, clock, metrics);
  if (auto s = server.start(); !s) return fail(s.error().message, kExitFailure);
  if (auto s = replication.start(); !s) {
    server.stop();
    return fail(s.error().message, kExitFailure);
  }
  // Pictures that roll up (docs/rollup.md): relay to the county or national broker.
  std::unique_ptr<UpstreamRelay> relay;
  if (cfg->upstream.enabled()) {
    relay =
        std::make_unique<UpstreamRelay>(cfg->upstream, cfg->databasePath, **city, clock, metrics);
    relay->start();
    common::logInfo("broker", "relaying the picture to " + cfg->upstream.broker);
  }
  common::logInfo("broker",
                  "listening on " + server.endpoint() + ", database " + cfg->databasePath);
  Board board(std::move(*boardOptions), metrics, clock, **city);
  if (auto s = board.start(); !s) {
    server.stop();
    return fail(s.error().message, kExitFailure);
  }
  Scheduler scheduler(cfg->databasePath, **city, clock, cfg->readiness);
  if (auto s = scheduler.start(); !s) return fail(s.error().message, kExitFailure);
  Snapshotter snapshotter(cfg->databasePath, cfg->snapshotEveryFrames, clock);
  if (auto s = snapshotter.start(); !s) return fail(s.error().message, kExitFailure);
  // The main thread waits for a stop signal and, meanwhile, tells systemd's watchdog that the
  // socket and commit threads still come round (Type=notify, WatchdogSec= in the unit).
  common::ServiceNotifier notifier;
  notifier.ready("listening on " + server.endpoint() + ", board on " + cfg->boardListen);
  const int64_t every = notifier.keepAliveEveryMs(1000);
  const int64_t maxSilenceMs = std::max<int64_t>(2000, notifier.watchdogIntervalMs() / 2);
  int sig = 0;
  bool stalled = false;
  while (sig <= 0) {
    const timespec wait{static_cast<time_t>(every / 1000),
                        static_cast<long>(every % 1000) * 1000000};
    sig = sigtimedwait(&stopSignals, nullptr, &wait);
    const int64_t now = common::monotonicMs();
    if (server.isResponsive(now, maxSilenceMs)) {
      notifier.keepAlive(now);
      stalled = false;
    } else if (!stalled) {
      stalled = true;
      common::logError("broker", "the socket or commit thread has not come round for " +
                                     std::to_string(maxSilenceMs / 1000) +
                                     " s; the watchdog is not told it is alive, so systemd "
                                     "restarts the broker if this lasts (WatchdogSec=)");
    }
  }
  notifier.stopping();
  snapshotter.stop();
  scheduler.stop();
  common::logInfo("broker", "stopping on signal " + std::to_string(sig));
  board.stop();
  if (relay) relay->stop();
  replication.stop();
  server.stop();
  return kExitOk;
}

int runEnroll(const std::string& configPath, const std::vector<std::string>& requests,
              bool allowTransfer) {
  auto writer = openCityWriter(configPath);
  if (!writer) return fail(writer.error().message);
  auto& store = writer->store;
  auto& city = writer->city;
  common::SystemClock clock;
  CityChain chain(*store, *city);
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
    const int64_t now = clock.nowMs();
    // The city's signed record of the change, in the same transaction (docs/protocol.md).
    auto record = [&](const EnrollOutcome& o) -> common::Status {
      common::EnrolmentMsg e = enrolmentRecord(*request, now);
      const bool rosterChanged =
          !o.keyAlreadyEnrolled || !o.unitsAdded.empty() || !o.unitsTransferred.empty();
      if (o.keyAlreadyEnrolled) {
        e = common::EnrolmentMsg{
            common::EnrolmentAction::UNITS, request->provider, {}, {}, {}, request->units, now, {}};
      }
      if (rosterChanged) {
        auto issued = chain.record(e, now);
        if (!issued) return issued.error();
      }
      if (o.nameChanged) {
        // The name replicates as its own record (docs/replication.md), after the enrolment.
        auto issued = chain.record(
            common::RosterInfoMsg{
                common::RosterInfoKind::PROVIDER_NAME, request->provider, request->name, {}},
            now);
        if (!issued) return issued.error();
      }
      return {};
    };
    auto outcome = RosterStore(*store).enroll(*request, allowTransfer, now, record);
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

namespace {

// `replication: {peer, behind_frames, last_contact}` of status --json: the configured peer that
// is furthest behind (behind_frames null: not known yet), or null without peers (then status
// --json has no `replication` key, as before).
nlohmann::json replicationJson(Store& store, const ReplicationOptions& options) {
  if (options.peers.empty()) return nullptr;
  auto records = ReplicationStore(store).peers();
  nlohmann::json worst;
  for (const auto& peer : options.peers) {
    nlohmann::json j;
    j["peer"] = peer.endpoint;
    j["behind_frames"] = nullptr;
    j["last_contact"] = nullptr;
    if (records) {
      for (const auto& r : *records) {
        if (r.peer != peer.endpoint) continue;
        if (r.behindFrames) j["behind_frames"] = *r.behindFrames;
        if (r.lastContact) j["last_contact"] = common::formatRfc3339(*r.lastContact);
      }
    }
    const int64_t behind = j["behind_frames"].is_null() ? -1 : j["behind_frames"].get<int64_t>();
    const int64_t worstBehind = worst.is_null() || worst["behind_frames"].is_null()
                                    ? -1
                                    : worst["behind_frames"].get<int64_t>();
    if (worst.is_null() || behind > worstBehind) worst = j;
  }
  return worst;
}

}  // namespace

int runStatus(const std::string& configPath, bool json, const std::string& asOf) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  if (cfg->tier != Tier::city) {
    if (!asOf.empty()) return fail("--as-of is for a city broker's picture");
    return runStatusUpstream(configPath, json);
  }
  auto store = Store::open(cfg->databasePath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  common::SystemClock clock;
  applyTimeZone(cfg->readiness.timeZone);  // school days are local dates
  common::Result<nlohmann::json> picture = nlohmann::json();
  if (asOf.empty()) {
    picture = currentPicture(**store, cfg->liveness, clock.nowMs(), cfg->holidays);
  } else {
    auto moment = parseMoment(asOf, "--as-of");
    if (!moment) return fail(moment.error().message);
    auto past = pictureAsOf(**store, *moment, clock.nowMs());
    if (!past) {
      return fail("--as-of: " + past.error().message,
                  past.error().kind == common::ErrorKind::invalidInput ? kExitUsage : kExitFailure);
    }
    picture =
        currentPicture((*past)->store(), cfg->liveness, *moment, cfg->holidays, &(*past)->moment());
  }
  if (!picture) return fail("cannot read the picture: " + picture.error().message, kExitFailure);
  // The standby's lag is now, not part of a past picture: only live, only with peers.
  const nlohmann::json replication =
      asOf.empty() ? replicationJson(**store, cfg->replication) : nlohmann::json();
  if (json) {
    if (!replication.is_null()) (*picture)["replication"] = replication;
    std::cout << picture->dump(2) << "\n";
  } else {
    std::cout << pictureText(*picture);
    if (!replication.is_null()) {
      std::cout << "Replication: peer " << replication["peer"].get<std::string>() << ", ";
      if (replication["behind_frames"].is_null()) {
        std::cout << "not heard from yet";
      } else {
        std::cout << "standby behind by " << replication["behind_frames"].get<int64_t>()
                  << " frames";
      }
      if (!replication["last_contact"].is_null()) {
        std::cout << ", last contact " << replication["last_contact"].get<std::string>();
      }
      std::cout << "\n";
    }
  }
  return kExitOk;
}

int runAudit(const std::string& configPath, bool json, const std::string& cityKeysPath,
             const std::vector<std::string>& receiptFiles, int64_t since, int threads, bool quiet,
             bool allCheckpointSignatures) {
  auto cfg = loadBrokerConfig(configPath);
  if (!cfg) return fail(cfg.error().message);
  auto store = Store::open(cfg->databasePath, Store::Access::readOnly);
  if (!store) return fail(store.error().message);
  AuditOptions options;
  if (!cityKeysPath.empty()) {
    auto pub = common::PublicIdentity::load(cityKeysPath);
    if (!pub) return fail(pub.error().message);
    options.cityKey = pub->signPublic;
  }
  for (const auto& file : receiptFiles) {
    auto text = common::readFile(file, 64 * 1024);
    if (!text) return fail(text.error().message);
    options.receipts.emplace_back(file, *text);
  }
  options.since = since;
  options.threads = threads;
  options.allCheckpointSignatures = allCheckpointSignatures;
  const auto started = std::chrono::steady_clock::now();
  auto lastShown = started;
  if (!quiet) {
    options.progress = [&](int64_t done, int64_t lastFrameId, int64_t doneUpTo) {
      const auto now = std::chrono::steady_clock::now();
      if (now - lastShown < std::chrono::seconds(2) && doneUpTo < lastFrameId) return;
      lastShown = now;
      const double s = std::chrono::duration<double>(now - started).count();
      const double rate = s > 0 ? static_cast<double>(done) / s : 0.0;
      const double left =
          rate > 0 ? static_cast<double>(std::max<int64_t>(0, lastFrameId - doneUpTo)) / rate : 0.0;
      std::fprintf(stderr,
                   "audit: frame %lld of %lld (%.1f%%), %.0f frames/s, about %.0f s left; "
                   "if interrupted, resume with --since %lld\n",
                   static_cast<long long>(doneUpTo), static_cast<long long>(lastFrameId),
                   lastFrameId > 0
                       ? 100.0 * static_cast<double>(doneUpTo) / static_cast<double>(lastFrameId)
                       : 100.0,
                   rate, left, static_cast<long long>(doneUpTo + 1));
    };
  }
  AuditReport report = auditArchive(**store, options);
  // The digest two brokers of a city compare (docs/replication.md).
  auto digest = archiveDigest(**store);
  if (!digest) return fail("cannot read the archive: " + digest.error().message, kExitFailure);
  if (json) {
    nlohmann::json j = report.toJson();
    j["archive_digest"] = {{"frames", digest->all.frames},
                           {"chains", digest->all.chains},
                           {"sha256", digest->all.sha256},
                           {"providers",
                            {{"frames", digest->providers.frames},
                             {"chains", digest->providers.chains},
                             {"sha256", digest->providers.sha256}}}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << report.toText();
    std::cout << "Archive digest: " << digest->all.sha256 << " (" << digest->all.frames
              << " frames in " << digest->all.chains
              << " chains; providers' chains only: " << digest->providers.sha256 << ")\n";
  }
  return report.intact() ? kExitOk : kExitFailure;
}

int runRevoke(const std::string& configPath, const std::string& keyId) {
  auto writer = openCityWriter(configPath);
  if (!writer) return fail(writer.error().message);
  auto& store = writer->store;
  auto& city = writer->city;
  common::SystemClock clock;
  const int64_t now = clock.nowMs();
  CityChain chain(*store, *city);
  auto record = [&](const std::string& provider, uint64_t revokedAfterSeq) -> common::Status {
    common::EnrolmentMsg e;
    e.action = common::EnrolmentAction::REVOKE;
    e.provider = provider;
    if (!common::fromHex(keyId, &e.keyId)) return common::invalidInput("bad key id " + keyId);
    e.effectiveAt = now;
    e.revokedAfterSeq = revokedAfterSeq;
    auto issued = chain.record(e, now);
    if (!issued) return issued.error();
    return {};
  };
  if (auto s = RosterStore(*store).revokeKey(keyId, now, record); !s)
    return fail(s.error().message);
  std::cout << "Revoked key " << keyId << "; the running broker refuses it within seconds.\n";
  return kExitOk;
}

int runCertifyKeys(const std::string& configPath) {
  auto writer = openCityWriter(configPath);
  if (!writer) return fail(writer.error().message);
  auto& store = writer->store;
  auto& city = writer->city;
  common::SystemClock clock;
  const int64_t now = clock.nowMs();
  auto tx = WriteTransaction::begin(*store);
  if (!tx) return fail(tx.error().message, kExitFailure);
  CityChain chain(*store, *city);
  if (auto s = chain.publishKey(); !s) return fail(s.error().message, kExitFailure);
  auto proven = keysFromArchive(*store, city->signPublic());
  if (!proven) return fail(proven.error().message, kExitFailure);
  auto keys = RosterStore(*store).loadKeys();
  if (!keys) return fail(keys.error().message, kExitFailure);
  auto owners = RosterStore(*store).loadUnitOwners();
  if (!owners) return fail(owners.error().message, kExitFailure);
  int certified = 0;
  for (const auto& k : *keys) {
    if (proven->keys.count(k.keyId) != 0) continue;
    common::EnrolmentMsg e;
    e.action = common::EnrolmentAction::ENROL;
    e.provider = k.providerId;
    common::fromHex(k.keyId, &e.keyId);
    e.signPublic.assign(k.signPublic.begin(), k.signPublic.end());
    e.curvePublic.assign(k.curvePublic.begin(), k.curvePublic.end());
    for (const auto& [unit, owner] : *owners) {
      if (owner == k.providerId && e.units.size() < common::kMaxEnrolmentUnits) {
        e.units.push_back(unit);
      }
    }
    std::sort(e.units.begin(), e.units.end());
    e.effectiveAt = k.enrolledAt;
    if (auto issued = chain.record(e, now); !issued) {
      return fail(issued.error().message, kExitFailure);
    }
    if (k.revokedAt) {
      common::EnrolmentMsg rev{
          common::EnrolmentAction::REVOKE, k.providerId, e.keyId, {}, {}, {}, *k.revokedAt, {}};
      if (auto issued = chain.record(rev, now); !issued) {
        return fail(issued.error().message, kExitFailure);
      }
    }
    std::cout << "Certified key " << k.keyId << " of " << k.providerId
              << (k.revokedAt ? " (and its revocation)" : "") << ".\n";
    certified++;
  }
  if (auto s = tx->commit(); !s) return fail(s.error().message, kExitFailure);
  std::cout << certified << " key(s) certified; every enrolled key now has a city record.\n";
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
