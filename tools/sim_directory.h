// SimDirectory: the simulator's directory on disk. `samband-sim init` writes it; `run` reads it.
//   S/sim.toml          how the city was generated (seed, counts) and the broker endpoint
//   S/roster.csv        the city's roster (broker/roster_csv.h format)
//   S/requests.txt      one enroll-request.json path per line, for `samband-broker enroll`
//   S/agents/<orgnr>/   one agent directory per provider, made by samband-agent's own init
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "tools/city_model.h"

namespace samband::tools {

struct SimDirectory {
  std::string dir;
  CityOptions options;
  std::string broker;
};

// The agent directory of `providerId` under `dir`.
std::string agentDirOf(const std::string& dir, const std::string& providerId);

// Writes everything above for `city`. Refuses (invalidInput) when `dir` already holds a
// simulated city. Agent directories are made with agent::initAgentDirectory, exactly as
// `samband-agent init` makes them, so enrollment goes through the real path.
common::Status createSimDirectory(const City& city, const std::string& dir,
                                  const std::string& broker, const std::string& cityKeysPath,
                                  int64_t nowMs);

// Reads S/sim.toml. Errors name the file and key.
common::Result<SimDirectory> loadSimDirectory(const std::string& dir);

}  // namespace samband::tools
