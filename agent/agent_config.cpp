// Reading, checking and writing agent.toml.
#include "agent/agent_config.h"

#include <algorithm>
#include <sstream>

#include "common/bytes.h"
#include "common/calendar_config.h"
#include "common/codec.h"
#include "common/config.h"
#include "common/ids.h"
#include "web/listen_address.h"

namespace samband::agent {

namespace {

using common::Result;
using common::Status;

std::string where(const std::string& source, const std::string& table, const std::string& key) {
  return source + ": [" + table + "] " + key;
}

// TOML basic string with the characters that need it escaped.
std::string tomlString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

Status readKey(const common::ConfigFile& file, const std::string& table, const std::string& key,
               common::PublicKey* out, const char* cityPubField) {
  auto hex = file.text(table, key);
  if (!hex) return hex.error();
  if (!common::fromHex(*hex, out->data(), out->size())) {
    return common::invalidInput(where(file.path(), table, key) +
                                " must be 64 hex digits; copy the " + cityPubField +
                                " line of the city's city.pub");
  }
  return {};
}

// Reads an integer in seconds and stores it in milliseconds.
Status readSeconds(const common::ConfigFile& file, const std::string& key, int64_t fallback,
                   int64_t* outMs) {
  auto v = file.integer("timing", key, fallback, 1, 3600);
  if (!v) return v.error();
  *outMs = *v * 1000;
  return {};
}

bool isBrokerEndpoint(const std::string& endpoint) {
  return endpoint.rfind("tcp://", 0) == 0 || endpoint.rfind("ipc://", 0) == 0;
}

}  // namespace

Result<BrokerEndpoint> parseBrokerEndpoint(const std::string& text,
                                           const common::PublicKey& fallbackKey,
                                           const std::string& source) {
  BrokerEndpoint b;
  // "=" never occurs in a tcp:// or ipc:// endpoint we accept, so the last one splits the key.
  const auto eq = text.rfind('=');
  b.endpoint = eq == std::string::npos ? text : text.substr(0, eq);
  if (!isBrokerEndpoint(b.endpoint)) {
    return common::invalidInput(source + ": '" + text +
                                "' must start with tcp:// (e.g. tcp://broker.example.se:7700, or "
                                "tcp://broker.example.se:7700=CURVEKEY with that broker's own "
                                "transport key)");
  }
  if (eq == std::string::npos) {
    b.curvePublic = fallbackKey;
    return b;
  }
  const std::string hex = text.substr(eq + 1);
  if (!common::fromHex(hex, b.curvePublic.data(), b.curvePublic.size())) {
    return common::invalidInput(source + ": the key after '=' in '" + text +
                                "' must be 64 hex digits: the curve_public line of that "
                                "broker's public key file");
  }
  b.ownKey = true;
  return b;
}

std::string brokerEndpointText(const BrokerEndpoint& b) {
  if (!b.ownKey) return b.endpoint;
  return b.endpoint + "=" + common::toHex(b.curvePublic.data(), b.curvePublic.size());
}

std::vector<BrokerEndpoint> AgentConfig::brokerList() const {
  if (!brokers.empty()) return brokers;
  BrokerEndpoint b;
  b.endpoint = endpoint;
  b.curvePublic = cityCurvePublic;
  return {b};
}

bool AgentConfig::ownsUnit(const std::string& unit) const {
  return std::find(units.begin(), units.end(), unit) != units.end();
}

int64_t AgentConfig::heartbeatIntervalFor(common::ReadinessLevel level) const {
  switch (level) {
    case common::ReadinessLevel::HEIGHTENED:
      return heartbeatHeightenedMs;
    case common::ReadinessLevel::HIGHEST:
      return heartbeatHighestMs;
    default:
      return heartbeatIntervalMs;
  }
}

Status checkAgentConfig(const AgentConfig& c, const std::string& source) {
  if (!common::isProviderId(c.provider)) {
    return common::invalidInput(where(source, "agent", "provider") + " must be an organisation " +
                                "number NNNNNN-NNNN (it is '" + c.provider + "')");
  }
  if (c.name.empty() || c.name.size() > common::kMaxShortText || !common::isCleanText(c.name)) {
    return common::invalidInput(where(source, "agent", "name") +
                                " must be 1 to 200 bytes of plain text");
  }
  if (c.units.empty()) {
    return common::invalidInput(where(source, "agent", "units") +
                                " must list at least one 8-digit school-unit code");
  }
  for (const auto& u : c.units) {
    if (!common::isUnitCode(u)) {
      return common::invalidInput(where(source, "agent", "units") + ": '" + u +
                                  "' is not an 8-digit school-unit code");
    }
  }
  if (c.dutyContact &&
      (c.dutyContact->size() > common::kMaxShortText || !common::isCleanText(*c.dutyContact))) {
    return common::invalidInput(where(source, "agent", "duty_contact") +
                                " must be at most 200 bytes of plain text");
  }
  if (!isBrokerEndpoint(c.endpoint)) {
    return common::invalidInput(where(source, "broker", "endpoint") +
                                " must start with tcp:// (e.g. tcp://broker.example.se:7700)");
  }
  for (size_t i = 0; i < c.brokers.size(); ++i) {
    if (!isBrokerEndpoint(c.brokers[i].endpoint)) {
      return common::invalidInput(where(source, "broker", "brokers") + ": '" +
                                  c.brokers[i].endpoint + "' must start with tcp://");
    }
    for (size_t j = 0; j < i; ++j) {
      if (c.brokers[j].endpoint == c.brokers[i].endpoint) {
        return common::invalidInput(where(source, "broker", "brokers") + " names " +
                                    c.brokers[i].endpoint + " twice: list each broker once");
      }
    }
  }
  if (!c.brokers.empty() && c.brokers.front().endpoint != c.endpoint) {
    return common::invalidInput(where(source, "broker", "endpoint") + " (" + c.endpoint +
                                ") differs from the first of [broker] brokers (" +
                                c.brokers.front().endpoint + "): keep only brokers");
  }
  if (c.failoverAfterMs < 1 || c.failbackJitterMs < 0) {
    return common::invalidInput(where(source, "link", "failover_after_ms") +
                                " must be positive and failback_jitter_s not negative");
  }
  if (c.reconnectMinMs > c.reconnectMaxMs) {
    return common::invalidInput(where(source, "link", "reconnect_min_ms") +
                                " must not be larger than reconnect_max_ms");
  }
  if (c.window < 1 || c.ackTimeoutMs < 1 || c.reconnectMinMs < 1 || c.heartbeatIntervalMs < 1 ||
      c.heartbeatHeightenedMs < 1 || c.heartbeatHighestMs < 1) {
    return common::invalidInput(source + ": [timing] and [link] values must be positive");
  }
  return {};
}

Result<AgentConfig> loadAgentConfig(const std::string& path) {
  auto loaded = common::ConfigFile::load(path);
  if (!loaded) return loaded.error();
  const common::ConfigFile& file = **loaded;
  AgentConfig c;
  c.configPath = path;

  auto provider = file.text("agent", "provider");
  if (!provider) return provider.error();
  c.provider = *provider;
  auto name = file.text("agent", "name");
  if (!name) return name.error();
  c.name = *name;
  auto units = file.textList("agent", "units", true);
  if (!units) return units.error();
  c.units = *units;
  auto identity = file.path("agent", "identity", std::string("agent.identity"));
  if (!identity) return identity.error();
  c.identityPath = *identity;
  auto outbox = file.path("agent", "outbox", std::string("outbox.db"));
  if (!outbox) return outbox.error();
  c.outboxPath = *outbox;
  auto duty = file.text("agent", "duty_contact", std::string());
  if (!duty) return duty.error();
  if (!duty->empty()) c.dutyContact = *duty;

  if (Status s = readKey(file, "broker", "city_sign_public", &c.citySignPublic, "sign_public");
      !s) {
    return s.error();
  }
  if (Status s = readKey(file, "broker", "city_curve_public", &c.cityCurvePublic, "curve_public");
      !s) {
    return s.error();
  }
  // `brokers` (several, in order of preference) or the older single `endpoint`.
  auto brokers = file.textList("broker", "brokers", false);
  if (!brokers) return brokers.error();
  for (const auto& text : *brokers) {
    auto b = parseBrokerEndpoint(text, c.cityCurvePublic, where(path, "broker", "brokers"));
    if (!b) return b.error();
    c.brokers.push_back(std::move(b).value());
  }
  auto endpoint = c.brokers.empty() ? file.text("broker", "endpoint")
                                    : file.text("broker", "endpoint", c.brokers[0].endpoint);
  if (!endpoint && endpoint.error().message.find("missing") == std::string::npos) {
    return endpoint.error();
  }
  if (!endpoint) {
    return common::invalidInput(where(path, "broker", "endpoint") +
                                " is missing: set endpoint = \"tcp://HOST:PORT\" or brokers = "
                                "[\"tcp://HOST:PORT\", ...] under [broker]");
  }
  c.endpoint = *endpoint;

  if (Status s = readSeconds(file, "heartbeat_interval_s", 30, &c.heartbeatIntervalMs); !s) {
    return s.error();
  }
  if (Status s = readSeconds(file, "heartbeat_heightened_s", 10, &c.heartbeatHeightenedMs); !s) {
    return s.error();
  }
  if (Status s = readSeconds(file, "heartbeat_highest_s", 5, &c.heartbeatHighestMs); !s) {
    return s.error();
  }

  auto window = file.integer("link", "window", 256, 1, 10000);
  if (!window) return window.error();
  c.window = *window;
  auto ackTimeout = file.integer("link", "ack_timeout_ms", 10000, 50, 3600000);
  if (!ackTimeout) return ackTimeout.error();
  c.ackTimeoutMs = *ackTimeout;
  auto rmin = file.integer("link", "reconnect_min_ms", 200, 10, 3600000);
  if (!rmin) return rmin.error();
  c.reconnectMinMs = *rmin;
  auto rmax = file.integer("link", "reconnect_max_ms", 30000, 10, 3600000);
  if (!rmax) return rmax.error();
  c.reconnectMaxMs = *rmax;
  auto failover = file.integer("link", "failover_after_ms", 3000, 10, 3600000);
  if (!failover) return failover.error();
  c.failoverAfterMs = *failover;
  auto failback = file.integer("link", "failback_jitter_s", 60, 0, 86400);
  if (!failback) return failback.error();
  c.failbackJitterMs = *failback * 1000;

  auto skew = file.integer("selftest", "clock_skew_max_s", 120, 1, 86400);
  if (!skew) return skew.error();
  c.selfTest.clockSkewMaxMs = *skew * 1000;
  auto disk = file.integer("selftest", "disk_free_min_mb", 100, 0, 10'000'000);
  if (!disk) return disk.error();
  c.selfTest.diskFreeMinBytes = *disk << 20;
  auto depth = file.integer("selftest", "outbox_max_pending", 1000, 1, 100'000'000);
  if (!depth) return depth.error();
  c.selfTest.outboxMaxPending = *depth;
  auto age = file.integer("selftest", "outbox_max_age_s", 3600, 1, 30 * 86400);
  if (!age) return age.error();
  c.selfTest.outboxMaxAgeMs = *age * 1000;
  auto statusAge = file.integer("selftest", "status_max_age_h", 26, 1, 24 * 365);
  if (!statusAge) return statusAge.error();
  c.selfTest.statusMaxAgeMs = *statusAge * 3'600'000;
  auto citySignal = file.integer("selftest", "city_signal_max_age_s", 600, 1, 86400);
  if (!citySignal) return citySignal.error();
  c.selfTest.citySignalMaxAgeMs = *citySignal * 1000;

  auto holidays = common::loadCalendarHolidays(file);
  if (!holidays) return holidays.error();
  c.holidays = std::move(holidays).value();

  auto spool = file.text("spool", "dir", std::string());
  if (!spool) return spool.error();
  if (!spool->empty()) c.spoolDir = file.resolve(*spool);

  // The other [form] keys are checked even without listen, so a typo shows before it matters.
  auto listen = file.text("form", "listen", std::string());
  if (!listen) return listen.error();
  auto secure = file.boolean("form", "secure_cookies", false);
  if (!secure) return secure.error();
  auto ttl = file.integer("form", "session_ttl_s", 12 * 3600, 60, 30 * 86400);
  if (!ttl) return ttl.error();
  if (!listen->empty()) {
    auto hostPort = web::parseHostPort(*listen, 8090);
    if (!hostPort) {
      return common::invalidInput(where(path, "form", "listen") + ": " + hostPort.error().message +
                                  ", or leave the key out to serve no reporting page");
    }
    FormSettings form;
    form.listen = *listen;
    form.host = hostPort->first;
    form.port = hostPort->second;
    form.secureCookies = *secure;
    form.sessionTtlMs = *ttl * 1000;
    c.form = std::move(form);
  }

  if (Status s = checkAgentConfig(c, path); !s) return s.error();
  return c;
}

namespace {

// The directory of `path`; a bare file name lives beside `configPath`.
std::string directoryOf(const std::string& path, const std::string& configPath) {
  const auto slash = path.rfind('/');
  if (slash != std::string::npos) return slash == 0 ? "/" : path.substr(0, slash);
  const auto configSlash = configPath.rfind('/');
  return configSlash == std::string::npos ? "." : configPath.substr(0, configSlash);
}

// How agent.toml names `path`: its bare name when it sits beside the config (an agent directory
// stays movable), else as given (the packaged layout: /var/lib/samband/...). `fallback` when
// `path` is empty.
std::string asWritten(const std::string& configPath, const std::string& path,
                      const std::string& fallback) {
  if (path.empty()) return fallback;
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return path;
  if (directoryOf(path, configPath) == directoryOf(configPath, configPath)) {
    return path.substr(slash + 1);
  }
  return path;
}

}  // namespace

std::string renderAgentConfig(const AgentConfig& c) {
  std::ostringstream out;
  out << "# Samband agent configuration, written by `samband-agent init`.\n"
      << "# Every key is explained in config/agent.example.toml. Relative paths are relative to\n"
      << "# this file's directory.\n\n"
      << "[agent]\n"
      << "# The provider's organisation number (huvudman); must match agent.identity.\n"
      << "provider = " << tomlString(c.provider) << "\n"
      << "# The provider's name, as sent in the enrollment request.\n"
      << "name = " << tomlString(c.name) << "\n"
      << "# School-unit codes (skolenhetskoder) this agent reports on; the city's roster must "
         "agree.\n"
      << "units = [";
  for (size_t i = 0; i < c.units.size(); ++i) out << (i ? ", " : "") << tomlString(c.units[i]);
  out << "]\n"
      << "# The agent's secret identity (mode 0600). Back it up; it cannot be recreated.\n"
      << "identity = " << tomlString(asWritten(c.configPath, c.identityPath, "agent.identity"))
      << "\n"
      << "# The outbox: every report waits here, signed, until the broker acknowledges it.\n"
      << "outbox = " << tomlString(asWritten(c.configPath, c.outboxPath, "outbox.db")) << "\n"
      << "# Who to call at the provider when something is wrong (used by the self-tests).\n"
      << (c.dutyContact ? "duty_contact = " + tomlString(*c.dutyContact)
                        : std::string("# duty_contact = \"IT on call, 08-123 456 78\""))
      << "\n\n"
      << "[broker]\n";
  const auto list = c.brokerList();
  if (list.size() == 1 && !list[0].ownKey) {
    out << "# Where the city's broker listens. With a standby broker, list both instead:\n"
        << "# brokers = [\"tcp://primary:7700\", \"tcp://standby:7700=STANDBYCURVEKEY\"]\n"
        << "endpoint = " << tomlString(c.endpoint) << "\n";
  } else {
    out << "# The city's brokers in order of preference: the agent sends to one at a time, fails\n"
        << "# over to the next when it is unreachable and returns to the first when it answers\n"
        << "# again. \"=KEY\" pins that broker's own transport key (else city_curve_public).\n"
        << "brokers = [";
    for (size_t i = 0; i < list.size(); ++i) {
      out << (i ? ", " : "") << tomlString(brokerEndpointText(list[i]));
    }
    out << "]\n";
  }
  out << "# The city's public keys, pinned from city.pub. Only messages signed by this key are\n"
      << "# believed, and only a broker holding the matching CURVE key is talked to.\n"
      << "city_sign_public = \"" << common::toHex(c.citySignPublic.data(), 32) << "\"\n"
      << "city_curve_public = \"" << common::toHex(c.cityCurvePublic.data(), 32) << "\"\n\n"
      << "[timing]\n"
      << "# Seconds between heartbeats at the normal, heightened and highest readiness levels.\n"
      << "heartbeat_interval_s = " << c.heartbeatIntervalMs / 1000 << "\n"
      << "heartbeat_heightened_s = " << c.heartbeatHeightenedMs / 1000 << "\n"
      << "heartbeat_highest_s = " << c.heartbeatHighestMs / 1000 << "\n\n"
      << "[link]\n"
      << "# Unacknowledged frames in flight at most.\n"
      << "window = " << c.window << "\n"
      << "# Resend from the first unacknowledged frame when no ack came for this long.\n"
      << "ack_timeout_ms = " << c.ackTimeoutMs << "\n"
      << "# Reconnect backoff: each wait is drawn from half to all of the current step, which\n"
      << "# doubles from reconnect_min_ms up to reconnect_max_ms.\n"
      << "reconnect_min_ms = " << c.reconnectMinMs << "\n"
      << "reconnect_max_ms = " << c.reconnectMaxMs << "\n"
      << "# With several brokers: how long the current one may fail (at least twice in a row)\n"
      << "# before the agent tries the next, and the most seconds it waits at random before\n"
      << "# returning to the first once that answers again (spreads thousands of agents).\n"
      << "failover_after_ms = " << c.failoverAfterMs << "\n"
      << "failback_jitter_s = " << c.failbackJitterMs / 1000 << "\n\n"
      << "[calendar]\n"
      << "# The city's school holidays, first and last day included (school days Monday-Friday\n"
      << "# and the public holidays are built in). The status_age self-test counts only school\n"
      << "# time, unless the city's level is heightened or higher.\n"
      << "# holidays = [[\"2027-02-22\", \"2027-02-26\", \"sportlov\"]]\n\n"
      << "[spool]\n"
      << "# A directory for the provider's own systems: every *.json report moved into it is\n"
      << "# reported and moved to done/ or refused/ with a .reason file (docs/agent.md).\n"
      << "# dir = "
      << tomlString(
             asWritten(c.configPath, directoryOf(c.outboxPath, c.configPath) + "/spool", "spool"))
      << "\n\n"
      << "[form]\n"
      << "# The reporting page for staff on duty and POST /api/report for the provider's own\n"
      << "# systems, served by 'samband-agent run' on this address (docs/agent.md, \"The "
         "reporting\n"
      << "# page\"). Add accounts with 'samband-agent user add' and API tokens with\n"
      << "# 'samband-agent token add'. Unset: neither is served.\n"
      << "# listen = \"127.0.0.1:8090\"\n"
      << "# Add the Secure flag to the session cookie; set it when a TLS proxy serves the page.\n"
      << "# secure_cookies = false\n"
      << "# Lifetime of a login in seconds (12 h: one long shift).\n"
      << "# session_ttl_s = 43200\n";
  return out.str();
}

}  // namespace samband::agent
