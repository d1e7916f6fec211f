// See setup.h.
#include "agent/setup.h"

#include <CLI/CLI.hpp>
#include <functional>
#include <istream>
#include <ostream>
#include <set>
#include <sstream>

#include "common/city_keyring.h"
#include "common/clock.h"
#include "common/file_owner.h"
#include "common/identity.h"
#include "common/ids.h"

namespace samband::agent {

namespace {

constexpr int kAttempts = 3;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// "HOST:PORT" or "tcp://HOST:PORT" → "tcp://HOST:PORT"; the port must be 1..65535.
common::Result<std::string> checkBroker(const std::string& text) {
  std::string endpoint = text.find("://") == std::string::npos ? "tcp://" + text : text;
  const std::string hostPort = endpoint.rfind("tcp://", 0) == 0 ? endpoint.substr(6) : "";
  const auto colon = hostPort.rfind(':');
  bool ok = colon != std::string::npos && colon > 0 && colon + 1 < hostPort.size() &&
            hostPort.size() - colon <= 6;
  int port = 0;
  for (size_t i = colon + 1; ok && i < hostPort.size(); ++i) {
    ok = hostPort[i] >= '0' && hostPort[i] <= '9';
    port = port * 10 + (hostPort[i] - '0');
  }
  if (!ok || port < 1 || port > 65535) {
    return common::invalidInput("the broker address '" + text +
                                "' is not HOST:PORT (the city gives it, e.g. "
                                "samband.stad.se:7700)");
  }
  return endpoint;
}

// checkBroker for "HOST:PORT[=CURVEKEY]": the key (a standby broker's own transport key) is
// kept as given and checked by init.
common::Result<std::string> checkBrokerWithKey(const std::string& text) {
  const auto eq = text.rfind('=');
  auto endpoint = checkBroker(eq == std::string::npos ? text : text.substr(0, eq));
  if (!endpoint) return endpoint;
  return eq == std::string::npos ? *endpoint : *endpoint + text.substr(eq);
}

common::Status checkProvider(const std::string& text) {
  if (common::isProviderId(text)) return {};
  return common::invalidInput("'" + text +
                              "' is not an organisation number NNNNNN-NNNN (the provider's, as "
                              "the city knows it)");
}

common::Status checkName(const std::string& text) {
  if (!text.empty() && text.size() <= 200) return {};
  return common::invalidInput("the name must be 1 to 200 bytes (the provider's name)");
}

common::Status checkCityKeys(const std::string& path) {
  auto city = common::loadCityKeysFile(path);
  if (!city) {
    return common::invalidInput(city.error().message +
                                "; give the root.pub (or city.pub) file the city sent you");
  }
  return {};
}

// Splits "12345678, 87654321 11112222" into codes and checks each once.
common::Result<std::vector<std::string>> parseUnits(const std::vector<std::string>& given) {
  std::vector<std::string> units;
  for (const auto& item : given) {
    std::string spaced = item;
    for (char& ch : spaced) {
      if (ch == ',' || ch == ';') ch = ' ';
    }
    std::istringstream words(spaced);
    std::string unit;
    while (words >> unit) units.push_back(unit);
  }
  if (units.empty()) return common::invalidInput("give at least one school-unit code");
  std::set<std::string> seen;
  for (const auto& unit : units) {
    if (!common::isUnitCode(unit)) {
      return common::invalidInput("'" + unit +
                                  "' is not a school-unit code (skolenhetskod, 8 digits)");
    }
    if (!seen.insert(unit).second) {
      return common::invalidInput("the unit " + unit + " is given twice; give each unit once");
    }
  }
  return units;
}

// One value: the flag's when given (checked, never asked again), else asked on `out` up to
// kAttempts times. `check` returns the value to keep or why the answer is refused.
common::Result<std::string> value(
    const std::optional<std::string>& flagValue, const char* flag, const char* question,
    bool optional, const SetupRequest& r, std::istream& in, std::ostream& out,
    const std::function<common::Result<std::string>(const std::string&)>& check) {
  if (flagValue) {
    auto checked = check(*flagValue);
    if (!checked) return common::invalidInput(std::string(flag) + ": " + checked.error().message);
    return checked;
  }
  if (r.noInput) {
    if (optional) return std::string();
    return common::invalidInput(std::string(flag) + " is missing (--no-input asks nothing)");
  }
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    out << question << ": " << std::flush;
    std::string line;
    if (!std::getline(in, line)) {
      out << "\n";
      return common::invalidInput("no answer for " + std::string(flag) +
                                  " (input ended); give it as " + flag +
                                  " or run setup in a terminal");
    }
    line = trim(line);
    if (line.empty() && optional) return std::string();
    auto checked = check(line);
    if (checked) return checked;
    out << "  " << checked.error().message << "\n";
    if (attempt + 1 == kAttempts) {
      return common::invalidInput(std::string(flag) + ": " + checked.error().message);
    }
  }
  return common::invalidInput(std::string(flag) + " has no answer");
}

common::Result<std::string> fromStatus(const std::string& v, const common::Status& s) {
  if (!s) return s.error();
  return v;
}

int exitFor(const common::Error& e) {
  switch (e.kind) {
    case common::ErrorKind::invalidInput:
    case common::ErrorKind::unauthorised:
    case common::ErrorKind::notFound:
    case common::ErrorKind::conflict:
      return 2;
    default:
      return 1;
  }
}

}  // namespace

