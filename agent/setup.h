// `samband-agent setup`: creates an agent the way the Debian package lays it out — agent.toml in
// /etc/samband, identity, outbox and enrolment request in /var/lib/samband owned by the service
// user — asking for whatever the flags did not give (so it runs interactively or, with every
// flag, unattended). The work itself is agent_init's; this adds the questions, the packaged
// paths, the ownership and the next steps.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_init.h"
#include "common/result.h"

namespace CLI {
class App;
}

namespace samband::agent {

inline constexpr const char* kPackagedAgentConfig = "/etc/samband/agent.toml";
inline constexpr const char* kPackagedStateDir = "/var/lib/samband";

struct SetupRequest {
  std::optional<std::string> provider;  // --provider
  std::optional<std::string> name;      // --name
  std::optional<std::string> broker;    // --broker (HOST:PORT gets tcp:// in front)
  // --broker repeated (a standby broker): the second and later ones, each HOST:PORT[=CURVEKEY].
  std::vector<std::string> standbyBrokers;
  std::optional<std::string> cityKeysPath;  // --city-keys
  std::vector<std::string> units;           // --unit (repeatable); empty: ask
  std::optional<std::string> dutyContact;   // --duty-contact; asked, Enter skips
  std::string configPath = kPackagedAgentConfig;
  std::string stateDir = kPackagedStateDir;
  bool noInput = false;  // --no-input: never ask; a missing flag is an error
};

// Turns the flags into an InitRequest, asking on `out` and reading one line from `in` for each
// value not given. A bad answer is asked again (three times at most); a value given as a flag
// is checked but never asked again. Errors: invalidInput naming the flag, also when `in` ends
// (or --no-input) before a required value.
common::Result<InitRequest> completeSetup(const SetupRequest& request, std::istream& in,
                                          std::ostream& out);

// Creates the agent (initAgentDirectory) and, when run as root, gives the files in the state
// directory the directory's owner (the package's `samband` user). Nothing is overwritten.
common::Result<InitResult> setupAgent(const InitRequest& request, int64_t nowMs);

// What `setup` prints when done: the files, the enrolment request path, the key id and the
// next steps (send the request, back up the identity, start the service, run doctor).
std::string setupSummary(const InitRequest& request, const InitResult& result);

// The CLI: registers `setup` on `app` with its flags bound to `request`, and runs it.
CLI::App* addSetupCommand(CLI::App& app, SetupRequest& request);
int runSetupCommand(const SetupRequest& request, std::istream& in, std::ostream& out,
                    std::ostream& err);

}  // namespace samband::agent
