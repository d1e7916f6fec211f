// See broker_config.h.
#include "broker/cli/broker_config.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include "common/bytes.h"
#include "common/calendar_config.h"
#include "common/config.h"

namespace samband::broker {

namespace {

// [replication] (docs/replication.md):
//   listen = "tcp://0.0.0.0:7701"
//   peers = [["tcp://broker-b.example:7701", "<the peer's curve_public, 64 hex digits>"]]
//   ack = "peer"            # default when a peer is configured; "local" acks on our commit
//   peer_timeout_s = 10
//   role = "primary"        # or "standby" (the daily readiness check)
common::Result<ReplicationOptions> loadReplicationOptions(const common::ConfigFile& f) {
  ReplicationOptions r;
  auto listen = f.text("replication", "listen", "");
  if (!listen) return listen.error();
  r.listen = *listen;
  auto rows = f.textRows("replication", "peers", 2,
                         "[\"tcp://host:7701\", \"<the peer's curve_public, 64 hex digits>\"]");
  if (!rows) return rows.error();
  for (const auto& row : *rows) {
    ReplicationPeer peer;
    peer.endpoint = row[0];
    if (peer.endpoint.rfind("tcp://", 0) != 0) {
      return common::invalidInput(f.where("replication", "peers") + ": endpoint " + row[0] +
                                  " must be tcp://HOST:PORT (the peer's [replication] listen)");
    }
    if (!common::fromHex(row[1], peer.curvePublic.data(), peer.curvePublic.size())) {
      return common::invalidInput(f.where("replication", "peers") + ": the key of " + row[0] +
                                  " must be 64 hex digits: the curve_public line of the peer's "
                                  "city.pub");
    }
    r.peers.push_back(std::move(peer));
  }
  if (!r.peers.empty() && r.listen.empty()) {
    return common::invalidInput(f.where("replication", "listen") +
                                " is needed when peers are configured: the peers pull from it");
  }
  auto ack = f.text("replication", "ack", r.peers.empty() ? "local" : "peer");
  if (!ack) return ack.error();
  if (*ack == "peer") {
    r.ack = AckMode::peer;
  } else if (*ack == "local") {
    r.ack = AckMode::local;
  } else {
    return common::invalidInput(f.where("replication", "ack") + " must be \"peer\" or \"local\"");
  }
  auto timeout = f.integer("replication", "peer_timeout_s", 10, 1, 3600);
  if (!timeout) return timeout.error();
  r.peerTimeoutMs = *timeout * 1000;
  auto role = f.text("replication", "role", "primary");
  if (!role) return role.error();
  if (*role != "primary" && *role != "standby") {
    return common::invalidInput(f.where("replication", "role") +
                                " must be \"primary\" or \"standby\"");
  }
  r.standby = *role == "standby";
  auto grace = f.integer("replication", "standby_grace_s", 600, 0, 6 * 3600);
  if (!grace) return grace.error();
  r.standbyGraceMs = *grace * 1000;
  auto batch = f.integer("replication", "pull_batch", 512, 1, 2048);
  if (!batch) return batch.error();
  r.pullBatch = static_cast<size_t>(*batch);
  auto wait = f.integer("replication", "pull_wait_ms", 1000, 0, 5000);
  if (!wait) return wait.error();
  r.pullWaitMs = *wait;
  return r;
}

}  // namespace

common::Result<BrokerConfig> loadBrokerConfig(const std::string& path) {
  auto file = common::ConfigFile::load(path);
  if (!file) return file.error();
  const auto& f = **file;
  BrokerConfig c;
  c.configPath = path;
#define SAMBAND_TAKE(dst, expr)  \
  do {                           \
    auto r_ = (expr);            \
    if (!r_) return r_.error();  \
    dst = std::move(r_).value(); \
  } while (0)
  SAMBAND_TAKE(c.server.listen, f.text("broker", "listen", "tcp://127.0.0.1:7700"));
  SAMBAND_TAKE(c.identityPath, f.path("broker", "identity", "city.identity"));
  SAMBAND_TAKE(c.databasePath, f.path("broker", "database", "samband.db"));
  SAMBAND_TAKE(c.logLevel, f.text("broker", "log_level", "info"));
  int64_t v = 0;
  SAMBAND_TAKE(v, f.integer("ingest", "batch_max", 4096, 1, 100000));
  c.server.batchMax = static_cast<size_t>(v);
  SAMBAND_TAKE(v, f.integer("ingest", "batch_delay_ms", 0, 0, 1000));
  c.server.batchDelayMs = static_cast<int>(v);
  SAMBAND_TAKE(v, f.integer("ingest", "verify_threads", 1, 0, 64));
  c.server.verifyThreads = static_cast<int>(v);
  SAMBAND_TAKE(v, f.integer("ingest", "max_queued_frames", 200000, 100, 10000000));
  c.server.maxQueuedFrames = static_cast<size_t>(v);
  SAMBAND_TAKE(v, f.integer("ingest", "roster_refresh_ms", 2000, 100, 600000));
  c.server.rosterRefreshMs = v;
  SAMBAND_TAKE(v, f.integer("ingest", "beacon_interval_s", 60, 1, 60));
  c.server.beaconPeriodMs = v * 1000;
  SAMBAND_TAKE(c.server.checkpoints, f.boolean("ingest", "checkpoints", true));
  SAMBAND_TAKE(v, f.integer("liveness", "stale_after_s", 90, 1, 86400));
  c.liveness.staleAfterMs = v * 1000;
  SAMBAND_TAKE(v, f.integer("liveness", "offline_after_s", 300, 1, 86400 * 30));
  c.liveness.offlineAfterMs = v * 1000;
  if (c.liveness.offlineAfterMs <= c.liveness.staleAfterMs) {
    return common::invalidInput(path +
                                ": [liveness] offline_after_s must be larger than "
                                "stale_after_s");
  }
  SAMBAND_TAKE(c.snapshotEveryFrames, f.integer("picture", "snapshot_every_frames",
                                                kDefaultSnapshotEveryFrames, 0, 100'000'000));
  SAMBAND_TAKE(c.boardListen, f.text("board", "listen", "127.0.0.1:8080"));
  SAMBAND_TAKE(c.readiness, loadReadinessSchedule(f));
  SAMBAND_TAKE(c.holidays, common::loadCalendarHolidays(f));
  c.readiness.holidays = c.holidays;
  SAMBAND_TAKE(c.replication, loadReplicationOptions(f));
  if (c.replication.standby) {
    c.readiness.standbyDelayMinutes = static_cast<int>(c.replication.standbyGraceMs / 60000);
    if (c.readiness.standbyDelayMinutes >= c.readiness.deadlineMs / 60000) {
      return common::invalidInput(path +
                                  ": [replication] standby_grace_s must be shorter than "
                                  "[readiness] deadline_minutes, or the standby never issues "
                                  "the check when the primary is down");
    }
  }
  std::string tier;
  SAMBAND_TAKE(tier, f.text("broker", "tier", "city"));
  if (tier == "city") {
    c.tier = Tier::city;
  } else if (tier == "county") {
    c.tier = Tier::county;
  } else if (tier == "national") {
    c.tier = Tier::national;
  } else {
    return common::invalidInput(f.where("broker", "tier") +
                                " must be \"city\", \"county\" or \"national\"");
  }
  SAMBAND_TAKE(c.upstream.broker, f.text("upstream", "broker", ""));
  if (!c.upstream.broker.empty()) {
    if (c.tier != Tier::city) {
      return common::invalidInput(f.where("upstream", "broker") +
                                  ": only a city broker relays upward; remove [upstream] from a "
                                  "county or national broker");
    }
    if (c.upstream.broker.rfind("tcp://", 0) != 0) {
      return common::invalidInput(f.where("upstream", "broker") +
                                  " must be tcp://HOST:PORT (the upstream's [broker] listen)");
    }
    std::string key;
    SAMBAND_TAKE(key, f.text("upstream", "curve_public", ""));
    if (!common::fromHex(key, c.upstream.curvePublic.data(), c.upstream.curvePublic.size())) {
      return common::invalidInput(f.where("upstream", "curve_public") +
                                  " must be 64 hex digits: the curve_public that "
                                  "`samband-broker enroll-city` printed on the upstream");
    }
  }
#undef SAMBAND_TAKE
  c.server.databasePath = c.databasePath;
  return c;
}

int defaultVerifyThreads() {
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
}

std::string defaultBrokerConfigText(const std::string& listen, const std::string& boardListen,
                                    const std::string& identity, const std::string& database) {
  return "# Samband broker configuration. Every key is explained in config/broker.example.toml.\n"
         "[broker]\n"
         "listen = \"" +
         listen +
         "\"\n"
         "identity = \"" +
         identity +
         "\"\n"
         "database = \"" +
         database +
         "\"\n"
         "log_level = \"info\"\n\n"
         "[ingest]\n"
         "batch_max = 4096\n"
         "batch_delay_ms = 0\n"
         "verify_threads = " +
         std::to_string(defaultVerifyThreads()) +
         "\n"
         "max_queued_frames = 200000\n"
         "roster_refresh_ms = 2000\n"
         "beacon_interval_s = 60\n\n"
         "[liveness]\n"
         "stale_after_s = 90\n"
         "offline_after_s = 300\n\n"
         "[picture]\n"
         "# A snapshot of the picture every this many archived frames, so `status --as-of`\n"
         "# rebuilds any past moment quickly (0: none; then it replays from the first frame).\n"
         "snapshot_every_frames = 20000\n\n"
         "[readiness]\n"
         "enabled = true\n"
         "time = \"07:30\"\n"
         "weekdays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n"
         "# Extra dates without a check, \"YYYY-MM-DD\" or \"FROM..TO\". Weekends, public\n"
         "# holidays and the city's holidays (calendar table below) need no entry here.\n"
         "skip = []\n"
         "deadline_minutes = 60\n"
         "time_zone = \"Europe/Stockholm\"\n"
         "require_confirmation = false\n\n"
         "[calendar]\n"
         "# The city's school holidays, first and last day included. School days are Monday to\n"
         "# Friday; Swedish public holidays and midsommar-, jul- and nyårsafton are built in.\n"
         "# `samband-broker calendar import FILE.ics` adds ranges from an iCalendar file.\n"
         "# holidays = [[\"2027-02-22\", \"2027-02-26\", \"sportlov\"],\n"
         "#             [\"2027-03-29\", \"2027-04-02\", \"påsklov\"]]\n\n"
         "[board]\n"
         "listen = \"" +
         boardListen + "\"\n";
}

std::string upstreamBrokerConfigText(Tier tier, const std::string& listen,
                                     const std::string& boardListen, const std::string& identity,
                                     const std::string& database) {
  return std::string(
             "# Samband upstream broker (docs/rollup.md): cities relay their pictures here;\n"
             "# no provider connects. Enrol a city: samband-broker enroll-city --request F\n"
             "[broker]\n"
             "tier = \"") +
         tierName(tier) +
         "\"\n"
         "# Where the enrolled cities' brokers connect (CURVE; only their keys are admitted).\n"
         "listen = \"" +
         listen +
         "\"\n"
         "identity = \"" +
         identity +
         "\"\n"
         "database = \"" +
         database +
         "\"\n"
         "log_level = \"info\"\n\n"
         "[liveness]\n"
         "stale_after_s = 90\n"
         "offline_after_s = 300\n\n"
         "[board]\n"
         "listen = \"" +
         boardListen + "\"\n";
}

common::Result<BoardOptions> loadBoardOptions(const BrokerConfig& broker) {
  BoardOptions o;
  o.configPath = broker.configPath;
  o.databasePath = broker.databasePath;
  o.liveness = broker.liveness;
  o.tier = tierName(broker.tier);
  o.holidays = broker.holidays;
  o.listen = broker.boardListen;
  auto hostPort = parseHostPort(broker.boardListen);
  if (!hostPort) {
    return common::invalidInput(broker.configPath + ": [board] listen " + hostPort.error().message);
  }
  o.host = hostPort->first;
  o.port = hostPort->second;

  auto file = common::ConfigFile::load(broker.configPath);
  if (!file) return file.error();
  const auto& f = **file;
  auto ttl = f.integer("board", "session_ttl_s", 12 * 3600, 60, 30 * 86400);
  if (!ttl) return ttl.error();
  o.sessionTtlMs = *ttl * 1000;
  auto old = f.integer("board", "report_old_after_s", 26 * 3600, 60, 30 * 86400);
  if (!old) return old.error();
  o.reportOldAfterMs = *old * 1000;
  auto threads = f.integer("board", "threads", 32, 4, 1024);
  if (!threads) return threads.error();
  o.threads = static_cast<int>(*threads);
  auto requestTimeout = f.integer("board", "request_timeout_s", 5, 1, 60);
  if (!requestTimeout) return requestTimeout.error();
  o.requestTimeoutMs = *requestTimeout * 1000;
  auto waitingPerAddress = f.integer("board", "max_waiting_per_address", 32, 1, 10000);
  if (!waitingPerAddress) return waitingPerAddress.error();
  o.maxWaitingPerAddress = static_cast<int>(*waitingPerAddress);
  auto perSession = f.integer("board", "streams_per_session", 4, 1, 1024);
  if (!perSession) return perSession.error();
  o.streamsPerSession = static_cast<int>(*perSession);
  auto perAddress = f.integer("board", "streams_per_address", 16, 1, 1024);
  if (!perAddress) return perAddress.error();
  o.streamsPerAddress = static_cast<int>(*perAddress);
  auto secure = f.boolean("board", "secure_cookies", false);
  if (!secure) return secure.error();
  o.secureCookies = *secure;
  auto cert = f.text("board", "tls_cert", "");
  if (!cert) return cert.error();
  if (!cert->empty()) o.tlsCert = f.resolve(*cert);
  auto key = f.text("board", "tls_key", "");
  if (!key) return key.error();
  if (!key->empty()) o.tlsKey = f.resolve(*key);
  if (o.tlsCert.empty() != o.tlsKey.empty()) {
    return common::invalidInput(broker.configPath +
                                ": [board] tls_cert and tls_key go together; set both (PEM "
                                "files) or neither (then terminate TLS in a reverse proxy)");
  }
  if (!o.tlsCert.empty()) o.secureCookies = true;
  auto tokenFile = f.text("board", "metrics_token_file", "");
  if (!tokenFile) return tokenFile.error();
  if (!tokenFile->empty()) {
    std::string path = f.resolve(*tokenFile);
    auto token = common::readFile(path, 4096);
    if (!token) {
      return common::invalidInput(broker.configPath +
                                  ": [board] metrics_token_file: " + token.error().message +
                                  "; create the file with one random line or remove the key");
    }
    std::string t = *token;
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    if (t.size() < 16) {
      return common::invalidInput(broker.configPath + ": [board] metrics_token_file " + path +
                                  " must hold a token of at least 16 characters (e.g. from "
                                  "'openssl rand -hex 32')");
    }
    o.metricsToken = t;
  }
  return o;
}

}  // namespace samband::broker