common::Result<InitRequest> completeSetup(const SetupRequest& r, std::istream& in,
                                          std::ostream& out) {
  InitRequest init;
  init.dir = r.stateDir;
  init.configPath = r.configPath;
  if (init.dir.empty()) return common::invalidInput("--state-dir must name a directory");
  if (init.configPath.empty()) return common::invalidInput("--config must name a file");

  auto provider =
      value(r.provider, "--provider", "Organisation number of the provider (NNNNNN-NNNN)", false, r,
            in, out, [](const std::string& v) { return fromStatus(v, checkProvider(v)); });
  if (!provider) return provider.error();
  init.provider = *provider;
  auto name = value(r.name, "--name", "Name of the provider, as the city knows it", false, r, in,
                    out, [](const std::string& v) { return fromStatus(v, checkName(v)); });
  if (!name) return name.error();
  init.name = *name;
  auto broker = value(r.broker, "--broker", "Address of the city's broker (HOST:PORT)", false, r,
                      in, out, checkBrokerWithKey);
  if (!broker) return broker.error();
  init.broker = *broker;
  if (!r.standbyBrokers.empty() || init.broker.find('=') != std::string::npos) {
    init.brokers.push_back(*broker);
    for (const auto& text : r.standbyBrokers) {
      auto standby = checkBrokerWithKey(text);
      if (!standby) return common::invalidInput("--broker: " + standby.error().message);
      init.brokers.push_back(*standby);
    }
  }
  auto cityKeys =
      value(r.cityKeysPath, "--city-keys",
            "The city's key file (the root.pub or city.pub the city sent you)", false, r, in, out,
            [](const std::string& v) { return fromStatus(v, checkCityKeys(v)); });
  if (!cityKeys) return cityKeys.error();
  init.cityKeysPath = *cityKeys;

  std::optional<std::string> unitsFlag;
  if (!r.units.empty()) {
    std::string joined;
    for (const auto& u : r.units) joined += u + " ";
    unitsFlag = joined;
  }
  auto units = value(unitsFlag, "--unit",
                     "School-unit codes this agent reports on (8 digits each, separated by "
                     "spaces)",
                     false, r, in, out, [](const std::string& v) -> common::Result<std::string> {
                       auto parsed = parseUnits({v});
                       if (!parsed) return parsed.error();
                       return v;
                     });
  if (!units) return units.error();
  init.units = *parseUnits({*units});

  auto duty = value(r.dutyContact, "--duty-contact",
                    "Who the city calls at the provider, e.g. \"IT on call, 08-123 456 78\" "
                    "(Enter to skip)",
                    true, r, in, out, [](const std::string& v) -> common::Result<std::string> {
                      if (v.size() > 200) {
                        return common::invalidInput("the duty contact must be at most 200 bytes");
                      }
                      return v;
                    });
  if (!duty) return duty.error();
  init.dutyContact = *duty;
  return init;
}

