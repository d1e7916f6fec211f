// See sim_directory.h.
#include "tools/sim_directory.h"

#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "agent/agent_init.h"
#include "common/config.h"

namespace samband::tools {

namespace {

// Most providers name a duty contact in agent.toml (a role, never a person); every twentieth
// does not, so the daily readiness check has a failing self-test to show. The line replaced is
// the commented example that `samband-agent init` writes; if it is not there, nothing changes.
common::Status setDutyContact(const std::string& configPath, size_t providerIndex) {
  if (providerIndex % 20 == 7) return {};
  auto text = common::readFile(configPath);
  if (!text) return text.error();
  const std::string example = "# duty_contact = ";
  const size_t at = text->find(example);
  if (at == std::string::npos) return {};
  const size_t end = text->find('\n', at);
  text->replace(at, end - at, "duty_contact = \"IT-jouren hos huvudmannen (simulerad)\"");
  return common::writeFileAtomic(configPath, *text, 0644);
}

std::string simTomlText(const CityOptions& o, const std::string& broker) {
  std::ostringstream out;
  out << "# Written by `samband-sim init`. `samband-sim run` regenerates the same city from\n"
      << "# these values, so do not edit them: the agent directories were made for this city.\n"
      << "[city]\n"
      << "seed = " << o.seed << "\n"
      << "providers = " << o.providers << "\n"
      << "units = " << o.units << "\n\n"
      << "[broker]\n"
      << "endpoint = \"" << broker << "\"\n";
  return out.str();
}

}  // namespace

std::string agentDirOf(const std::string& dir, const std::string& providerId) {
  return dir + "/agents/" + providerId;
}

common::Status createSimDirectory(const City& city, const std::string& dir,
                                  const std::string& broker, const std::string& cityKeysPath,
                                  int64_t nowMs) {
  struct stat st {};
  if (::stat((dir + "/sim.toml").c_str(), &st) == 0 ||
      ::stat((dir + "/agents").c_str(), &st) == 0) {
    return common::invalidInput(dir +
                                " already holds a simulated city (sim.toml or agents/); "
                                "refusing to overwrite its identities. Use another --dir");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir + "/agents", ec);
  if (ec) return common::unavailable("cannot create " + dir + "/agents: " + ec.message());

  std::string requests;
  for (size_t i = 0; i < city.providers.size(); ++i) {
    const SimProvider& p = city.providers[i];
    agent::InitRequest r;
    r.dir = agentDirOf(dir, p.id);
    r.provider = p.id;
    r.name = p.name;
    r.broker = broker;
    r.cityKeysPath = cityKeysPath;
    for (size_t u : p.units) r.units.push_back(city.units[u].code);
    auto made = agent::initAgentDirectory(r, nowMs);
    if (!made) return common::Error{made.error().kind, p.id + ": " + made.error().message};
    if (auto st = setDutyContact(made->configPath, i); !st) return st;
    requests += made->requestPath + "\n";
  }
  if (auto s = common::writeFileAtomic(dir + "/roster.csv", rosterCsv(city)); !s) return s;
  if (auto s = common::writeFileAtomic(dir + "/requests.txt", requests); !s) return s;
  // Last: its presence means the directory is complete.
  return common::writeFileAtomic(dir + "/sim.toml", simTomlText(city.options, broker));
}

common::Result<SimDirectory> loadSimDirectory(const std::string& dir) {
  const std::string path = dir + "/sim.toml";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return common::invalidInput(path +
                                " does not exist; create the city first with "
                                "samband-sim init --dir " +
                                dir);
  }
  auto file = common::ConfigFile::load(path);
  if (!file) return file.error();
  SimDirectory out;
  out.dir = dir;
  auto seed = (*file)->integer("city", "seed", std::nullopt, 0, INT64_MAX);
  if (!seed) return seed.error();
  auto providers = (*file)->integer("city", "providers", std::nullopt, 1, 1000000);
  if (!providers) return providers.error();
  auto units = (*file)->integer("city", "units", std::nullopt, 1, 10000000);
  if (!units) return units.error();
  auto broker = (*file)->text("broker", "endpoint");
  if (!broker) return broker.error();
  out.options.seed = static_cast<uint64_t>(*seed);
  out.options.providers = static_cast<int>(*providers);
  out.options.units = static_cast<int>(*units);
  out.broker = *broker;
  return out;
}

}  // namespace samband::tools