common::Result<InitResult> setupAgent(const InitRequest& request, int64_t nowMs) {
  auto result = initAgentDirectory(request, nowMs);
  if (!result) {
    std::string m = result.error().message;
    const std::string advice = "Use another --dir, or move the old directory away first";
    if (auto pos = m.find(advice); pos != std::string::npos) {
      m.replace(pos, advice.size(),
                "To start over, move the old files away first (back up the identity: it is the "
                "agent's only key)");
    }
    return common::Error{result.error().kind, m};
  }
  const std::string& o = result->outboxPath;
  if (common::Status s = common::adoptDirectoryOwner(
          request.dir, {result->identityPath, result->requestPath, o, o + "-wal", o + "-shm"});
      !s) {
    return s.error();
  }
  return result;
}

std::string setupSummary(const InitRequest& request, const InitResult& result) {
  std::ostringstream out;
  out << "Created the agent for " << request.provider << " (" << request.name << ", "
      << request.units.size() << " unit(s)), key id " << result.keyId << ":\n"
      << "  config     " << result.configPath << "\n"
      << "  identity   " << result.identityPath << " (secret, mode 0600)\n"
      << "  outbox     " << result.outboxPath << "\n"
      << "Enrolment request: " << result.requestPath << "\n"
      << "Next:\n"
      << "  1. Send " << result.requestPath
      << " to the city (e-mail is fine: it holds only public keys and is signed), and read the "
         "key id "
      << result.keyId << " to them on the phone.\n"
      << "  2. Back up " << result.identityPath
      << " now, somewhere safe and private: it cannot be recreated.\n"
      << "  3. When the city says you are enrolled: systemctl enable --now samband-agent\n"
      << "  4. Check everything: samband-agent doctor --config " << result.configPath << "\n";
  return out.str();
}

CLI::App* addSetupCommand(CLI::App& app, SetupRequest& r) {
  auto* cmd = app.add_subcommand(
      "setup",
      "Set up the agent as the Debian package expects (/etc/samband/agent.toml, keys in "
      "/var/lib/samband); asks for what the flags leave out");
  cmd->add_option("--provider", r.provider, "Organisation number, NNNNNN-NNNN");
  cmd->add_option("--name", r.name, "The provider's name");
  cmd->add_option_function<std::vector<std::string>>(
      "--broker",
      [&r](const std::vector<std::string>& all) {
        if (all.empty()) return;
        r.broker = all.front();
        r.standbyBrokers.assign(all.begin() + 1, all.end());
      },
      "The broker's address, HOST:PORT or tcp://HOST:PORT; repeat for a standby broker, in "
      "order of preference (HOST:PORT=CURVEKEY pins that broker's own transport key)");
  cmd->add_option("--city-keys", r.cityKeysPath,
                  "The city's root.pub (certificates appended) or city.pub file");
  cmd->add_option("--unit", r.units, "A school-unit code (8 digits); repeat for each unit");
  cmd->add_option("--duty-contact", r.dutyContact,
                  "Who the city calls at the provider (kept in agent.toml, never sent)");
  cmd->add_option("--config", r.configPath, "Where to write agent.toml")
      ->default_str(kPackagedAgentConfig);
  cmd->add_option("--state-dir", r.stateDir, "Where the identity, outbox and enrolment request go")
      ->default_str(kPackagedStateDir);
  cmd->add_flag("--no-input", r.noInput, "Never ask: every required value must be a flag");
  return cmd;
}

int runSetupCommand(const SetupRequest& request, std::istream& in, std::ostream& out,
                    std::ostream& err) {
  auto init = completeSetup(request, in, out);
  if (!init) {
    err << "samband-agent: " << init.error().message << "\n";
    return exitFor(init.error());
  }
  common::SystemClock clock;
  auto result = setupAgent(*init, clock.nowMs());
  if (!result) {
    err << "samband-agent: " << result.error().message << "\n";
    return exitFor(result.error());
  }
  out << setupSummary(*init, *result);
  return 0;
}

}  // namespace samband::agent
